import { chmodSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/adapters/local/server/create-local-server.js';
import { readCliEnv } from '../../src/cli/env.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { FixtureRepo, processesWith } from '../unit/process-builder-fixture.js';
import { http, sandboxFolders } from '../e2e/local-platform.js';
import { runCli, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
let server: LocalServer | null = null;
let platformDir = '';
const outside = new Set<string>();
const cli = (...args: string[]) => runCli(args, { home: home.dir });
const page = async () => http({ method: 'GET', path: '/', headers: { host: `shop.localhost:${server?.port ?? 0}` }, port: server?.port ?? 0 });

async function startServer(): Promise<LocalServer> {
  server = await startLocalServer({ dir: platformDir, baseEnv: { ...readCliEnv(process.env).baseEnv, HOME: home.dir }, githubToken: undefined, githubApiUrl: undefined, host: '127.0.0.1', port: 0, concurrency: 2, logStream: { write: () => true } });
  return server;
}

async function rememberOutside(): Promise<void> {
  if (server) for (const dir of await sandboxFolders(server)) outside.add(dir);
}

beforeAll(async () => {
  home = tempHome();
  chmodSync(home.dir, 0o711);
  platformDir = join(home.dir, '.anchor', 'platforms', 'local');
  expect((await cli('init', '--local')).code).toBe(0);
  await startServer();
});
afterAll(async () => {
  await rememberOutside();
  await server?.close();
  home.cleanup();
  for (const dir of outside) rmSync(dir, { recursive: true, force: true });
});

describe('projects rm removes the project', () => {
  it('with a server running: its site stops, its build is stopped, its files go; a new project of that name starts clean', async () => {
    const repo = new FixtureRepo(join(home.dir, 'repo'));
    repo.commit(pipelineAppFiles({ version: 'old' }), 'old');
    expect((await cli('projects', 'add', 'shop', '--repo', repo.dir)).code).toBe(0);
    expect((await cli('env', 'set', 'shop', 'GREETING=the-old-projects-secret', '--secret', '--target', 'runtime')).code).toBe(0);
    const live = (await cli('deploy', 'shop', '--follow', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; deploymentId: string; state?: string }).at(-1);
    expect(live).toMatchObject({ type: 'end', state: 'live' });
    expect((await page()).body).toContain('the-old-projects-secret');

    // A build in progress, its processes marked so the test can find them.
    const marker = `TEST_BUILD_MARK=${Math.random().toString(36).slice(2)}`;
    expect((await cli('env', 'set', 'shop', marker, '--target', 'build')).code).toBe(0);
    expect((await cli('env', 'set', 'shop', 'BUILD_SLEEP_MS=120000', '--target', 'build')).code).toBe(0);
    repo.commit(pipelineAppFiles({ version: 'slow' }), 'slow');
    const building = (await cli('deploy', 'shop', '--json')).json<{ deploymentId: string }>().deploymentId;
    for (let i = 0; i < 300 && processesWith(marker).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const builders = processesWith(marker);
    expect(builders.length).toBeGreaterThanOrEqual(2);
    const project = (await cli('projects', 'show', 'shop', '--json')).json<{ id: string }>();
    await rememberOutside();
    const area = server?.sandbox.sandboxes.areaOf(project.id) ?? null;
    const sitePids = processesWith(`${live?.deploymentId ?? ''}.server`);
    expect(sitePids.length).toBeGreaterThan(0);

    const removed = await cli('projects', 'rm', 'shop', '--yes');
    expect(removed.code).toBe(0);

    expect((await page()).status).toBe(404);
    expect(processesWith(marker)).toEqual([]);
    expect(processesWith(`${live?.deploymentId ?? ''}.server`)).toEqual([]);
    for (const id of [live?.deploymentId ?? '', building]) {
      expect(existsSync(join(platformDir, 'logs', `${id}.jsonl`))).toBe(false);
      expect(existsSync(join(platformDir, 'artifacts', id))).toBe(false);
    }
    expect(existsSync(join(platformDir, 'cache', 'shop'))).toBe(false);
    if (area !== null) expect(existsSync(area)).toBe(false);

    // The same name again: a new project, with nothing of the old one.
    const fresh = new FixtureRepo(join(home.dir, 'repo-new'));
    fresh.commit(pipelineAppFiles({ version: 'new' }), 'new');
    expect((await cli('projects', 'add', 'shop', '--repo', fresh.dir)).code).toBe(0);
    expect((await page()).status).toBe(404);
    expect((await cli('env', 'ls', 'shop', '--json')).json()).toEqual([]);
    expect((await cli('deployments', 'ls', 'shop', '--json')).json()).toMatchObject({ deployments: [] });
    expect((await cli('deploy', 'shop', '--follow')).code).toBe(0);
    const body = (await page()).body;
    expect(body).toContain('<h1>new</h1>');
    expect(body).not.toContain('the-old-projects-secret');
  }, 240_000);

  it('with no server running: the CLI removes it all itself, holding the server lock', async () => {
    await rememberOutside();
    const project = (await cli('projects', 'show', 'shop', '--json')).json<{ id: string }>();
    const area = server?.sandbox.sandboxes.areaOf(project.id) ?? null;
    const deployments = readdirSync(join(platformDir, 'artifacts')).filter((name) => name.startsWith('d_') && !name.endsWith('.json'));
    expect(deployments.length).toBeGreaterThan(0);
    await server?.close();
    server = null;

    expect((await cli('projects', 'rm', 'shop', '--yes')).code).toBe(0);
    for (const id of deployments) expect(existsSync(join(platformDir, 'artifacts', id))).toBe(false);
    if (area !== null) expect(existsSync(area)).toBe(false);
    await startServer();
    expect((server as LocalServer | null)?.functions.route('shop')).toBeNull();
  }, 120_000);
});
