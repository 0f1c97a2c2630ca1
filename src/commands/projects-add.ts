import { existsSync, statSync } from 'node:fs';
import type { Context } from '../cli/context.js';
import { siteUrl, webhookBaseUrl } from '../cli/platforms.js';
import { describeRepo, parseBuildSize, parseRepo } from '../core/project.js';
import { addProject } from '../core/use-cases/projects.js';
import { projectTokenFromFlags } from './github-token.js';
import { resolveOwner } from '../core/use-cases/tokens.js';
import { addRemoteProject } from './projects-remote.js';

export default async function projectsAdd(ctx: Context, args: string[], options: Record<string, unknown>): Promise<void> {
  const [name = ''] = args;
  const remote = ctx.remotePlatform() && (await ctx.operations()).remote;
  if (remote) return addRemoteProject(ctx, remote, name, options);
  const buildSize = options.buildSize === undefined ? undefined : parseBuildSize(String(options.buildSize));
  const repo = parseRepo(String(options.repo), (p) => {
    const full = ctx.resolvePath(p);
    return existsSync(full) && statSync(full).isDirectory() ? full : null;
  });
  const projectToken = await projectTokenFromFlags(ctx, options, false);
  // The webhook: the operator's token when there is one, else the project's (it may lack admin:repo_hook).
  const token = (options.githubToken as string | undefined) ?? ctx.env.githubToken ?? projectToken ?? undefined;
  const platform = await ctx.platform({ githubToken: token });
  const { config, ports } = platform;
  // The owner is checked before anything is created (or a stack deployed).
  const owner = options.owner === undefined ? null : await resolveOwner({ access: await platform.access() }, String(options.owner));
  if (config.backend === 'aws') await (await import('./project-stack.js')).deployProjectStackFor(ctx, config, name);
  const { project, webhook } = await addProject(
    { ...ports, repoHooks: token ? ports.repoHooks : null },
    { name, repo, branch: String(options.branch), root: String(options.root ?? ''), webhookBaseUrl: webhookBaseUrl(config), githubToken: projectToken, buildSize },
  );
  if (owner) await (await platform.access()).assign(project.id, owner.id);
  const url = siteUrl(config, project.name);
  ctx.ui.result(
    { project: { name: project.name, id: project.id, repo: describeRepo(project.repo), branch: project.branch, root: project.root, url, githubToken: projectToken !== null, buildSize: project.buildSize ?? null }, webhook },
    () => [
      `${ctx.ui.colors.green('✔')} Added project "${project.name}" (${describeRepo(project.repo)}, branch ${project.branch}).`,
      webhook.registered
        ? `  GitHub push webhook ${webhook.registered} on ${describeRepo(project.repo)}.`
        : [
            '  Add this webhook to the repository (GitHub → Settings → Webhooks → Add webhook):',
            `    Payload URL:   ${webhook.url}`,
            '    Content type:  application/json',
            `    Secret:        ${webhook.secret}`,
            '    Events:        Just the push event',
            repo.kind === 'github' ? '  (or pass --github-token / set GITHUB_TOKEN and anchor registers it for you)' : `  or deploy now without a push: anchor deploy ${project.name}`,
          ].join('\n'),
      ...(projectToken !== null ? ['  GitHub token stored: builds clone with it, and deployments show on GitHub.'] : []),
      `  Site: ${url} (once the first deployment is live)`,
    ],
  );
}
