import type { Context } from '../cli/context.js';
import { AnchorError } from '../core/errors.js';
import type { RemoteProjects } from '../core/operations/platform-operations.js';

/** `projects show` on a remote platform: what its API tells (the webhook secret was said once, at creation). */
export async function showRemoteProject(ctx: Context, remote: RemoteProjects, name: string): Promise<void> {
  const p = await remote.showProject(name);
  ctx.ui.result({ name: p.name, id: p.id, repo: p.repo, branch: p.branch, url: p.url, live: p.live?.deploymentId ?? null, latest: p.latest }, () => [
    `${p.name}`,
    `  repo:     ${p.repo} (branch ${p.branch})`,
    `  site:     ${p.url ?? 'no site address yet'}`,
    `  live:     ${p.live?.deploymentId ?? 'nothing deployed yet'}`,
    `  latest:   ${p.latest ? `${p.latest.id} (${p.latest.state})` : 'no deployment yet'}`,
    '  webhook:  its URL and secret were shown when the project was added (or run "anchor projects show" where the platform runs)',
  ]);
}

const LOCAL_ONLY: Array<[string, string]> = [['root', '--root'], ['githubToken', '--github-token'], ['githubTokenEnv', '--github-token-env'], ['buildSize', '--build-size'], ['owner', '--owner']];

/** `projects add` on a remote platform: GitHub owner/name or https:// repositories, owned by the token's owner. */
export async function addRemoteProject(ctx: Context, remote: RemoteProjects, name: string, options: Record<string, unknown>): Promise<void> {
  const given = LOCAL_ONLY.filter(([key]) => options[key] !== undefined && options[key] !== '').map(([, flag]) => flag);
  if (given.length > 0) {
    throw new AnchorError({ code: 'REMOTE_NOT_SUPPORTED', kind: 'usage', message: `${given.join(', ')} cannot be set through the platform API.`, hint: 'Add the project without them, then set them where the platform runs (anchor projects set / set-token).' });
  }
  const { project, webhook } = await remote.addProject({ name, repo: String(options.repo ?? ''), branch: String(options.branch ?? 'main') });
  ctx.ui.result({ project: { name: project.name, id: project.id, repo: project.repo, branch: project.branch, root: '', url: project.url, githubToken: false, buildSize: null }, webhook: { ...webhook, registered: null } }, () => [
    `${ctx.ui.colors.green('✔')} Added project "${project.name}" (${project.repo}, branch ${project.branch}).`,
    '  Add this webhook to the repository (GitHub → Settings → Webhooks → Add webhook):',
    `    Payload URL:   ${webhook.url}`,
    '    Content type:  application/json',
    `    Secret:        ${webhook.secret}`,
    '    Events:        Just the push event',
    `  or deploy now without a push: anchor deploy ${project.name}`,
    `  Site: ${project.url ?? '(once the first deployment is live)'}`,
  ]);
}

export async function removeRemoteProject(ctx: Context, remote: RemoteProjects, name: string): Promise<void> {
  const project = await remote.showProject(name);
  if (!ctx.flags.yes && !(await ctx.prompter.confirm(`Remove project "${name}": its site, builds, env vars, logs and files? This cannot be undone.`, '--yes to confirm'))) {
    throw new AnchorError({ code: 'CANCELLED', kind: 'usage', message: `Project "${name}" was not removed.` });
  }
  await remote.removeProject(name);
  ctx.ui.result({ removed: project.name, id: project.id }, () => `${ctx.ui.colors.green('✔')} Removed project "${project.name}": its site, builds, env vars, logs and files.`);
}
