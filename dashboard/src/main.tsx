import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadSession, signOut, type Session } from './api.js';
import { ErrorNote, Link } from './common.js';
import { Deployment } from './deployment.js';
import { Project } from './project.js';
import { Projects } from './projects.js';
import { useRoute } from './router.js';
import { SignIn } from './sign-in.js';

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const route = useRoute();
  useEffect(() => {
    // A one-time code in the address wins over an older session: it is who just asked to sign in.
    // It may also arrive in an open tab (a pasted link changes only the hash).
    const onHash = () => location.hash.startsWith('#code=') && setSession(null);
    const onSignedOut = () => setSession(null);
    addEventListener('hashchange', onHash);
    addEventListener('anchor:signed-out', onSignedOut);
    if (location.hash.startsWith('#code=')) setSession(null);
    else loadSession().then(setSession, setError);
    return () => {
      removeEventListener('hashchange', onHash);
      removeEventListener('anchor:signed-out', onSignedOut);
    };
  }, []);

  if (error) return <ErrorNote error={error} />;
  if (session === undefined) return <p class="narrow">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={setSession} />;
  return (
    <>
      <header>
        <Link href="/" class="brand">
          anchor
        </Link>
        <span class="muted who">{session.owner.name}</span>
        <button type="button" class="secondary" onClick={() => signOut().then(() => setSession(null), setError)}>
          Sign out
        </button>
      </header>
      {route.screen === 'projects' ? <Projects /> : null}
      {route.screen === 'project' ? <Project name={route.project} /> : null}
      {route.screen === 'deployment' ? <Deployment project={route.project} id={route.id} /> : null}
      {route.screen === 'missing' ? (
        <main>
          <h1>Not found</h1>
          <p>
            <Link href="/">Back to the projects</Link>
          </p>
        </main>
      ) : null}
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
