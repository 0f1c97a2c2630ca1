import { beforeEach, describe, expect, it } from 'vitest';
import { ApiRouter, DEFAULT_API_LIMITS, type ApiLimits } from '../../../src/core/api/api-router.js';
import { API_ROUTES } from '../../../src/core/api/api-routes.js';
import type { ApiDeps } from '../../../src/core/api/api-types.js';
import { OPERATIONS } from '../../../src/core/api/openapi.js';
import { isWellFormedToken, newToken } from '../../../src/core/api/token-format.js';
import { addProject } from '../../../src/core/use-cases/projects.js';
import { addOwner, createSignInCode, createToken, revokeToken } from '../../../src/core/use-cases/tokens.js';
import { MemoryAccess } from '../../fakes/memory/memory-access.js';
import { memoryPorts, type MemoryPorts } from '../../fakes/memory/memory-ports.js';

let ports: MemoryPorts;
let access: MemoryAccess;
let ownerId: string;

function router(limits: Partial<ApiLimits> = {}): ApiRouter {
  const deps: ApiDeps = { ...ports, access, siteUrl: (p) => `https://${p.name}.example.com`, webhookBaseUrl: 'https://anchor.example.com', domains: null, holdsStreams: true, rollback: null, removeProject: null };
  return new ApiRouter(deps, API_ROUTES, { ...DEFAULT_API_LIMITS, ...limits });
}

async function call(api: ApiRouter, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string>; ip?: string } = {}) {
  const url = new URL(path, 'http://x');
  const answer = await api.handle({
    method,
    path: url.pathname,
    query: url.searchParams,
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    body: options.body === undefined ? null : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
    ip: options.ip ?? '198.51.100.7',
    secure: true,
  });
  return { ...answer, json: answer.body ? (JSON.parse(answer.body) as Record<string, unknown>) : null };
}

async function token(scope: 'read' | 'deploy' | 'write' | 'admin', extra: { project?: string; expires?: string } = {}) {
  return (await createToken({ ...ports, access }, { ownerId, name: `${scope}-token`, scope, expires: extra.expires ?? '1d', project: extra.project })).token;
}

beforeEach(async () => {
  ports = memoryPorts();
  access = new MemoryAccess();
  ownerId = (await addOwner({ ...ports, access }, { name: 'acme' })).id;
  for (const name of ['alpha', 'beta']) {
    const { project } = await addProject({ ...ports, repoHooks: null }, { name, repo: { kind: 'git', url: `https://git.example.com/${name}.git` }, branch: 'main', root: '', webhookBaseUrl: 'https://anchor.example.com' });
    await access.assign(project.id, ownerId);
  }
});

