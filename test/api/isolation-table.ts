import { expect } from 'vitest';
import type { Route } from '../../src/core/api/api-types.js';
import type { Access } from '../../src/core/ports/access.js';
import type { Ports } from '../../src/core/ports/index.js';
import { addProject } from '../../src/core/use-cases/projects.js';
import { setEnv } from '../../src/core/use-cases/env.js';
import { addOwner, createToken } from '../../src/core/use-cases/tokens.js';
import type { ApiClient, ApiJson } from './api-client.js';

export type SeedDeps = Pick<Ports, 'projects' | 'deployments' | 'envVars' | 'logs' | 'secrets' | 'clock' | 'ids' | 'repoTokens'> & { access: Access };

export interface TwoOwners {
  a: { ownerId: string; token: string; tokenId: string; project: string; projectId: string; deploymentId: string };
  b: { ownerId: string; token: string; tokenId: string; project: string };
}

/** Owner A with a project, a finished deployment, its log, env vars and a token; owner B with a project of its own and an admin token. */
export async function seedTwoOwners(deps: SeedDeps, webhookBaseUrl: string): Promise<TwoOwners> {
  const ownerA = await addOwner(deps, { name: 'acme' });
  const ownerB = await addOwner(deps, { name: 'bravo' });
  const made = async (ownerId: string, name: string) => {
    const { project } = await addProject({ ...deps, repoHooks: null }, { name, repo: { kind: 'github', owner: 'acme', name, url: `https://github.com/acme/${name}.git` }, branch: 'main', root: '', webhookBaseUrl });
    await deps.access.assign(project.id, ownerId);
    return project;
  };
  const alpha = await made(ownerA.id, 'alpha');
  await made(ownerB.id, 'bravo-site');
  const now = deps.clock.now().toISOString();
  const deployment = await deps.deployments.create({
    id: deps.ids.next('d'), projectId: alpha.id, state: 'failed', commitSha: 'a'.repeat(40), commitMessage: 'first', ref: 'main',
    trigger: { kind: 'manual', ref: 'main' }, transitions: [{ state: 'queued', at: now }, { state: 'failed', at: now }], reason: 'npm run build exited 1', buildId: null, runtimeEnv: null, createdAt: now,
  });
  await deps.logs.append(deployment.id, ['line one', 'line two'], now);
  await setEnv(deps, { project: 'alpha', key: 'PUBLIC_KEY', value: 'visible', secret: false, targets: ['build', 'runtime'] });
  await setEnv(deps, { project: 'alpha', key: 'SECRET_KEY', value: 'hunter2', secret: true, targets: ['runtime'] });
  const tokenA = await createToken(deps, { ownerId: ownerA.id, name: 'a-admin', scope: 'admin', expires: '1d' });
  const tokenB = await createToken(deps, { ownerId: ownerB.id, name: 'b-admin', scope: 'admin', expires: '1d' });
  return {
    a: { ownerId: ownerA.id, token: tokenA.token, tokenId: tokenA.view.id, project: 'alpha', projectId: alpha.id, deploymentId: deployment.id },
    b: { ownerId: ownerB.id, token: tokenB.token, tokenId: tokenB.view.id, project: 'bravo-site' },
  };
}

/** Everything of owner A the API could change, read straight from the stores. */
export async function snapshotOfA(deps: SeedDeps, seeded: TwoOwners): Promise<unknown> {
  const project = await deps.projects.get(seeded.a.project);
  const [deployments, live, env, log, tokens, owner] = await Promise.all([
    deps.deployments.listByProject(seeded.a.projectId, { limit: 100 }),
    deps.deployments.getLive(seeded.a.projectId),
    deps.envVars.list(seeded.a.projectId),
    deps.logs.read(seeded.a.deploymentId, { after: 0 }),
    deps.access.listTokens(seeded.a.ownerId),
    deps.access.ownerOf(seeded.a.projectId),
  ]);
  return { project, deployments, live, env: env.sort((x, y) => x.key.localeCompare(y.key)), log, tokens: tokens.map((t) => ({ ...t, lastUsedAt: null })), owner };
}

