import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformStore, type LocalPlatformConfig } from '../../src/cli/platforms.js';
import { newToken } from '../../src/core/api/token-format.js';
import { DEFAULT_OWNER_ID } from '../../src/core/ports/access.js';
import { createToken } from '../../src/core/use-cases/tokens.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { LocalPlatformHarness } from '../e2e/local-platform.js';
import { BIN, runBin, runCli, tempHome, type CliResult } from './run-cli.js';

/**
 * A laptop managing a platform through its HTTP API: a real `anchor server` (local backend) on
 * loopback, the real program in-process with its own ANCHOR_HOME after `anchor login`.
 */
let platform: LocalPlatformHarness;
let laptop: { dir: string; cleanup(): void };
let url: string;
const tokens: Record<'write' | 'read' | 'admin', string> = { write: '', read: '', admin: '' };
/** Everything the CLI printed, to prove no token is ever in it. */
const printed: string[] = [];

async function anchor(args: string[], stdin?: string): Promise<CliResult> {
  const result = await runCli(args, { home: laptop.dir, ...(stdin === undefined ? {} : { stdin }) });
  printed.push(result.stdout, result.stderr);
  return result;
}

const errorCode = (r: CliResult) => (r.json() as { error: { code: string } }).error.code;

beforeAll(async () => {
  platform = await new LocalPlatformHarness().start();
  const deps = { ...platform.server.ports, access: platform.server.access };
  for (const scope of ['write', 'read', 'admin'] as const) tokens[scope] = (await createToken(deps, { ownerId: DEFAULT_OWNER_ID, name: `laptop-${scope}`, scope, expires: '1d' })).token;
  laptop = tempHome();
  url = `http://127.0.0.1:${platform.server.port}`;
  // The same platform as its own machine sees it (platform.json naming the server's dir), for comparing outputs.
  const here = new PlatformStore(join(laptop.dir, '.anchor')).platformDir('here');
  mkdirSync(here, { recursive: true });
  const config: LocalPlatformConfig = { name: 'here', backend: 'local', dir: join(platform.home, 'platform'), createdAt: new Date().toISOString(), server: { host: '127.0.0.1', port: platform.server.port } };
  writeFileSync(join(here, 'platform.json'), JSON.stringify(config));
}, 60_000);

afterAll(async () => {
  await platform?.stop();
  laptop?.cleanup();
});

describe('anchor login', () => {
  it('refuses http:// to anything but this machine, and stores nothing', async () => {
    const refused = await anchor(['login', 'http://anchor.example.com', '--name', 'plain', '--token-stdin', '--json'], tokens.write);
    expect([refused.code, errorCode(refused)]).toEqual([2, 'LOGIN_URL_INVALID']);
    expect(refused.stderr).toContain('https://');
    expect(existsSync(join(laptop.dir, '.anchor', 'platforms', 'plain'))).toBe(false);
  });

  it('refuses a token the platform does not know (exit 5), and stores nothing', async () => {
    const unknown = newToken();
    const refused = await anchor(['login', url, '--name', 'bogus', '--token-stdin', '--json'], unknown);
    expect([refused.code, errorCode(refused)]).toEqual([5, 'TOKEN_INVALID']);
    expect(existsSync(join(laptop.dir, '.anchor', 'platforms', 'bogus'))).toBe(false);
    const malformed = await anchor(['login', url, '--name', 'bogus', '--token-stdin', '--json'], 'not-a-token');
    expect([malformed.code, errorCode(malformed)]).toEqual([2, 'TOKEN_MALFORMED']);
    expect(refused.stdout + refused.stderr).not.toContain(unknown);
  });

  it('checks the token, stores it 0600 beside a platform.json without it, and never prints it', async () => {
    const ok = await anchor(['login', url, '--name', 'remote', '--token-stdin', '--json'], `${tokens.write}\n`);
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ platform: 'remote', url, owner: { id: DEFAULT_OWNER_ID }, scope: 'write' });
    const dir = join(laptop.dir, '.anchor', 'platforms', 'remote');
    expect(statSync(join(dir, 'token')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'token'), 'utf8').trim()).toBe(tokens.write);
    expect(readFileSync(join(dir, 'platform.json'), 'utf8')).not.toContain(tokens.write);
    expect(JSON.parse(readFileSync(join(dir, 'platform.json'), 'utf8'))).toMatchObject({ backend: 'remote', url });
    expect((await anchor(['login', url, '--name', 'reader', '--token-stdin'], tokens.read)).code).toBe(0);
    expect((await anchor(['login', url, '--name', 'admin', '--token-stdin'], tokens.admin)).code).toBe(0);
  });
});

