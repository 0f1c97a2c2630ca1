import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalPorts, type LocalPlatform } from '../../src/adapters/local/create-local-ports.js';
import { BIN, runBin, tempHome } from '../cli/run-cli.js';
import { poll } from '../cli/cli-platform.js';
import { pushPayload, signedDelivery } from '../fakes/github-push.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { FixtureRepo, isAlive } from '../unit/process-builder-fixture.js';
import { http } from './local-platform.js';

let home: ReturnType<typeof tempHome>;
let env: Record<string, string>;
let server: ChildProcess | null = null;
let port = 0;

let buildDir = '';
let formerBuildDir = '';

function startServer(args: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    server = spawn(process.execPath, [BIN, 'server', '--port', '0', '--json', ...args], { env: { ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      try {
        ({ port, buildDir } = JSON.parse(out) as { port: number; buildDir: string });
        resolve();
      } catch {
        // Not the whole document yet.
      }
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

beforeAll(async () => {
  home = tempHome();
  env = { PATH: process.env.PATH ?? '', HOME: home.dir, ANCHOR_HOME: join(home.dir, '.anchor'), CI: '1' };
  await runBin(['init', '--local'], { home: home.dir });
});
afterAll(async () => {
  server?.kill('SIGKILL');
  home.cleanup();
  // The first server built in memory (when there was room) and was killed: nothing else removes that.
  if (formerBuildDir.startsWith('/dev/shm/anchor-')) rmSync(dirname(formerBuildDir), { recursive: true, force: true });
});

describe('anchor server killed with SIGKILL mid-build', () => {
  it('picks the job up again on restart, stops the orphaned build, and the deployment still goes live', async () => {
    const repo = new FixtureRepo(join(home.dir, 'repo'));
    const sha = repo.commit(pipelineAppFiles({ version: 'v1' }), 'the pushed commit');
    const added = (await runBin(['projects', 'add', 'shop', '--repo', repo.dir, '--json'], { home: home.dir })).json<{ project: { id: string }; webhook: { secret: string } }>();
    const pids = join(home.dir, 'pids');
    await runBin(['env', 'set', 'shop', `PIDS_FILE=${pids}`, '--target', 'build'], { home: home.dir });
    await runBin(['env', 'set', 'shop', 'BUILD_SLEEP_MS=60000', '--target', 'build'], { home: home.dir });
    await startServer();

    const delivery = signedDelivery(added.webhook.secret, pushPayload({ ref: 'refs/heads/main', after: sha }));
    const answer = await http({ method: 'POST', path: `/webhook/${added.project.id}`, headers: { ...delivery.headers, host: `127.0.0.1:${port}` }, port }, delivery.body);
    expect(answer.status).toBe(202);
    const id = (JSON.parse(answer.body) as { deploymentId: string }).deploymentId;

    const local: LocalPlatform = createLocalPorts({ dir: join(home.dir, '.anchor', 'platforms', 'local'), baseEnv: {}, githubToken: undefined, githubApiUrl: undefined, logStream: { write: () => true } });
    try {
      // The build is running (its processes wrote their pids): kill the server without warning.
      await poll(async () => (existsSync(pids) ? readFileSync(pids, 'utf8').trim().split('\n').length : 0), (n) => n >= 2);
      const orphans = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
      server?.kill('SIGKILL');
      await new Promise((r) => server?.once('exit', r));
      expect((await local.ports.deployments.get(id))?.state).toBe('building');
      expect(orphans.some((pid) => isAlive(pid))).toBe(true);

      // The retry must not wait a minute: builds are fast from now on.
      await runBin(['env', 'set', 'shop', 'BUILD_SLEEP_MS=0', '--target', 'build'], { home: home.dir });
      repo.commit(pipelineAppFiles({ version: 'v2' }), 'a later commit that was not pushed');
      // Restarted with builds somewhere else: what the dead server left where it built is found all the same.
      formerBuildDir = buildDir;
      expect(readdirSync(formerBuildDir)).toHaveLength(1);
      await startServer(['--build-dir', join(home.dir, 'builds-elsewhere')]);
      expect(buildDir).toBe(join(home.dir, 'builds-elsewhere'));
      await poll(async () => orphans.filter((pid) => isAlive(pid)), (alive) => alive.length === 0, 15_000);
      expect(readdirSync(formerBuildDir)).toEqual([]);
      const end = await poll(async () => (await local.ports.deployments.get(id))?.state, (state) => state === 'live' || state === 'failed');
      expect(end).toBe('live');
      const log = (await local.ports.logs.read(id, { after: 0 })).map((l) => l.text).join('\n');
      expect(log).toContain('Build started again (try 2)');
      // The pushed commit went live, not the branch head.
      const page = await http({ method: 'GET', path: '/', headers: { host: `shop.localhost:${port}` }, port });
      expect(page.body).toContain('<h1>v1</h1>');
    } finally {
      await local.close();
    }
  }, 120_000);
});
