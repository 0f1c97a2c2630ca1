import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/adapters/local/server/create-local-server.js';
import { readCliEnv } from '../../src/cli/env.js';
import { http } from '../e2e/local-platform.js';
import { runCli, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
let server: LocalServer;
const cli = (args: string[]) => runCli(args, { home: home.dir });

function api(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const port = server.port;
  return http({ method, path, port, headers: { host: `localhost:${port}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } }, body === undefined ? undefined : JSON.stringify(body));
}

beforeAll(async () => {
  home = tempHome();
  expect((await cli(['init', '--local'])).code).toBe(0);
  for (const name of ['shop', 'blog']) mkdirSync(join(home.dir, name), { recursive: true });
  expect((await cli(['owners', 'add', 'acme'])).code).toBe(0);
  expect((await cli(['projects', 'add', 'shop', '--repo', join(home.dir, 'shop'), '--owner', 'acme'])).code).toBe(0);
  expect((await cli(['projects', 'add', 'blog', '--repo', join(home.dir, 'blog')])).code).toBe(0);
  server = await startLocalServer({
    dir: join(home.dir, '.anchor', 'platforms', 'local'),
    baseEnv: { ...readCliEnv(process.env).baseEnv, HOME: home.dir },
    githubToken: undefined,
    githubApiUrl: undefined,
    host: '127.0.0.1',
    port: 0,
    concurrency: 1,
    logStream: { write: () => true },
    api: { dashboardDir: join(home.dir, 'none') },
  });
});

afterAll(async () => {
  await server?.close();
  home?.cleanup();
});

describe('anchor tokens, owners and dashboard against a running anchor server', () => {
  it('a token made by "tokens create" sees its owner\'s projects only, shows its last use, and stops at revoke', async () => {
    const created = await cli(['tokens', 'create', '--name', 'ci', '--owner', 'acme', '--scope', 'deploy', '--expires', '30d', '--json']);
    expect(created.code).toBe(0);
    const made = created.json<{ token: string; id: string; scope: string; owner: string; expiresAt: string }>();
    expect(made.token).toMatch(/^anc_[0-9A-Za-z]{46}$/);
    expect(made).toMatchObject({ scope: 'deploy', owner: 'acme' });
    expect(Date.parse(made.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    // Only the SHA-256 is kept: the token itself is nowhere in the database.
    const stored = server.access;
    expect((await stored.listTokens(null)).map((t) => t.hash)).not.toContain(made.token);

    const listed = await api('GET', '/api/v1/projects', { authorization: `Bearer ${made.token}` });
    expect(listed.status).toBe(200);
    expect(JSON.parse(listed.body).items.map((p: { name: string }) => p.name)).toEqual(['shop']);
    const other = await api('GET', '/api/v1/projects/blog', { authorization: `Bearer ${made.token}` });
    expect(other.status).toBe(404);

    const ls = (await cli(['tokens', 'ls', '--json'])).json<Array<{ id: string; lastUsedAt: string | null }>>();
    expect(ls.find((t) => t.id === made.id)?.lastUsedAt).not.toBeNull();

    expect((await cli(['tokens', 'revoke', made.id])).code).toBe(0);
    const after = await api('GET', '/api/v1/projects', { authorization: `Bearer ${made.token}` });
    expect(after.status).toBe(401);
    expect(JSON.parse(after.body).code).toBe('TOKEN_REVOKED');
  });

  it('"anchor dashboard" makes a link whose code signs in once; cookie writes need the CSRF header', async () => {
    const made = await cli(['dashboard', '--owner', 'acme', '--no-open', '--json']);
    expect(made.code).toBe(0);
    const { url } = made.json<{ url: string }>();
    expect(url).toMatch(/^http:\/\/localhost:\d+\/#code=[0-9A-Za-z]{32}$/);
    const code = url.split('#code=')[1] as string;

    const signIn = await api('POST', '/api/v1/session', {}, { code });
    expect(signIn.status).toBe(200);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0] as string;
    expect(String(signIn.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    const { csrf, owner } = JSON.parse(signIn.body) as { csrf: string; owner: { name: string } };
    expect(owner.name).toBe('acme');
    expect((await api('POST', '/api/v1/session', {}, { code })).status).toBe(401);

    const session = await api('GET', '/api/v1/session', { cookie });
    expect(JSON.parse(session.body)).toMatchObject({ owner: { name: 'acme' }, scope: 'admin', csrf });
    const forged = await api('PUT', '/api/v1/projects/shop/env/GREETING', { cookie }, { value: 'hi' });
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.body).code).toBe('CSRF_MISMATCH');
    const written = await api('PUT', '/api/v1/projects/shop/env/GREETING', { cookie, 'x-anchor-csrf': csrf }, { value: 'hi' });
    expect(written.status).toBe(200);
    expect((await cli(['env', 'ls', 'shop', '--json'])).json<Array<{ key: string; value: string }>>()).toEqual([expect.objectContaining({ key: 'GREETING', value: 'hi' })]);

    expect((await api('DELETE', '/api/v1/session', { cookie, 'x-anchor-csrf': csrf })).status).toBe(204);
    expect((await api('GET', '/api/v1/session', { cookie })).status).toBe(401);
  });

  it('refuses a token lifetime over a year, and an unknown owner', async () => {
    const long = await cli(['tokens', 'create', '--name', 'forever', '--expires', '400d']);
    expect(long.code).not.toBe(0);
    expect(long.stderr).toMatch(/365 days/);
    const nobody = await cli(['tokens', 'create', '--name', 'x', '--owner', 'nobody']);
    expect(nobody.stderr).toMatch(/no owner "nobody"/);
  });
});
