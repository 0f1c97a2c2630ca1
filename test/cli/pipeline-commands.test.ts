import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/adapters/local/server/create-local-server.js';
import { readCliEnv } from '../../src/cli/env.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { FixtureRepo } from '../unit/process-builder-fixture.js';
import { http, sandboxFolders } from '../e2e/local-platform.js';
import { chmodSync, rmSync } from 'node:fs';
import { runCli, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
let server: LocalServer;
let port: number;
let repo: FixtureRepo;
const cli = (...args: string[]) => runCli(args, { home: home.dir });
const page = async () => (await http({ method: 'GET', path: '/', headers: { host: `shop.localhost:${port}` }, port })).body;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

beforeAll(async () => {
  home = tempHome();
  // The projects' sandbox uids must pass through to the repository in it.
  chmodSync(home.dir, 0o711);
  port = await freePort();
  expect((await cli('init', '--local', '--port', String(port))).code).toBe(0);
  repo = new FixtureRepo(join(home.dir, 'repo'));
  repo.commit(pipelineAppFiles({ version: 'v1' }), 'first version');
  expect((await cli('projects', 'add', 'shop', '--repo', repo.dir)).code).toBe(0);
  server = await startLocalServer({ dir: join(home.dir, '.anchor', 'platforms', 'local'), baseEnv: { ...readCliEnv(process.env).baseEnv, HOME: home.dir }, githubToken: undefined, githubApiUrl: undefined, host: '127.0.0.1', port, concurrency: 2, logStream: { write: () => true } });
});
afterAll(async () => {
  const leftovers = server ? await sandboxFolders(server) : [];
  await server?.close();
  home.cleanup();
  for (const dir of leftovers) rmSync(dir, { recursive: true, force: true });
});

describe('deploy, logs, deployments and rollback on a local platform', () => {
  let first = '';
  let second = '';

  it('deploy --follow builds the branch head and streams JSON lines until live', async () => {
    const result = await cli('deploy', 'shop', '--follow', '--json');
    expect(result.code).toBe(0);
    const events = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; text?: string; state?: string; deploymentId: string; url?: string });
    expect(events.slice(0, -1).every((e) => e.type === 'line')).toBe(true);
    expect(events.map((e) => e.text).join('\n')).toContain('Deploy of main requested from the CLI.');
    expect(events.at(-1)).toMatchObject({ type: 'end', state: 'live', url: `http://shop.localhost:${port}` });
    first = events.at(-1)?.deploymentId ?? '';
    expect(await page()).toContain('<h1>v1</h1>');
  });

  it('rollback with only one live deployment refuses with a hint (exit 4)', async () => {
    const result = await cli('rollback', 'shop');
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('nothing to roll back to');
  });

  it('a second deploy, then deployments ls and show tell state, commit, trigger and time per phase', async () => {
    expect((await cli('env', 'set', 'shop', 'API_KEY=sk_live_runtime_42', '--secret', '--target', 'runtime')).code).toBe(0);
    repo.commit(pipelineAppFiles({ version: 'v2' }), 'second version');
    const queued = await cli('deploy', 'shop', '--json');
    expect(queued.code).toBe(0);
    second = queued.json<{ deploymentId: string }>().deploymentId;
    const followed = await cli('logs', second, '--follow');
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain('fake open-next: built v2');
    expect(await page()).toContain('<h1>v2</h1>');

    const ls = await cli('deployments', 'ls', 'shop', '--json');
    expect(ls.json()).toMatchObject({ live: second, rollbackTargets: [first], deployments: [{ id: second, state: 'live' }, { id: first, state: 'retired' }] });
    const human = await cli('deployments', 'ls', 'shop');
    expect(human.stdout).toMatch(new RegExp(`${second} ●\\s+live`));
    expect(human.stdout).toMatch(new RegExp(`${first} ↩\\s+retired`));
    const show = await cli('deployments', 'show', second, '--json');
    const shown = show.json<{ state: string; commitMessage: string; phases: Array<{ phase: string; ms: number | null }>; trigger: { kind: string }; lastLines: string[] }>();
    expect(shown.state).toBe('live');
    expect(shown.commitMessage).toBe('second version');
    expect(shown.trigger.kind).toBe('manual');
    expect(shown.phases.map((p) => p.phase)).toEqual(['queued', 'building', 'built', 'deploying', 'live']);
    expect(shown.phases.slice(0, -1).every((p) => typeof p.ms === 'number' && p.ms >= 0)).toBe(true);
    expect(shown.lastLines.at(-1)).toMatch(/Live/);
    const showHuman = await cli('deployments', 'show', second);
    expect(showHuman.stdout).toMatch(/building\s+\d/);

    // The deployment keeps its env with the secret sealed; --json shows that there is one, never its sealed value.
    const sealed = (await server.ports.deployments.get(second))?.runtimeEnv?.API_KEY;
    expect(sealed?.secret).toBe(true);
    expect(sealed?.value.length).toBeGreaterThan(20);
    expect(show.stdout).not.toContain(sealed?.value);
    expect(ls.stdout).not.toContain(sealed?.value);
    expect(show.json<{ runtimeEnv: Record<string, unknown> }>().runtimeEnv.API_KEY).toEqual({ value: null, secret: true });
  });

  it('rollback (through the running server) serves the previous deployment at once', async () => {
    const result = await cli('rollback', 'shop', '--json');
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ from: second, to: first, serverRunning: true });
    expect(await page()).toContain('<h1>v1</h1>');
    // And forward again, by id.
    expect((await cli('rollback', 'shop', second)).code).toBe(0);
    expect(await page()).toContain('<h1>v2</h1>');
  });

  it('logs --follow of a failing deployment exits 7 with the reason', async () => {
    repo.commit(pipelineAppFiles({ version: 'v3', failBuild: true }), 'broken');
    const result = await cli('deploy', 'shop', '--follow');
    expect(result.code).toBe(7);
    expect(result.stdout).toContain('build: Error: Module not found: ./missing');
    expect(result.stderr).toMatch(/Deployment d_\w+ failed: .*Module not found/);
    expect(await page()).toContain('<h1>v2</h1>');
  });

  it('logs <project> shows the newest deployment; unknown ids and projects are exit 3', async () => {
    const result = await cli('logs', 'shop');
    expect(result.stdout).toContain('Build failed');
    expect((await cli('logs', 'd_doesnotexist')).code).toBe(3);
    expect((await cli('logs', 'nope')).code).toBe(3);
    expect((await cli('rollback', 'shop', 'd_doesnotexist')).code).toBe(3);
  });
});
