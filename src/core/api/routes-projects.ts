import { z } from 'zod';
import { AnchorError } from '../errors.js';
import { parseRepo } from '../project.js';
import { requestDeploy } from '../use-cases/request-deploy.js';
import { addProject } from '../use-cases/projects.js';
import { rollback } from '../use-cases/rollback.js';
import { jsonResponse, noContent, type Route, type RouteContext } from './api-types.js';
import { deploymentView, numberCursor, pageLimit, projectView } from './api-views.js';
import { ownedProject } from './owned-project.js';
import { streamLogs } from './log-stream.js';

const V1 = '/api/v1';

export function parseBodyWith<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new AnchorError({ code: 'BODY_INVALID', kind: 'usage', message: `The request body is not what this route takes (${where}${issue?.message ?? 'invalid'}).`, hint: 'See GET /api/v1/openapi.json for the body of each route.' });
  }
  return result.data;
}

async function project(ctx: RouteContext) {
  return ownedProject(ctx.deps, ctx.caller, ctx.params.name ?? '');
}

/** A deployment of the caller's project `name`; any other deployment id is not found. */
async function ownedDeployment(ctx: RouteContext) {
  const p = await project(ctx);
  const id = ctx.params.id ?? '';
  const deployment = /^d_[0-9a-z]{1,64}$/.test(id) ? await ctx.deps.deployments.get(id) : null;
  if (!deployment || deployment.projectId !== p.id) {
    throw new AnchorError({ code: 'DEPLOYMENT_NOT_FOUND', kind: 'not-found', message: `Project "${p.name}" has no deployment ${ctx.params.id ?? ''}.`, hint: `GET ${V1}/projects/${p.name}/deployments lists the ones it has.` });
  }
  return { project: p, deployment };
}

/**
 * A deployment by id alone (the CLI's `deployments show <id>`): one of another owner's projects is
 * not found, like one that does not exist, and the answer does not even echo the id.
 */
async function deploymentById(ctx: RouteContext) {
  const id = ctx.params.id ?? '';
  const deployment = /^d_[0-9a-z]{1,64}$/.test(id) ? await ctx.deps.deployments.get(id) : null;
  const owner = deployment ? await ctx.deps.projects.getById(deployment.projectId) : null;
  const owned = owner ? await ownedProject(ctx.deps, ctx.caller, owner.name).catch(() => null) : null;
  if (!deployment || !owned) {
    throw new AnchorError({ code: 'DEPLOYMENT_NOT_FOUND', kind: 'not-found', message: 'There is no deployment with that id among your projects.', hint: 'Run "anchor deployments ls <project>" to see a project\'s deployments.' });
  }
  return { project: owned, deployment };
}

const createProject = z.strictObject({ name: z.string().max(63), repo: z.string().min(1).max(512), branch: z.string().max(255).optional() });