describe('API tokens', () => {
  it('carry a prefix and a checksum: a one-character typo is refused without a lookup', async () => {
    const t = newToken();
    expect(t).toMatch(/^anc_[0-9A-Za-z]{46}$/);
    expect(isWellFormedToken(t)).toBe(true);
    const typo = t.slice(0, 10) + (t[10] === 'a' ? 'b' : 'a') + t.slice(11);
    expect(isWellFormedToken(typo)).toBe(false);
    const answer = await call(router(), 'GET', '/api/v1/projects', { token: typo });
    expect([answer.status, answer.json?.code]).toEqual([401, 'TOKEN_INVALID']);
  });

  it('stop working when they expire', async () => {
    const api = router();
    const t = await token('read', { expires: '1h' });
    expect((await call(api, 'GET', '/api/v1/projects', { token: t })).status).toBe(200);
    ports.clock.advance(3_600_000);
    const answer = await call(api, 'GET', '/api/v1/projects', { token: t });
    expect([answer.status, answer.json?.code]).toEqual([401, 'TOKEN_EXPIRED']);
  });

  it('stop working when revoked, and so do the dashboard sessions opened with them', async () => {
    const api = router();
    const t = await token('admin');
    const session = await call(api, 'POST', '/api/v1/session', { body: { token: t } });
    const cookie = String(session.headers['set-cookie']).split(';')[0] as string;
    expect((await call(api, 'GET', '/api/v1/session', { headers: { cookie } })).status).toBe(200);
    const id = (await access.listTokens(ownerId))[0]?.id as string;
    await revokeToken({ ...ports, access }, { id, ownerId });
    expect((await call(api, 'GET', '/api/v1/projects', { token: t })).json?.code).toBe('TOKEN_REVOKED');
    expect((await call(api, 'GET', '/api/v1/session', { headers: { cookie } })).status).toBe(401);
  });

  it('may do what their scope allows and get 403 beyond it', async () => {
    const api = router();
    const [read, deploy, write, admin] = [await token('read'), await token('deploy'), await token('write'), await token('admin')];
    const deployNow = (t: string) => call(api, 'POST', '/api/v1/projects/alpha/deployments', { token: t, body: {} });
    const setEnv = (t: string) => call(api, 'PUT', '/api/v1/projects/alpha/env/GREETING', { token: t, body: { value: 'hi' } });
    const listTokens = (t: string) => call(api, 'GET', '/api/v1/tokens', { token: t });
    expect((await deployNow(read)).json?.code).toBe('SCOPE_INSUFFICIENT');
    expect((await deployNow(read)).status).toBe(403);
    expect((await deployNow(deploy)).status).toBe(202);
    expect((await setEnv(deploy)).status).toBe(403);
    expect((await setEnv(write)).status).toBe(200);
    expect((await listTokens(write)).status).toBe(403);
    expect((await listTokens(admin)).status).toBe(200);
    expect(await ports.envVars.list((await ports.projects.get('alpha'))!.id)).toHaveLength(1);
    // Admin tokens make tokens.
    expect((await call(api, 'POST', '/api/v1/tokens', { token: admin, body: { name: 'x', scope: 'admin', expiresIn: '2d' } })).status).toBe(201);
  });

  it('restricted to a project see that project only, and cannot create or remove projects', async () => {
    const api = router();
    const t = await token('write', { project: 'alpha' });
    const list = await call(api, 'GET', '/api/v1/projects', { token: t });
    expect((list.json?.items as Array<{ name: string }>).map((p) => p.name)).toEqual(['alpha']);
    expect((await call(api, 'GET', '/api/v1/projects/beta', { token: t })).status).toBe(404);
    expect((await call(api, 'PUT', '/api/v1/projects/beta/env/X', { token: t, body: { value: '1' } })).status).toBe(404);
    expect((await call(api, 'PUT', '/api/v1/projects/alpha/env/X', { token: t, body: { value: '1' } })).status).toBe(200);
    const create = await call(api, 'POST', '/api/v1/projects', { token: t, body: { name: 'gamma', repo: 'acme/gamma' } });
    expect([create.status, create.json?.code]).toEqual([403, 'TOKEN_PROJECT_RESTRICTED']);
    expect(await ports.projects.get('gamma')).toBeNull();
  });
});

describe('sign-in codes', () => {
  it('work once, within five minutes', async () => {
    const api = router();
    const late = await createSignInCode({ ...ports, access }, { ownerId });
    const fresh = await createSignInCode({ ...ports, access }, { ownerId });
    expect((await call(api, 'POST', '/api/v1/session', { body: { code: fresh.code } })).status).toBe(200);
    expect((await call(api, 'POST', '/api/v1/session', { body: { code: fresh.code } })).json?.code).toBe('CODE_INVALID');
    ports.clock.advance(5 * 60_000);
    expect((await call(api, 'POST', '/api/v1/session', { body: { code: late.code } })).status).toBe(401);
  });
});

describe('limits', () => {
  it('answers 413 for a body over the limit, changing nothing', async () => {
    const api = router({ maxBodyBytes: 1024 });
    const t = await token('write');
    const answer = await call(api, 'PUT', '/api/v1/projects/alpha/env/BIG', { token: t, body: { value: 'x'.repeat(2000) } });
    expect([answer.status, answer.json?.code]).toEqual([413, 'BODY_TOO_LARGE']);
    expect(await ports.envVars.list((await ports.projects.get('alpha'))!.id)).toEqual([]);
  });

  it('answers 429 with Retry-After past the per-token limit, until the window passes', async () => {
    const api = router({ perCaller: { limit: 3, windowMs: 60_000 } });
    const t = await token('read');
    for (let i = 0; i < 3; i++) expect((await call(api, 'GET', '/api/v1/projects', { token: t })).status).toBe(200);
    const limited = await call(api, 'GET', '/api/v1/projects', { token: t });
    expect([limited.status, limited.json?.code, limited.headers['retry-after']]).toEqual([429, 'RATE_LIMITED', '60']);
    // Another token is not held back by this one.
    expect((await call(api, 'GET', '/api/v1/projects', { token: await token('read') })).status).toBe(200);
    ports.clock.advance(60_000);
    expect((await call(api, 'GET', '/api/v1/projects', { token: t })).status).toBe(200);
  });

  it('answers an address that keeps failing to sign in 429, while valid tokens from it still work', async () => {
    const api = router({ failuresPerIp: { limit: 3, windowMs: 60_000 } });
    const good = await token('read');
    for (let i = 0; i < 3; i++) expect((await call(api, 'GET', '/api/v1/projects', { token: newToken(), ip: '203.0.113.9' })).status).toBe(401);
    const limited = await call(api, 'GET', '/api/v1/projects', { token: newToken(), ip: '203.0.113.9' });
    expect([limited.status, limited.json?.code, limited.headers['retry-after']]).toEqual([429, 'RATE_LIMITED', '60']);
    expect((await call(api, 'POST', '/api/v1/session', { body: { code: 'x'.repeat(32) }, ip: '203.0.113.9' })).status).toBe(429);
    // Behind a proxy every client has one address: the one guessing does not lock the others out.
    expect((await call(api, 'GET', '/api/v1/projects', { token: good, ip: '203.0.113.9' })).status).toBe(200);
    expect((await call(api, 'POST', '/api/v1/session', { body: { token: good }, ip: '203.0.113.9' })).status).toBe(200);
    ports.clock.advance(60_000);
    expect((await call(api, 'GET', '/api/v1/projects', { token: newToken(), ip: '203.0.113.9' })).status).toBe(401);
  });
});

