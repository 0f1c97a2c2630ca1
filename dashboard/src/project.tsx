import { useRef, useState } from 'preact/hooks';
import { api, seg, type Deployment, type Page, type Project as ProjectView } from './api.js';
import { ErrorNote, Link, StateBadge, When, duration, shortSha, useLoad } from './common.js';
import { deploymentPath } from './router.js';
import { Domains, EnvVars } from './settings.js';

const ACTIVE = ['queued', 'building', 'built', 'deploying'];

export function Project(props: { name: string }) {
  const name = props.name;
  const project = useLoad(() => api<ProjectView>('GET', `/projects/${seg(name)}`), [name]);
  const deployments = useLoad(
    () => api<Page<Deployment>>('GET', `/projects/${seg(name)}/deployments?limit=20`),
    [name],
    (page) => (page.items.some((d) => ACTIVE.includes(d.state)) ? 2_000 : 15_000),
  );
  const [error, setError] = useState<unknown>(null);
  const deploy = async () => {
    setError(null);
    try {
      await api('POST', `/projects/${seg(name)}/deployments`, {});
      deployments.reload();
    } catch (e) {
      setError(e);
    }
  };
  const p = project.value;
  return (
    <main>
      <p class="crumbs">
        <Link href="/">Projects</Link> /
      </p>
      <h1>{name}</h1>
      <ErrorNote error={project.error} />
      {p ? (
        <p class="muted">
          {p.repo} · {p.branch}
          {p.url ? (
            <>
              {' · '}
              <a href={p.url} rel="noopener noreferrer" target="_blank">
                {p.url}
              </a>
            </>
          ) : null}
        </p>
      ) : null}
      <section aria-labelledby="deployments-h">
        <div class="row">
          <h2 id="deployments-h">Deployments</h2>
          <button type="button" onClick={deploy}>
            Deploy now
          </button>
        </div>
        <ErrorNote error={error ?? deployments.error} />
        <DeploymentList project={name} items={deployments.value?.items ?? []} onChange={() => (deployments.reload(), project.reload())} />
      </section>
      <EnvVars project={name} />
      <Domains project={name} />
    </main>
  );
}

function DeploymentList(props: { project: string; items: Deployment[]; onChange: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [target, setTarget] = useState<Deployment | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const ask = (d: Deployment) => {
    setTarget(d);
    setError(null);
    dialog.current?.showModal();
  };
  const confirm = async () => {
    if (!target) return;
    setBusy(true);
    try {
      await api('POST', `/projects/${seg(props.project)}/rollback`, { to: target.id });
      dialog.current?.close();
      props.onChange();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  if (props.items.length === 0) return <p>No deployments yet: push to the branch, or press Deploy now.</p>;
  return (
    <>
      <ul class="list">
        {props.items.map((d) => (
          <li key={d.id} class={d.live ? 'live' : ''}>
            <div class="row">
              <Link href={deploymentPath(props.project, d.id)}>
                <code>{shortSha(d.commit)}</code> {d.message ? <span class="msg">{d.message}</span> : null}
              </Link>
              <StateBadge state={d.state} />
              {d.live ? <strong class="badge s-live-now">live now</strong> : null}
            </div>
            <p class="muted">
              {d.id} · {d.ref} · <When at={d.createdAt} />
            </p>
            <Phases phases={d.phases} />
            {d.error ? <p class="error">{d.error.message}</p> : null}
            {!d.live && (d.state === 'retired' || d.state === 'live') ? (
              <button type="button" class="secondary" onClick={() => ask(d)}>
                Roll back to {shortSha(d.commit)}
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      <dialog ref={dialog} aria-labelledby="rollback-h">
        <h2 id="rollback-h">Roll back {props.project}?</h2>
        <p>
          Deployment <code>{target?.id}</code> ({shortSha(target?.commit ?? null)}) goes live again at once, with the env it was built with.
        </p>
        <ErrorNote error={error} />
        <div class="row">
          <button type="button" class="danger" disabled={busy} onClick={confirm}>
            Roll back now
          </button>
          <button type="button" class="secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}

export function Phases(props: { phases: Deployment['phases'] }) {
  if (props.phases.length === 0) return null;
  return (
    <ol class="phases" aria-label="Phases">
      {props.phases.map((ph, i) => (
        <li key={i}>
          {ph.name} <span class="muted">{ph.ms !== undefined ? duration(ph.ms) : ACTIVE.includes(ph.name) ? '…' : ''}</span>
        </li>
      ))}
    </ol>
  );
}
