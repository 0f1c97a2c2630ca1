import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES } from '../../src/core/api/api-routes.js';
import { LocalPlatformHarness, http } from './local-platform.js';
import { ApiClient } from '../api/api-client.js';
import { createToken } from '../../src/core/use-cases/tokens.js';
import { runIsolationTable, seedTwoOwners, snapshotOfA, type SeedDeps, type TwoOwners } from '../api/isolation-table.js';

let platform: LocalPlatformHarness;
let client: ApiClient;
let seeded: TwoOwners;
let deps: SeedDeps;

beforeAll(async () => {
  platform = new LocalPlatformHarness();
  await platform.startServer({ server: { api: { dashboardDir: `${platform.home}/no-dashboard` } } });
  deps = { ...platform.server.ports, access: platform.server.access };
  seeded = await seedTwoOwners(deps, `http://127.0.0.1:${platform.server.port}`);
  const port = platform.server.port;
  client = new ApiClient((r) => http({ method: r.method, path: r.path, headers: { host: `127.0.0.1:${port}`, ...r.headers }, port }, r.body));
});

afterAll(async () => {
  await platform?.stop();
});

describe('the platform API on anchor server (real server, real SQLite)', () => {
  it("answers every route with owner B's token on owner A's resources as if they did not exist, and changes nothing", async () => {
    const before = await snapshotOfA(deps, seeded);
    const calls = await runIsolationTable(client, API_ROUTES, seeded);
    expect(calls).toBe(API_ROUTES.length);
    expect(await snapshotOfA(deps, seeded)).toEqual(before);
  });

  it("shows owner A its own project, deployment, log and env, secrets write-only", async () => {
    const a = client.as(seeded.a.token);
    const projects = await a.call('GET', '/api/v1/projects');
    expect(projects.status).toBe(200);
    expect(projects.json.items.map((p: { name: string }) => p.name)).toEqual(['alpha']);
    expect(projects.json.items[0]).toMatchObject({ repo: 'acme/alpha', branch: 'main', url: `http://alpha.localhost:${platform.server.port}`, live: null, latest: { id: seeded.a.deploymentId, state: 'failed' } });
    const deployments = await a.call('GET', '/api/v1/projects/alpha/deployments');
    expect(deployments.json.items[0]).toMatchObject({ id: seeded.a.deploymentId, state: 'failed', live: false, error: { code: 'DEPLOYMENT_FAILED', message: 'npm run build exited 1' } });
    const logs = await a.call('GET', `/api/v1/projects/alpha/deployments/${seeded.a.deploymentId}/logs`);
    expect(logs.json.items.map((l: { text: string }) => l.text)).toEqual(['line one', 'line two']);
    const env = await a.call('GET', '/api/v1/projects/alpha/env');
    expect(env.json.items).toEqual([
      expect.objectContaining({ key: 'PUBLIC_KEY', secret: false, value: 'visible' }),
      expect.objectContaining({ key: 'SECRET_KEY', secret: true, value: null }),
    ]);
    expect(env.body).not.toContain('hunter2');
  });

  it('is not served on a site host, and the dashboard says when it is not built', async () => {
    const port = platform.server.port;
    const onSite = await http({ method: 'GET', path: '/api/v1/projects', headers: { host: `alpha.localhost:${port}`, authorization: `Bearer ${seeded.a.token}` }, port });
    expect(onSite.body).not.toContain('"items"');
    const page = await http({ method: 'GET', path: '/projects/alpha', headers: { host: `localhost:${port}` }, port });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('dashboard is not built');
  });

  it('refuses a body over 256 KB with 413 before reading it, and writes nothing', async () => {
    const port = platform.server.port;
    const body = JSON.stringify({ value: 'x'.repeat(300 * 1024) });
    const answer = await http({ method: 'PUT', path: '/api/v1/projects/alpha/env/BIG', port, headers: { host: `localhost:${port}`, authorization: `Bearer ${seeded.a.token}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, body);
    expect([answer.status, JSON.parse(answer.body).code]).toEqual([413, 'BODY_TOO_LARGE']);
    expect((await deps.envVars.list(seeded.a.projectId)).map((v) => v.key)).not.toContain('BIG');
  });

  it('imports many env vars at once, all or nothing, secrets write-only; a read token may not', async () => {
    const a = client.as(seeded.a.token);
    const keys = async () => (await deps.envVars.list(seeded.a.projectId)).map((v) => v.key).sort();
    const before = await keys();
    const bad = await a.call('POST', '/api/v1/projects/alpha/env:import', { vars: [{ key: 'FIRST', value: '1' }, { key: 'AWS_REGION', value: 'x' }, { key: 'NUL', value: 'a\u0000b' }] });
    expect([bad.status, bad.json.code]).toEqual([400, 'ENV_IMPORT_INVALID']);
    expect(bad.json.message).toContain('vars[1]');
    expect(bad.json.message).toContain('vars[2]');
    const tooBig = await a.call('POST', '/api/v1/projects/alpha/env:import', { vars: [{ key: 'FIRST', value: '1' }, { key: 'BIG_RUNTIME', value: 'x'.repeat(4000), targets: ['runtime'] }] });
    expect([tooBig.status, tooBig.json.code]).toEqual([400, 'ENV_RUNTIME_TOO_LARGE']);
    const longKey = await a.call('POST', '/api/v1/projects/alpha/env:import', { vars: [{ key: 'K'.repeat(300), value: '1' }] });
    expect([longKey.status, longKey.json.code]).toEqual([400, 'ENV_KEY_INVALID']);
    const shape = await a.call('POST', '/api/v1/projects/alpha/env:import', { vars: [{ key: 'FIRST' }] });
    expect([shape.status, shape.json.code]).toEqual([400, 'BODY_INVALID']);
    expect(await keys()).toEqual(before);

    const readToken = (await createToken(deps, { ownerId: seeded.a.ownerId, name: 'a-read', scope: 'read', expires: '1d' })).token;
    const refused = await client.as(readToken).call('POST', '/api/v1/projects/alpha/env:import', { vars: [{ key: 'FIRST', value: '1' }] });
    expect([refused.status, refused.json.code]).toEqual([403, 'SCOPE_INSUFFICIENT']);
    expect(await keys()).toEqual(before);

    const ok = await a.call('POST', '/api/v1/projects/alpha/env:import', { vars: [{ key: 'FIRST', value: '1' }, { key: 'IMPORTED_SECRET', value: 'pa55w0rd', secret: true, targets: ['runtime'] }, { key: 'FIRST', value: '2' }] });
    expect([ok.status, ok.json]).toEqual([200, { imported: ['FIRST', 'IMPORTED_SECRET'] }]);
    expect(ok.body).not.toContain('pa55w0rd');
    const env = await a.call('GET', '/api/v1/projects/alpha/env');
    expect(env.json.items.filter((v: { key: string }) => ['FIRST', 'IMPORTED_SECRET'].includes(v.key))).toEqual([
      expect.objectContaining({ key: 'FIRST', secret: false, value: '2', targets: ['build', 'runtime'] }),
      expect.objectContaining({ key: 'IMPORTED_SECRET', secret: true, value: null, targets: ['runtime'] }),
    ]);
    expect(env.body).not.toContain('pa55w0rd');
    for (const key of ['FIRST', 'IMPORTED_SECRET']) expect((await a.call('DELETE', `/api/v1/projects/alpha/env/${key}`)).status).toBe(204);
    expect(await keys()).toEqual(before);
  });

  it('answers 401 without a token, and never echoes the token it was sent', async () => {
    const none = await client.as(null).call('GET', '/api/v1/projects');
    expect([none.status, none.json.code, none.headers['www-authenticate']]).toEqual([401, 'AUTH_REQUIRED', 'Bearer realm="anchor"']);
    const unknown = 'anc_' + 'A'.repeat(46);
    const bad = await client.as(unknown).call('GET', '/api/v1/projects');
    expect(bad.status).toBe(401);
    expect(bad.body).not.toContain(unknown);
    expect(platform.serverLog.join('')).not.toContain(seeded.a.token);
  });

  it("lets owner A remove its own project through the API, with its env and deployments, and list its domains", async () => {
    const a = client.as(seeded.a.token);
    expect((await a.call('GET', '/api/v1/projects/alpha/domains')).json).toEqual({ items: [], nextCursor: null });
    const made = await a.call('POST', '/api/v1/projects', { name: 'alpha-old', repo: 'https://git.example.com/acme/old.git' });
    expect(made.status).toBe(201);
    expect((await a.call('PUT', '/api/v1/projects/alpha-old/env/KEY', { value: 'v' })).status).toBe(200);
    const id = (await deps.projects.get('alpha-old'))!.id;
    expect((await client.as(seeded.b.token).call('DELETE', '/api/v1/projects/alpha-old')).status).toBe(404);
    expect(await deps.projects.get('alpha-old')).not.toBeNull();
    expect((await a.call('DELETE', '/api/v1/projects/alpha-old')).status).toBe(204);
    expect(await deps.projects.get('alpha-old')).toBeNull();
    expect(await deps.envVars.list(id)).toEqual([]);
    expect((await a.call('GET', '/api/v1/projects/alpha-old')).status).toBe(404);
  });
});