interface Expectation {
  status: number;
  code?: string;
  /** For a 2xx: what B sees must hold none of A's things. */
  check?: (json: ApiJson) => void;
}

/** One call per route of the real table: the path aims at A's resources, the body at A's names. */
export function isolationCalls(routes: readonly Route[], seeded: TwoOwners): Array<{ key: string; method: string; path: string; body?: unknown; expect: Expectation }> {
  const params: Record<string, string> = { name: seeded.a.project, id: seeded.a.deploymentId, key: 'SECRET_KEY', domain: 'www.alpha.example.com' };
  const bodies: Record<string, unknown> = {
    'POST /api/v1/session': { token: seeded.b.token },
    'POST /api/v1/projects': { name: seeded.a.project, repo: 'acme/alpha' },
    'POST /api/v1/tokens': { name: 'sneaky', project: seeded.a.project, scope: 'read' },
    'PUT /api/v1/projects/{name}/env/{key}': { value: 'owned', secret: false },
    'POST /api/v1/projects/{name}/env:import': { vars: [{ key: 'SECRET_KEY', value: 'owned', secret: false }, { key: 'NEW_KEY', value: 'owned' }] },
    'POST /api/v1/projects/{name}/domains': { domain: 'evil.example.com' },
    'POST /api/v1/projects/{name}/deployments': {},
    'POST /api/v1/projects/{name}/rollback': {},
  };
  const special: Record<string, Expectation> = {
    'POST /api/v1/session': { status: 200, check: (json) => expect(json.owner.id).toBe(seeded.b.ownerId) },
    'GET /api/v1/session': { status: 200, check: (json) => expect(json.owner.id).toBe(seeded.b.ownerId) },
    'DELETE /api/v1/session': { status: 204 },
    'GET /api/v1/openapi.json': { status: 200 },
    'GET /api/v1/projects': { status: 200, check: (json) => expect(json.items.map((p: { name: string }) => p.name)).toEqual([seeded.b.project]) },
    // Project names are host names, public and unique per platform: taken is all B learns.
    'POST /api/v1/projects': { status: 409, code: 'PROJECT_EXISTS' },
    'GET /api/v1/tokens': { status: 200, check: (json) => expect(json.items.map((t: { id: string }) => t.id)).toEqual([seeded.b.tokenId]) },
    'POST /api/v1/tokens': { status: 404, code: 'PROJECT_NOT_FOUND' },
    'DELETE /api/v1/tokens/{id}': { status: 404, code: 'TOKEN_NOT_FOUND' },
    'GET /api/v1/deployments/{id}': { status: 404, code: 'DEPLOYMENT_NOT_FOUND' },
  };
  return routes.map((route) => {
    const key = `${route.method} ${route.path}`;
    const id = route.path.startsWith('/api/v1/tokens/') ? seeded.a.tokenId : params.id;
    const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(name === 'id' ? (id as string) : (params[name] as string)));
    const expectation = special[key] ?? (route.path.includes('{name}') ? { status: 404, code: 'PROJECT_NOT_FOUND' } : undefined);
    if (!expectation) throw new Error(`The isolation table has no expectation for ${key}: add one.`);
    return { key, method: route.method, path, ...(key in bodies ? { body: bodies[key] } : route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} }), expect: expectation };
  });
}

/** Runs every call with B's token and checks each answer. */
export async function runIsolationTable(client: ApiClient, routes: readonly Route[], seeded: TwoOwners): Promise<number> {
  const calls = isolationCalls(routes, seeded);
  for (const call of calls) {
    const answer = await client.as(seeded.b.token).call(call.method, call.path, call.body);
    expect({ route: call.key, status: answer.status, code: answer.json?.code }).toEqual({ route: call.key, status: call.expect.status, code: call.expect.code });
    call.expect.check?.(answer.json);
    // Nothing of A's ever comes back, whatever the status.
    expect(answer.body).not.toContain(seeded.a.deploymentId);
    expect(answer.body).not.toContain('hunter2');
  }
  return calls.length;
}
