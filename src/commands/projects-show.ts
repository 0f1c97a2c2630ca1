import type { Context } from '../cli/context.js';
import { siteBaseUrl } from '../cli/platforms.js';
import { describeRepo } from '../core/project.js';
import { showProject } from '../core/use-cases/projects.js';

export default async function projectsShow(ctx: Context, args: string[]): Promise<void> {
  const [name = ''] = args;
  const { config, ports } = await ctx.platform();
  const { project, live, webhook } = await showProject(ports, { name, webhookBaseUrl: siteBaseUrl(config) });
  const url = `http://${project.name}.localhost:${config.server.port}`;
  ctx.ui.result(
    { name: project.name, id: project.id, repo: describeRepo(project.repo), branch: project.branch, root: project.root, url, live, createdAt: project.createdAt, webhook: { url: webhook.url, secret: webhook.secret, githubHookId: project.githubHookId } },
    () => [
      `${project.name}`,
      `  repo:     ${describeRepo(project.repo)} (branch ${project.branch}${project.root ? `, root ${project.root}` : ''})`,
      `  site:     ${url}`,
      `  live:     ${live ?? 'nothing deployed yet'}`,
      `  webhook:  ${webhook.url}${project.githubHookId ? ` (GitHub hook ${project.githubHookId})` : ''}`,
      `  secret:   ${webhook.secret}`,
      `  created:  ${project.createdAt}`,
    ],
  );
}
