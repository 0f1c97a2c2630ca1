import type { Context } from '../cli/context.js';
import { siteUrl, webhookBaseUrl } from '../cli/platforms.js';
import { describeRepo } from '../core/project.js';
import { showProject } from '../core/use-cases/projects.js';
import { showRemoteProject } from './projects-remote.js';

export default async function projectsShow(ctx: Context, args: string[]): Promise<void> {
  const [name = ''] = args;
  const remote = ctx.remotePlatform() && (await ctx.operations()).remote;
  if (remote) return showRemoteProject(ctx, remote, name);
  const { config, ports } = await ctx.platform();
  const { project, live, webhook, hasGitHubToken } = await showProject(ports, { name, webhookBaseUrl: webhookBaseUrl(config) });
  const url = siteUrl(config, project.name);
  ctx.ui.result(
    { name: project.name, id: project.id, repo: describeRepo(project.repo), branch: project.branch, root: project.root, url, live, createdAt: project.createdAt, githubToken: hasGitHubToken, webhook: { url: webhook.url, secret: webhook.secret, githubHookId: project.githubHookId } },
    () => [
      `${project.name}`,
      `  repo:     ${describeRepo(project.repo)} (branch ${project.branch}${project.root ? `, root ${project.root}` : ''})`,
      `  site:     ${url ?? 'no project stack yet: run "anchor projects add" again'}`,
      `  live:     ${live ?? 'nothing deployed yet'}`,
      `  webhook:  ${webhook.url}${project.githubHookId ? ` (GitHub hook ${project.githubHookId})` : ''}`,
      `  secret:   ${webhook.secret}`,
      `  github:   ${hasGitHubToken ? 'token set (private clones, deployment statuses)' : project.repo.kind === 'github' ? 'no token (anchor projects set-token ' + project.name + ')' : 'no token'}`,
      `  created:  ${project.createdAt}`,
    ],
  );
}
