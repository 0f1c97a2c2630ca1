import { useEffect, useState } from 'preact/hooks';
import { signIn, type Session } from './api.js';
import { ErrorNote } from './common.js';

/** Sign in with a token, or by itself with the one-time code that `anchor dashboard` puts after `#code=`. */
export function SignIn(props: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const attempt = async (credential: { token: string } | { code: string }) => {
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(credential);
      if (session) props.onSignedIn(session);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const fromAddress = () => {
      const code = /^#code=([A-Za-z0-9_-]{1,200})$/.exec(location.hash)?.[1];
      // The code is single-use: it leaves the address bar (and the history) before it is sent.
      if (location.hash) history.replaceState(null, '', location.pathname + location.search);
      if (code) void attempt({ code });
    };
    fromAddress();
    addEventListener('hashchange', fromAddress);
    return () => removeEventListener('hashchange', fromAddress);
  }, []);

  return (
    <main class="narrow">
      <h1>Sign in to anchor</h1>
      <p>Paste an API token, or run <code>anchor dashboard</code> on the platform for a one-time link.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) void attempt({ token: token.trim() });
        }}
      >
        <label for="token">API token</label>
        <input id="token" type="password" autocomplete="off" spellcheck={false} required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorNote error={error} />
    </main>
  );
}