describe('the OpenAPI document', () => {
  it('describes exactly the routes the router has, each with its scope and path parameters', async () => {
    const routes = API_ROUTES.map((r) => `${r.method} ${r.path}`).sort();
    expect(Object.keys(OPERATIONS).sort()).toEqual(routes);
    for (const route of API_ROUTES) expect({ route: `${route.method} ${route.path}`, scope: OPERATIONS[`${route.method} ${route.path}`]?.scope }).toEqual({ route: `${route.method} ${route.path}`, scope: route.scope });
    const served = await call(router(), 'GET', '/api/v1/openapi.json');
    expect(served.status).toBe(200);
    const doc = served.json as { openapi: string; paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    expect(documented).toEqual(routes);
    for (const [path, methods] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(methods)) expect(op.parameters?.filter((p) => p.in === 'path').map((p) => p.name) ?? []).toEqual(names);
    }
  });

  it('has every route reachable: no documented route answers "no such route"', async () => {
    const api = router();
    const t = await token('admin');
    for (const route of API_ROUTES) {
      const path = route.path.replace(/\{\w+\}/g, 'zzz');
      const answer = await call(api, route.method, path, { token: t, ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} }) });
      expect({ route: route.path, code: answer.json?.code }).not.toEqual({ route: route.path, code: 'ROUTE_NOT_FOUND' });
    }
  });
});

describe('projects made through the API', () => {
  it('belong to the caller, answer the webhook to paste into GitHub once, and refuse paths on the platform\'s machine', async () => {
    const api = router();
    const t = await token('write');
    const made = await call(api, 'POST', '/api/v1/projects', { token: t, body: { name: 'gamma', repo: 'acme/gamma' } });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ name: 'gamma', repo: 'acme/gamma', branch: 'main', url: 'https://gamma.example.com', live: null, latest: null });
    const webhook = made.json?.webhook as { url: string; secret: string };
    const project = await ports.projects.get('gamma');
    expect(webhook.url).toBe(`https://anchor.example.com/webhook/${project!.id}`);
    expect(webhook.secret).toBe(await ports.secrets.open(project!.webhookSecret));
    expect(await access.ownerOf(project!.id)).toBe(ownerId);
    expect((await call(api, 'GET', '/api/v1/projects/gamma', { token: t })).json).not.toHaveProperty('webhook');
    for (const repo of ['/etc', './secret-repo', 'file:///root/repo', 'http://git.example.com/x.git']) {
      const refused = await call(api, 'POST', '/api/v1/projects', { token: t, body: { name: 'delta', repo } });
      expect({ repo, status: refused.status }).toEqual({ repo, status: 400 });
    }
    expect(await ports.projects.get('delta')).toBeNull();
  });
});

describe('path values', () => {
  it('that no resource can have are not found (or refused) without reaching the store', async () => {
    const api = router();
    const t = await token('admin');
    const long = 'a'.repeat(5000);
    expect((await call(api, 'GET', `/api/v1/projects/${long}`, { token: t })).json?.code).toBe('PROJECT_NOT_FOUND');
    expect((await call(api, 'GET', `/api/v1/projects/alpha/deployments/d_${long}`, { token: t })).json?.code).toBe('DEPLOYMENT_NOT_FOUND');
    expect((await call(api, 'DELETE', `/api/v1/tokens/t_${long}`, { token: t })).json?.code).toBe('TOKEN_NOT_FOUND');
    const key = await call(api, 'DELETE', `/api/v1/projects/alpha/env/K${long}`, { token: t });
    expect([key.status, key.json?.code]).toEqual([400, 'ENV_KEY_INVALID']);
    expect(key.body).not.toContain(long);
    expect((await call(api, 'GET', '/api/v1/projects/%E0%A4%A', { token: t })).json?.code).toBe('ROUTE_NOT_FOUND');
  });
});