describe('anchor login as a real child process', () => {
  it('takes the token on stdin: it is in neither the argv nor the environment of the process, nor its output', async () => {
    const child = spawn(process.execPath, [BIN, 'login', url, '--name', 'child', '--token-stdin', '--json'], {
      env: { PATH: process.env.PATH ?? '', HOME: laptop.dir, ANCHOR_HOME: join(laptop.dir, '.anchor'), CI: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const seen = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8') + readFileSync(`/proc/${child.pid}/environ`, 'utf8');
    child.stdin.end(`${tokens.read}\n`);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    printed.push(stdout, stderr);
    expect(seen).toContain('--token-stdin');
    expect(seen).not.toContain(tokens.read);
    expect([code, JSON.parse(stdout).scope]).toEqual([0, 'read']);
    const listed = await runBin(['projects', 'ls', '--json', '--platform', 'child'], { home: laptop.dir });
    printed.push(listed.stdout, listed.stderr);
    expect(listed.code).toBe(0);
    expect(listed.json()).toEqual([expect.objectContaining({ name: 'shop', id: platform.project.id })]);
  });
});

describe('the commands on a remote platform', () => {
  it('lists the projects exactly as on the platform\'s machine (--json)', async () => {
    const remote = await anchor(['projects', 'ls', '--json', '--platform', 'remote']);
    const here = await anchor(['projects', 'ls', '--json', '--platform', 'here']);
    expect(remote.code).toBe(0);
    expect(remote.json()).toEqual(here.json());
    expect(remote.json()).toEqual([expect.objectContaining({ name: 'shop', id: platform.project.id })]);
  });

  it('sets env vars and lists them with secrets masked', async () => {
    expect((await anchor(['env', 'set', 'shop', 'PUBLIC_NAME=anchor', '--platform', 'remote'])).code).toBe(0);
    expect((await anchor(['env', 'set', 'shop', 'API_KEY=s3cr3t-value', '--secret', '--platform', 'remote'])).code).toBe(0);
    const listed = await anchor(['env', 'ls', 'shop', '--json', '--platform', 'remote']);
    expect(listed.json()).toEqual([
      expect.objectContaining({ key: 'API_KEY', secret: true, value: null }),
      expect.objectContaining({ key: 'PUBLIC_NAME', secret: false, value: 'anchor' }),
    ]);
    expect(listed.json()).toEqual((await anchor(['env', 'ls', 'shop', '--json', '--platform', 'here'])).json());
    const text = await anchor(['env', 'ls', 'shop', '--platform', 'remote']);
    expect(text.stdout).toContain('••••••••');
    expect(text.stdout).not.toContain('s3cr3t-value');
    const pulled = await anchor(['env', 'pull', 'shop', 'remote.env', '--platform', 'remote']);
    const pulledHere = await anchor(['env', 'pull', 'shop', 'here.env', '--platform', 'here']);
    expect([pulled.code, pulledHere.code]).toEqual([0, 0]);
    expect(readFileSync(join(laptop.dir, 'remote.env'), 'utf8')).toBe(readFileSync(join(laptop.dir, 'here.env'), 'utf8'));
    expect(readFileSync(join(laptop.dir, 'remote.env'), 'utf8')).toContain('PUBLIC_NAME=anchor');
    expect(readFileSync(join(laptop.dir, 'remote.env'), 'utf8')).not.toContain('s3cr3t-value');
    expect((await anchor(['env', 'rm', 'shop', 'PUBLIC_NAME', '--platform', 'remote'])).code).toBe(0);
    expect((await platform.server.ports.envVars.list(platform.project.id)).map((v) => v.key)).toEqual(['API_KEY']);
  });

  it('imports a dotenv file through the API as on the platform\'s machine; a bad line imports nothing (exit 2, named by number)', async () => {
    const keys = async () => (await platform.server.ports.envVars.list(platform.project.id)).map((v) => v.key).sort();
    const before = await keys();
    writeFileSync(join(laptop.dir, 'bad.env'), ['GOOD=1', 'this is not an assignment', 'AWS_REGION=x', 'ALSO_GOOD=2'].join('\n'));
    const bad = await anchor(['env', 'import', 'shop', 'bad.env', '--json', '--platform', 'remote']);
    const badHere = await anchor(['env', 'import', 'shop', 'bad.env', '--json', '--platform', 'here']);
    expect([bad.code, errorCode(bad)]).toEqual([2, 'ENV_IMPORT_INVALID']);
    expect(bad.json()).toEqual(badHere.json());
    expect((bad.json() as { error: { details: { problems: Array<{ line: number }> } } }).error.details.problems.map((p) => p.line)).toEqual([2, 3]);
    expect(await keys()).toEqual(before);

    writeFileSync(join(laptop.dir, 'prod.env'), ['# comment', 'export IMPORTED_PLAIN=value', 'IMPORTED_MULTI="line one', 'line two"', 'IMPORTED_TOKEN=tok-s3cr3t', ''].join('\n'));
    const ok = await anchor(['env', 'import', 'shop', 'prod.env', '--secret', '--target', 'runtime', '--json', '--platform', 'remote']);
    expect(ok.code).toBe(0);
    expect(ok.json()).toEqual({ project: 'shop', imported: ['IMPORTED_PLAIN', 'IMPORTED_MULTI', 'IMPORTED_TOKEN'], secret: true, targets: ['runtime'] });
    expect(ok.stdout).not.toContain('tok-s3cr3t');
    const listed = (await anchor(['env', 'ls', 'shop', '--json', '--platform', 'here'])).json() as Array<{ key: string; value: string | null; secret: boolean; targets: string[] }>;
    expect(listed.filter((v) => v.key.startsWith('IMPORTED_')).map((v) => [v.key, v.value, v.secret, v.targets])).toEqual([
      ['IMPORTED_MULTI', null, true, ['runtime']],
      ['IMPORTED_PLAIN', null, true, ['runtime']],
      ['IMPORTED_TOKEN', null, true, ['runtime']],
    ]);
    const text = await anchor(['env', 'import', 'shop', 'prod.env', '--platform', 'remote']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Imported 3 variables into "shop": IMPORTED_PLAIN, IMPORTED_MULTI, IMPORTED_TOKEN.');
    const values = (await anchor(['env', 'ls', 'shop', '--json', '--platform', 'remote'])).json() as Array<{ key: string; value: string | null }>;
    expect(values.filter((v) => v.key.startsWith('IMPORTED_')).map((v) => [v.key, v.value])).toEqual([['IMPORTED_MULTI', 'line one\nline two'], ['IMPORTED_PLAIN', 'value'], ['IMPORTED_TOKEN', 'tok-s3cr3t']]);
    for (const key of ['IMPORTED_PLAIN', 'IMPORTED_MULTI', 'IMPORTED_TOKEN']) expect((await anchor(['env', 'rm', 'shop', key, '--platform', 'remote'])).code).toBe(0);
    expect(await keys()).toEqual(before);
  });

  it('deploys with --follow, streaming the log until live; deploys again; rolls back; the site follows', async () => {
    platform.repo.commit(pipelineAppFiles({ version: 'v1' }), 'first');
    const first = await anchor(['deploy', 'shop', '--follow', '--platform', 'remote']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/✔ Live/);
    expect(first.stderr).toMatch(/is live: http:\/\/shop\.localhost:/);
    expect((await platform.site('/')).body).toContain('<h1>v1</h1>');

    platform.repo.commit(pipelineAppFiles({ version: 'v2' }), 'second');
    const queued = await anchor(['deploy', 'shop', '--json', '--platform', 'remote']);
    const id = (queued.json() as { deploymentId: string }).deploymentId;
    const followed = await anchor(['logs', id, '--follow', '--json', '--platform', 'remote']);
    expect(followed.code).toBe(0);
    const events = followed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; n?: number; state?: string });
    expect(events.at(-1)).toMatchObject({ type: 'end', state: 'live' });
    const ns = events.filter((e) => e.type === 'line').map((e) => e.n);
    expect(ns).toEqual(ns.map((_, i) => i + 1));
    expect((await platform.site('/')).body).toContain('<h1>v2</h1>');

    const ls = await anchor(['deployments', 'ls', 'shop', '--json', '--platform', 'remote']);
    const local = await anchor(['deployments', 'ls', 'shop', '--json', '--platform', 'here']);
    const pick = (r: CliResult) => {
      const j = r.json() as { live: string; rollbackTargets: string[]; deployments: Array<{ id: string; state: string }> };
      return { live: j.live, rollbackTargets: j.rollbackTargets, deployments: j.deployments.map((d) => [d.id, d.state]) };
    };
    expect(pick(ls)).toEqual(pick(local));
    expect(pick(ls).live).toBe(id);

    const back = await anchor(['rollback', 'shop', '--json', '--platform', 'remote']);
    expect(back.code).toBe(0);
    expect(back.json()).toMatchObject({ project: 'shop', from: id });
    expect((await platform.site('/')).body).toContain('<h1>v1</h1>');

    const shown = await anchor(['deployments', 'show', id, '--platform', 'remote']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('project:  shop');
    expect(shown.stdout).toMatch(/building\s+\d/);
  }, 180_000);

  it('refuses a rollback with a read-scoped token (exit 5, hint) and changes nothing', async () => {
    const live = (await platform.server.ports.deployments.getLive(platform.project.id))?.deploymentId;
    const refused = await anchor(['rollback', 'shop', '--json', '--platform', 'reader']);
    expect([refused.code, errorCode(refused)]).toEqual([5, 'SCOPE_INSUFFICIENT']);
    expect((refused.json() as { error: { hint: string } }).error.hint).toContain('--scope deploy');
    expect((await platform.server.ports.deployments.getLive(platform.project.id))?.deploymentId).toBe(live);
    expect((await anchor(['projects', 'ls', '--platform', 'reader'])).code).toBe(0);
  });

  it('answers a project of nobody it can see as not found (exit 3), and refuses commands that run only on the platform', async () => {
    const missing = await anchor(['env', 'ls', 'nope', '--json', '--platform', 'remote']);
    expect([missing.code, errorCode(missing)]).toEqual([3, 'PROJECT_NOT_FOUND']);
    const doctor = await anchor(['doctor', '--json', '--platform', 'remote']);
    expect([doctor.code, errorCode(doctor)]).toEqual([2, 'REMOTE_NOT_SUPPORTED']);
    const owners = await anchor(['owners', 'ls', '--json', '--platform', 'remote']);
    expect([owners.code, errorCode(owners)]).toEqual([2, 'REMOTE_NOT_SUPPORTED']);
    expect(owners.stderr).toContain('"anchor owners');
  });

  it('adds, lists and removes a custom domain through the API', async () => {
    expect((await anchor(['domains', 'ls', '--json', '--platform', 'remote'])).json()).toEqual({ domains: [] });
    const added = await anchor(['domains', 'add', 'shop.example.com', '--project', 'shop', '--json', '--platform', 'remote']);
    expect(added.code).toBe(0);
    expect(added.json()).toMatchObject({ project: 'shop', added: ['shop.example.com'] });
    const remote = (await anchor(['domains', 'ls', '--json', '--platform', 'remote'])).json() as { domains: Array<{ name: string; project: string; state: string }> };
    const here = (await anchor(['domains', 'ls', '--json', '--platform', 'here'])).json() as { domains: Array<{ name: string; project: string; state: string }> };
    expect(remote.domains.map((d) => [d.name, d.project, d.state])).toEqual(here.domains.map((d) => [d.name, d.project, d.state]));
    expect(remote.domains.map((d) => d.name)).toEqual(['shop.example.com']);
    const www = await anchor(['domains', 'add', 'shop.example.com', '--project', 'shop', '--with-www', '--json', '--platform', 'remote']);
    expect([www.code, errorCode(www)]).toEqual([2, 'REMOTE_NOT_SUPPORTED']);
    expect((await anchor(['domains', 'rm', 'shop.example.com', '--yes', '--platform', 'remote'])).code).toBe(0);
    expect((await anchor(['domains', 'ls', '--json', '--platform', 'here'])).json()).toEqual({ domains: [] });
  });

  it('gives a clear error (exit 5) once the token is revoked, and logout deletes it', async () => {
    const listed = await anchor(['tokens', 'ls', '--json', '--platform', 'admin']);
    const write = (listed.json() as Array<{ id: string; name: string }>).find((t) => t.name === 'laptop-write');
    expect(write).toBeDefined();
    expect((await anchor(['tokens', 'revoke', write?.id ?? '', '--platform', 'admin'])).code).toBe(0);
    const refused = await anchor(['projects', 'ls', '--json', '--platform', 'remote']);
    expect([refused.code, errorCode(refused)]).toEqual([5, 'TOKEN_REVOKED']);
    expect(refused.stderr).toContain(`anchor login ${url} --name remote`);

    expect((await anchor(['logout', '--platform', 'remote'])).code).toBe(0);
    expect(existsSync(join(laptop.dir, '.anchor', 'platforms', 'remote', 'token'))).toBe(false);
    const after = await anchor(['projects', 'ls', '--json', '--platform', 'remote']);
    expect([after.code, errorCode(after)]).toEqual([5, 'NOT_LOGGED_IN']);
  });

  it('never printed a token, and keeps none outside the 0600 token files', () => {
    for (const token of Object.values(tokens)) {
      for (const text of printed) expect(text).not.toContain(token);
    }
    const files = readdirSync(join(laptop.dir, '.anchor'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    for (const file of files) {
      const path = join(file.parentPath, file.name);
      const text = readFileSync(path, 'utf8');
      if (Object.values(tokens).some((t) => text.includes(t))) {
        expect(file.name).toBe('token');
        expect(statSync(path).mode & 0o777).toBe(0o600);
      }
    }
  });
});
