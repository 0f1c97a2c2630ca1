import { AnchorError } from '../errors.js';
import { projectExists } from '../domain-errors.js';
import { assertBranchName, parseRepoRoot } from '../git-names.js';
import { assertGitHubToken, assertProjectName, type BuildSize, type Project, type RepoRef } from '../project.js';
import type { Ports } from '../ports/index.js';

export type ProjectDeps = Pick<Ports, 'projects' | 'secrets' | 'ids' | 'clock'>;

export interface WebhookInfo {
  url: string;
  secret: string;
  /** 'created' / 'updated' when anchor registered it on GitHub; null when it must be pasted by hand. */
  registered: 'created' | 'updated' | null;
}

export async function getProject(deps: Pick<Ports, 'projects'>, name: string): Promise<Project> {
  const project = await deps.projects.get(name);
  if (!project) {
    throw new AnchorError({
      code: 'PROJECT_NOT_FOUND',
      kind: 'not-found',
      message: `There is no project "${name}" on this platform.`,
      hint: 'Run "anchor projects ls" to see the projects, or "anchor projects add <name> --repo <repo>" to create it.',
    });
  }
  return project;
}

export function webhookUrl(baseUrl: string, project: Pick<Project, 'id'>): string {
  return `${baseUrl.replace(/\/+$/, '')}/webhook/${project.id}`;
}

export async function addProject(
  deps: ProjectDeps & Pick<Ports, 'repoTokens'> & { repoHooks: Ports['repoHooks'] | null },
  input: { name: string; repo: RepoRef; branch: string; root: string; webhookBaseUrl: string; githubToken?: string | null; buildSize?: BuildSize | undefined },
): Promise<{ project: Project; webhook: WebhookInfo }> {
  assertProjectName(input.name);
  assertBranchName(input.branch);
  const root = parseRepoRoot(input.root);
  if (input.githubToken) assertGitHubToken(input.githubToken);
  if (await deps.projects.get(input.name)) {
    throw projectExists(input.name);
  }
  const secret = deps.ids.secret(32);
  const project: Project = {
    name: input.name,
    id: deps.ids.next('p'),
    repo: input.repo,
    branch: input.branch,
    root,
    webhookSecret: await deps.secrets.seal(secret),
    previousWebhookSecret: null,
    githubHookId: null,
    ...(input.buildSize ? { buildSize: input.buildSize } : {}),
    createdAt: deps.clock.now().toISOString(),
  };
  const url = webhookUrl(input.webhookBaseUrl, project);
  let registered: WebhookInfo['registered'] = null;
  if (deps.repoHooks && input.repo.kind === 'github') {
    // Register first: if GitHub refuses, nothing is written and the user can fix the token and retry.
    const hook = await deps.repoHooks.ensurePushHook({ owner: input.repo.owner, repo: input.repo.name, url, secret, hookId: null });
    project.githubHookId = hook.hookId;
    registered = hook.created ? 'created' : 'updated';
  }
  await deps.projects.create(project);
  if (input.githubToken) await deps.repoTokens.set(project, input.githubToken);
  return { project, webhook: { url, secret, registered } };
}

export async function listProjects(deps: Pick<Ports, 'projects' | 'deployments'>): Promise<Array<{ project: Project; live: string | null }>> {
  const projects = await deps.projects.list();
  return Promise.all(projects.map(async (project) => ({ project, live: (await deps.deployments.getLive(project.id))?.deploymentId ?? null })));
}

export async function showProject(
  deps: Pick<Ports, 'projects' | 'deployments' | 'secrets' | 'repoTokens'>,
  input: { name: string; webhookBaseUrl: string },
): Promise<{ project: Project; live: string | null; webhook: WebhookInfo; hasGitHubToken: boolean }> {
  const project = await getProject(deps, input.name);
  const live = await deps.deployments.getLive(project.id);
  return {
    project,
    live: live?.deploymentId ?? null,
    hasGitHubToken: (await deps.repoTokens.get(project)) !== null,
    webhook: { url: webhookUrl(input.webhookBaseUrl, project), secret: await deps.secrets.open(project.webhookSecret), registered: null },
  };
}

export async function removeProject(deps: Pick<Ports, 'projects' | 'envVars' | 'repoTokens'>, input: { name: string }): Promise<Project> {
  const project = await getProject(deps, input.name);
  await deps.repoTokens.remove(project);
  await deps.envVars.removeAll(project.id);
  await deps.projects.remove(project.id);
  return project;
}

/** `anchor projects set <name> --build-size`: the next build of the project runs on that size. */
export async function setProjectBuildSize(deps: Pick<Ports, 'projects'>, input: { name: string; buildSize: BuildSize }): Promise<Project> {
  const project = await getProject(deps, input.name);
  const updated: Project = { ...project, buildSize: input.buildSize };
  await deps.projects.update(updated);
  return updated;
}

/**
 * Gives a project a GitHub token (or takes it away, with null): builds clone its repository with
 * it and its deployments are reported on GitHub. Returns whether the project had one before.
 */
export async function setProjectToken(deps: Pick<Ports, 'projects' | 'repoTokens'>, input: { name: string; token: string | null }): Promise<{ project: Project; replaced: boolean }> {
  const project = await getProject(deps, input.name);
  if (input.token !== null) assertGitHubToken(input.token);
  const replaced = (await deps.repoTokens.get(project)) !== null;
  if (input.token === null) await deps.repoTokens.remove(project);
  else await deps.repoTokens.set(project, input.token);
  return { project, replaced };
}
