import { api, type Page, type Project } from './api.js';
import { ErrorNote, Link, StateBadge, When, shortSha, useLoad } from './common.js';
import { deploymentPath, projectPath } from './router.js';

export function Projects() {
  const { value, error } = useLoad(() => api<Page<Project>>('GET', '/projects?limit=100'), [], () => 10_000);
  return (
    <main>
      <h1>Projects</h1>
      <ErrorNote error={error} />
      {value && value.items.length === 0 ? <p>No projects yet. Add one with <code>anchor projects add</code>.</p> : null}
      <ul class="cards">
        {value?.items.map((p) => (
          <li key={p.name} class="card">
            <h2>
              <Link href={projectPath(p.name)}>{p.name}</Link>
            </h2>
            <p class="muted">
              {p.repo} · {p.branch}
            </p>
            {p.url ? (
              <p>
                <a href={p.url} rel="noopener noreferrer" target="_blank">
                  {p.url}
                </a>
              </p>
            ) : null}
            <p>
              Live:{' '}
              {p.live ? (
                <>
                  <Link href={deploymentPath(p.name, p.live.deploymentId)}>{shortSha(p.live.commit)}</Link> since <When at={p.live.activatedAt} />
                </>
              ) : (
                'nothing yet'
              )}
            </p>
            {p.latest && p.latest.id !== p.live?.deploymentId ? (
              <p>
                Latest: <Link href={deploymentPath(p.name, p.latest.id)}>{p.latest.id}</Link> <StateBadge state={p.latest.state} />
              </p>
            ) : null}
          </li>
        ))}
      </ul>
    </main>
  );
}
