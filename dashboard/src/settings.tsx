import { useState } from 'preact/hooks';
import { api, seg, type Domain, type EnvVar, type Page } from './api.js';
import { ErrorNote, StateBadge, When, useLoad } from './common.js';

/** Env vars: values of secrets never come back (write-only); setting one replaces it. */
export function EnvVars(props: { project: string }) {
  const base = `/projects/${seg(props.project)}/env`;
  const list = useLoad(() => api<Page<EnvVar>>('GET', `${base}?limit=100`), [props.project]);
  const [form, setForm] = useState({ key: '', value: '', secret: false });
  const [error, setError] = useState<unknown>(null);
  const run = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      list.reload();
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  return (
    <section aria-labelledby="env-h">
      <h2 id="env-h">Environment variables</h2>
      <p class="muted">Changes apply from the next deployment.</p>
      <ErrorNote error={error ?? list.error} />
      <ul class="list">
        {list.value?.items.map((v) => (
          <li key={v.key} class="row">
            <code class="key">{v.key}</code>
            <span class="value">{v.secret ? <em>secret (write-only)</em> : <code>{v.value}</code>}</span>
            <button type="button" class="secondary" aria-label={`Remove ${v.key}`} onClick={() => run(() => api('DELETE', `${base}/${seg(v.key)}`))}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form
        class="inline"
        onSubmit={async (e) => {
          e.preventDefault();
          const ok = await run(() => api('PUT', `${base}/${seg(form.key.trim())}`, { value: form.value, secret: form.secret }));
          if (ok) setForm({ key: '', value: '', secret: false });
        }}
      >
        <label for="env-key">Name</label>
        <input id="env-key" required pattern="[A-Za-z_][A-Za-z0-9_]*" autocomplete="off" spellcheck={false} value={form.key} onInput={(e) => setForm({ ...form, key: e.currentTarget.value })} />
        <label for="env-value">Value</label>
        <input id="env-value" type={(form.secret ? 'password' : 'text') as 'text'} autocomplete="off" spellcheck={false} value={form.value} onInput={(e) => setForm({ ...form, value: e.currentTarget.value })} />
        <label class="check">
          <input type="checkbox" checked={form.secret} onChange={(e) => setForm({ ...form, secret: e.currentTarget.checked })} /> Secret
        </label>
        <button type="submit">Save variable</button>
      </form>
    </section>
  );
}

export function Domains(props: { project: string }) {
  const base = `/projects/${seg(props.project)}/domains`;
  const list = useLoad(() => api<Page<Domain>>('GET', `${base}?limit=100`), [props.project], (page) => (page.items.some((d) => d.state !== 'active') ? 10_000 : null));
  const [domain, setDomain] = useState('');
  const [error, setError] = useState<unknown>(null);
  const run = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      list.reload();
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  return (
    <section aria-labelledby="domains-h">
      <h2 id="domains-h">Domains</h2>
      <ErrorNote error={error ?? list.error} />
      {list.value && list.value.items.length === 0 ? <p>No custom domains.</p> : null}
      <ul class="list">
        {list.value?.items.map((d) => (
          <li key={d.domain}>
            <div class="row">
              <code class="key">{d.domain}</code>
              <StateBadge state={d.state} />
              <button type="button" class="secondary" aria-label={`Remove ${d.domain}`} onClick={() => run(() => api('DELETE', `${base}/${seg(d.domain)}`))}>
                Remove
              </button>
            </div>
            <p class="muted">
              {d.nextAction}
              {d.certificateExpiresAt ? (
                <>
                  {' · certificate until '}
                  <When at={d.certificateExpiresAt} />
                </>
              ) : null}
            </p>
          </li>
        ))}
      </ul>
      <form
        class="inline"
        onSubmit={async (e) => {
          e.preventDefault();
          if (await run(() => api('POST', base, { domain: domain.trim() }))) setDomain('');
        }}
      >
        <label for="domain">Domain</label>
        <input id="domain" required autocomplete="off" spellcheck={false} placeholder="www.example.com" value={domain} onInput={(e) => setDomain(e.currentTarget.value)} />
        <button type="submit">Add domain</button>
      </form>
    </section>
  );
}