export const PROJECT_ROUTES: Route[] = [
  {
    method: 'GET',
    path: `${V1}/projects`,
    scope: 'read',
    handler: async (ctx) => {
      const limit = pageLimit(ctx.query);
      const after = ctx.query.get('cursor') ?? '';
      const all = await ctx.deps.projects.list();
      const owners = await Promise.all(all.map((p) => ctx.deps.access.ownerOf(p.id)));
      const mine = all.filter((p, i) => owners[i] === ctx.caller.ownerId && (ctx.caller.projectId === null || ctx.caller.projectId === p.id) && p.name > after);
      const page = mine.slice(0, limit);
      const items = await Promise.all(page.map((p) => projectView(ctx.deps, p)));
      return jsonResponse(200, { items, nextCursor: mine.length > limit ? (page[page.length - 1]?.name ?? null) : null });
    },
  },
  {
    method: 'POST',
    path: `${V1}/projects`,
    scope: 'write',
    handler: async (ctx) => {
      if (ctx.caller.projectId !== null) throw restricted();
      const input = parseBodyWith(createProject, ctx.body);
      // A remote caller names a repository by URL: never a path on the platform's machine.
      const repo = parseRepo(input.repo, () => null);
      if (repo.kind === 'git' && !/^https:\/\//.test(repo.url)) {
        throw new AnchorError({ code: 'REPO_INVALID', kind: 'usage', message: `"${input.repo}" is not a repository the API accepts: only GitHub owner/name and https:// git URLs.`, hint: 'Register local paths and file:// repos with "anchor projects add" on the platform\'s machine.' });
      }
      const { project: created, webhook } = await addProject({ ...ctx.deps, repoHooks: null }, { name: input.name, repo, branch: input.branch ?? 'main', root: '', webhookBaseUrl: ctx.deps.webhookBaseUrl });
      await ctx.deps.access.assign(created.id, ctx.caller.ownerId);
      // The webhook to paste into GitHub, said once to the one who made the project (as "projects add" does).
      return jsonResponse(201, { ...(await projectView(ctx.deps, created)), webhook: { url: webhook.url, secret: webhook.secret } });
    },
  },
  {
    method: 'GET',
    path: `${V1}/projects/{name}`,
    scope: 'read',
    handler: async (ctx) => jsonResponse(200, await projectView(ctx.deps, await project(ctx))),
  },
  {
    method: 'DELETE',
    path: `${V1}/projects/{name}`,
    scope: 'write',
    handler: async (ctx) => {
      if (ctx.caller.projectId !== null) throw restricted();
      const p = await project(ctx);
      if (!ctx.deps.removeProject) throw new AnchorError({ code: 'NOT_SUPPORTED', kind: 'conflict', message: 'This platform removes projects from its CLI only.', hint: `Run "anchor projects rm ${p.name}" where the platform runs.` });
      await ctx.deps.removeProject(p.id);
      return noContent();
    },
  },
  {
    method: 'GET',
    path: `${V1}/projects/{name}/deployments`,
    scope: 'read',
    handler: async (ctx) => {
      const p = await project(ctx);
      const limit = pageLimit(ctx.query);
      const before = numberCursor(ctx.query);
      const [all, live] = await Promise.all([ctx.deps.deployments.listByProject(p.id, { limit: 1000 }), ctx.deps.deployments.getLive(p.id)]);
      const rest = all.filter((d) => before === null || d.sequence < before);
      const page = rest.slice(0, limit);
      return jsonResponse(200, { items: page.map((d) => deploymentView(d, live)), nextCursor: rest.length > limit ? String(page[page.length - 1]?.sequence) : null });
    },
  },
  {
    method: 'POST',
    path: `${V1}/projects/{name}/deployments`,
    scope: 'deploy',
    handler: async (ctx) => {
      const p = await project(ctx);
      const input = parseBodyWith(z.strictObject({ ref: z.string().max(255).optional() }), ctx.body);
      const deployment = await requestDeploy(ctx.deps, { project: p.name, ref: input.ref });
      return jsonResponse(202, deploymentView(deployment, null));
    },
  },
  {
    method: 'GET',
    path: `${V1}/projects/{name}/deployments/{id}`,
    scope: 'read',
    handler: async (ctx) => {
      const { project: p, deployment } = await ownedDeployment(ctx);
      return jsonResponse(200, deploymentView(deployment, await ctx.deps.deployments.getLive(p.id)));
    },
  },
  {
    method: 'GET',
    path: `${V1}/deployments/{id}`,
    scope: 'read',
    handler: async (ctx) => {
      const { project: p, deployment } = await deploymentById(ctx);
      return jsonResponse(200, { ...deploymentView(deployment, await ctx.deps.deployments.getLive(p.id)), project: p.name });
    },
  },
  {
    method: 'POST',
    path: `${V1}/projects/{name}/rollback`,
    scope: 'deploy',
    handler: async (ctx) => {
      const p = await project(ctx);
      const input = parseBodyWith(z.strictObject({ to: z.string().max(64).optional() }), ctx.body);
      const result = ctx.deps.rollback ? await ctx.deps.rollback({ project: p.name, to: input.to }) : await rollback(ctx.deps, { project: p.name, to: input.to });
      const [deployment, live] = await Promise.all([ctx.deps.deployments.get(result.to), ctx.deps.deployments.getLive(p.id)]);
      return jsonResponse(200, { live: deployment ? deploymentView(deployment, live) : null, from: result.from, flipMs: result.flipMs });
    },
  },
  {
    method: 'GET',
    path: `${V1}/projects/{name}/deployments/{id}/logs`,
    scope: 'read',
    handler: async (ctx) => {
      const { deployment } = await ownedDeployment(ctx);
      const limit = pageLimit(ctx.query, 200, 1000);
      const after = numberCursor(ctx.query) ?? 0;
      const lines = await ctx.deps.logs.read(deployment.id, { after, limit });
      const items = lines.map((l) => ({ seq: l.n, at: l.at, text: l.text }));
      return jsonResponse(200, { items, nextCursor: lines.length === limit ? String(lines[lines.length - 1]?.n) : null });
    },
  },
  {
    method: 'GET',
    path: `${V1}/projects/{name}/deployments/{id}/logs/stream`,
    scope: 'read',
    handler: async (ctx) => {
      const { deployment } = await ownedDeployment(ctx);
      const lastId = ctx.request.headers['last-event-id'] ?? ctx.query.get('after') ?? '0';
      const after = /^\d{1,15}$/.test(lastId) ? Number(lastId) : 0;
      return {
        status: 200,
        headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' },
        stream: streamLogs(ctx.deps, { deploymentId: deployment.id, after, signal: ctx.request.signal, once: !ctx.deps.holdsStreams }),
      };
    },
  },
];

function restricted(): AnchorError {
  return new AnchorError({ code: 'TOKEN_PROJECT_RESTRICTED', kind: 'auth', message: 'This token is restricted to one project: it cannot create or remove projects.', hint: 'Use a token without --project for that.' });
}
