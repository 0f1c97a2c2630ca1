import { useEffect, useRef, useState } from 'preact/hooks';
import { api, seg, type Deployment as DeploymentView } from './api.js';
import { ErrorNote, Link, StateBadge, When, shortSha, useLoad } from './common.js';
import { Phases } from './project.js';
import { projectPath } from './router.js';

interface Line {
  seq: number;
  at: string;
  text: string;
}

const MAX_LINES = 5_000;

export function Deployment(props: { project: string; id: string }) {
  const base = `/projects/${seg(props.project)}/deployments/${seg(props.id)}`;
  const [state, setState] = useState<string | null>(null);
  const view = useLoad(() => api<DeploymentView>('GET', base), [base, state]);
  const d = view.value;
  return (
    <main>
      <p class="crumbs">
        <Link href="/">Projects</Link> / <Link href={projectPath(props.project)}>{props.project}</Link> /
      </p>
      <h1 class="id">{props.id}</h1>
      <ErrorNote error={view.error} />
      {d ? (
        <>
          <p>
            <StateBadge state={d.state} /> {d.live ? <strong class="badge s-live-now">live now</strong> : null} <code>{shortSha(d.commit)}</code> {d.ref} · <When at={d.createdAt} />
          </p>
          {d.message ? <p class="msg">{d.message}</p> : null}
          <Phases phases={d.phases} />
          {d.error ? <p class="error">{d.error.message}</p> : null}
        </>
      ) : null}
      <LiveLog path={`${base}/logs/stream`} onState={setState} />
    </main>
  );
}

/** The build log as it is written (Server-Sent Events); EventSource resumes after a drop with Last-Event-ID. */
function LiveLog(props: { path: string; onState: (state: string) => void }) {
  const [lines, setLines] = useState<Line[]>([]);
  const [status, setStatus] = useState<'connecting' | 'live' | 'ended' | 'retrying'>('connecting');
  const box = useRef<HTMLPreElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    setLines([]);
    setStatus('connecting');
    const source = new EventSource(`/api/v1${props.path}`);
    source.onopen = () => setStatus('live');
    source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? 'ended' : 'retrying');
    source.addEventListener('line', (e) => {
      const line = JSON.parse((e as MessageEvent<string>).data) as Line;
      setLines((old) => (old.length && (old[old.length - 1] as Line).seq >= line.seq ? old : [...old.slice(-MAX_LINES + 1), line]));
    });
    source.addEventListener('state', (e) => props.onState((JSON.parse((e as MessageEvent<string>).data) as { state: string }).state));
    source.addEventListener('end', (e) => {
      props.onState((JSON.parse((e as MessageEvent<string>).data) as { state: string }).state);
      setStatus('ended');
      source.close();
    });
    return () => source.close();
  }, [props.path]);

  useEffect(() => {
    const el = box.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <section aria-labelledby="log-h">
      <div class="row">
        <h2 id="log-h">Build log</h2>
        <span class="muted" role="status">
          {status === 'live' ? 'following…' : status === 'ended' ? `${lines.length} lines, finished` : status}
        </span>
      </div>
      <pre
        ref={box}
        class="log"
        tabIndex={0}
        aria-label="Build log"
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
        }}
      >
        {lines.map((l) => l.text).join('\n')}
      </pre>
    </section>
  );
}
