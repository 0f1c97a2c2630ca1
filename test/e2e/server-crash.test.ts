import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalPorts, type LocalPlatform } from '../../src/adapters/local/create-local-ports.js';
import { BIN, runBin, tempHome } from '../cli/run-cli.js';
import { poll } from '../cli/cli-platform.js';
import { pushPayload, signedDelivery } from '../fakes/github-push.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { FixtureRepo, isAlive, processesWith } from '../unit/process-builder-fixture.js';
import { readIsolationFacts } from '../../src/adapters/local/sandbox/isolation.js';
import { http } from './local-platform.js';

let home: ReturnType<typeof tempHome>;
let env: Record<string, string>;
let server: ChildProcess | null = null;
let port = 0;

let buildDir = '';
const memoryDirs: string[] = [];

function startServer(args: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    server = spawn(process.execPath, [BIN, 'server', '--port', '0', '--json', ...args], { env: { ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    server.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      try {
        ({ port, buildDir } = JSON.parse(out) as { port: number; buildDir: string });
        if (buildDir.startsWith('/dev/shm/anchor-')) memoryDirs.push(dirname(buildDir));
        resolve();
      } catch {
        // Not the whole document yet.
      }
    });
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

beforeEach(async () => {
  home = tempHome();
  chmodSync(home.dir, 0o711);
  env = { PATH: process.env.PATH ?? '', HOME: home.dir, ANCHOR_HOME: join(home.dir, '.anchor'), CI: '1' };
  await runBin(['init', '--local'], { home: home.dir });
});
afterEach(async () => {
  server?.kill('SIGKILL');
  await runBin(['destroy', '--yes'], { home: home.dir });
  home.cleanup();
  // A server killed while it built in memory leaves its folder there: nothing else removes it.
  for (const dir of memoryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const facts = readIsolationFacts(process.env.PATH);
/** Each way a dead server's builds end: with the sandbox (bubblewrap), by uid at the next start, by their recorded groups. */
const isolations = ['auto', ...(facts.isRoot ? ['uid'] : []), 'none'];

describe.each(isolations)('anchor server killed with SIGKILL mid-build (isolation %s)', (isolation) => {
  it('picks the job up again on restart, stops the orphaned build, and the deployment still goes live', async () => {
    const repo = new FixtureRepo(join(home.dir, 'repo'));
    // Without isolation nothing tells a process that left the build's session: none is started then.
    const sha = repo.commit(pipelineAppFiles({ version: 'v1', escapee: isolation !== 'none' }), 'the pushed commit');
    const added = (await runBin(['projects', 'add', 'shop', '--repo', repo.dir, '--json'], { home: home.dir })).json<{ project: { id: string }; webhook: { secret: string } }>();
    const marker = `TEST_BUILD_MARK=${Math.random().toString(36).slice(2)}`;
    await runBin(['env', 'set', 'shop', marker, '--target', 'build'], { home: home.dir });
    await runBin(['env', 'set', 'shop', 'BUILD_SLEEP_MS=60000', '--target', 'build'], { home: home.dir });
    await startServer(['--isolation', isolation]);
    const bwrap = isolation === 'auto' && facts.bwrap !== null && facts.bwrapProblem === null;

    const delivery = signedDelivery(added.webhook.secret, pushPayload({ ref: 'refs/heads/main', after: sha }));
    const answer = await http({ method: 'POST', path: `/webhook/${added.project.id}`, headers: { ...delivery.headers, host: `127.0.0.1:${port}` }, port }, delivery.body);
    expect(answer.status).toBe(202);
    const id = (JSON.parse(answer.body) as { deploymentId: string }).deploymentId;

    const local: LocalPlatform = createLocalPorts({ dir: join(home.dir, '.anchor', 'platforms', 'local'), baseEnv: {}, githubToken: undefined, githubApiUrl: undefined, logStream: { write: () => true } });
    try {
      // The build is running (its processes carry the marker): kill the server without warning.
      const escapee = marker.replace('TEST_BUILD_MARK=', 'escapee-');
      await poll(async () => processesWith(marker).length + (isolation === 'none' ? 1 : processesWith(escapee).length), (n) => n >= 3);
      const orphans = [...processesWith(marker), ...processesWith(escapee)];
      server?.kill('SIGKILL');
      await new Promise((r) => server?.once('exit', r));
      expect((await local.ports.deployments.get(id))?.state).toBe('building');
      // In a sandbox the build dies with the server; otherwise it runs on until the next server ends it.
      if (bwrap) await poll(async () => orphans.filter((pid) => isAlive(pid)), (alive) => alive.length === 0, 15_000);
      else expect(orphans.some((pid) => isAlive(pid))).toBe(true);

      // The retry must not wait a minute: builds are fast from now on.
      await runBin(['env', 'set', 'shop', 'BUILD_SLEEP_MS=0', '--target', 'build'], { home: home.dir });
      repo.commit(pipelineAppFiles({ version: 'v2' }), 'a later commit that was not pushed');
      // Restarted with builds somewhere else: what the dead server left where it built is found all the same.
      const formerBuildDir = buildDir;
      expect(readdirSync(formerBuildDir).filter((name) => !name.endsWith('.procs'))).toHaveLength(1);
      await startServer(['--build-dir', join(home.dir, 'builds-elsewhere'), '--isolation', isolation]);
      expect(buildDir).toBe(join(home.dir, 'builds-elsewhere'));
      await poll(async () => orphans.filter((pid) => isAlive(pid)), (alive) => alive.length === 0, 15_000);
      expect(existsSync(formerBuildDir) ? readdirSync(formerBuildDir) : []).toEqual([]);
      const end = await poll(async () => (await local.ports.deployments.get(id))?.state, (state) => state === 'live' || state === 'failed');
      const log = (await local.ports.logs.read(id, { after: 0 })).map((l) => l.text).join('\n');
      expect(end, log).toBe('live');
      expect(log).toContain('Build started again (try 2)');
      // The second try's build started a daemon of its own too: it ended with that build.
      if (isolation !== 'none') expect(processesWith(escapee)).toEqual([]);
      // The pushed commit went live, not the branch head.
      const page = await http({ method: 'GET', path: '/', headers: { host: `shop.localhost:${port}` }, port });
      expect(page.body).toContain('<h1>v1</h1>');
    } finally {
      server?.kill('SIGTERM');
      await new Promise((r) => server?.once('exit', r));
      server = null;
      await local.close();
    }
  }, 180_000);
});
