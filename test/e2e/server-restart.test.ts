import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runBin, tempHome } from '../cli/run-cli.js';
import { poll } from '../cli/cli-platform.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { FixtureRepo, isAlive } from '../unit/process-builder-fixture.js';
import { http } from './local-platform.js';

let home: ReturnType<typeof tempHome>;
let env: Record<string, string>;
let server: ChildProcess | null = null;
let serverLog = '';
let port = 0;
const projects = ['alpha', 'beta'];
const live = new Map<string, string>();

function startServer(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'server', '--port', '0', '--json'], { env: { ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    let out = '';
    child.stderr?.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      try {
        ({ port } = JSON.parse(out) as { port: number });
        resolve();
      } catch {
        // Not the whole document yet.
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** SIGKILL, as a crash or the OOM killer would: nothing of the server's shutdown runs. */
async function killServer(): Promise<number[]> {
  const pid = server?.pid ?? 0;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  const exited = new Promise((r) => server?.once('exit', r));
  server?.kill('SIGKILL');
  await exited;
  return children;
}

const site = (project: string) => http({ method: 'GET', path: '/', headers: { host: `${project}.localhost:${port}` }, port });
/** The folder a deployment's runtime folder is in: its project's sandbox area (under the platform dir, or /var/lib/anchor with uids). */
function runtimeDirOf(deploymentId: string): string {
  for (const sites of [join(home.dir, '.anchor', 'platforms', 'local', 'sites'), '/var/lib/anchor/sites']) {
    const areas = existsSync(sites) ? readdirSync(sites) : [];
    const found = areas.map((area) => join(sites, area, 'runtime')).find((dir) => existsSync(join(dir, deploymentId)));
    if (found) return found;
  }
  throw new Error(`no runtime folder for ${deploymentId}`);
}

async function everySiteServes(): Promise<void> {
  for (const project of projects) {
    const page = await poll(() => site(project), (answer) => answer.status === 200, 15_000);
    expect(page.body).toContain(`<h1>${project}</h1>`);
  }
}

beforeAll(async () => {
  home = tempHome();
  env = { PATH: process.env.PATH ?? '', HOME: home.dir, ANCHOR_HOME: join(home.dir, '.anchor'), CI: '1' };
  await runBin(['init', '--local'], { home: home.dir });
  for (const project of projects) {
    const repo = new FixtureRepo(join(home.dir, `repo-${project}`));
    repo.commit(pipelineAppFiles({ version: project }), project);
    expect((await runBin(['projects', 'add', project, '--repo', repo.dir], { home: home.dir })).code).toBe(0);
  }
  await startServer();
  const deployed = await Promise.all(projects.map((project) => runBin(['deploy', project, '--follow', '--json'], { home: home.dir })));
  for (const [i, result] of deployed.entries()) {
    expect(result.code).toBe(0);
    live.set(projects[i] ?? '', (JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as { deploymentId: string }).deploymentId);
  }
  await everySiteServes();
}, 180_000);
afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) await killServer();
  // destroy also removes what the projects had outside the platform dir (their sandbox folders).
  await runBin(['destroy', '--yes'], { home: home.dir });
  home.cleanup();
});

describe('anchor server killed with SIGKILL while sites are live', () => {
  it('serves every site again within seconds after a restart, and its function processes did not outlive it', async () => {
    const orphans = await killServer();
    expect(orphans.length).toBeGreaterThan(0);
    serverLog = '';
    await startServer();
    await everySiteServes();
    await poll(() => orphans.filter(isAlive), (alive) => alive.length === 0, 15_000);
    expect(serverLog).not.toContain('EEXIST');
  }, 60_000);

  it('serves every site again when the crash came in the middle of laying out a runtime folder', async () => {
    await killServer();
    // What a crash mid-way leaves: a scratch folder half made, and (as anchor before this fix made
    // them in place) a deployment's folder with only some of its files.
    const [alpha = '', beta = ''] = projects.map((project) => live.get(project) ?? '');
    const [alphaDir, betaDir] = [runtimeDirOf(alpha), runtimeDirOf(beta)];
    const scratch = join(alphaDir, `.${alpha}.tmp-0badf00d`);
    mkdirSync(join(scratch, 'server-functions', 'default'), { recursive: true });
    rmSync(join(betaDir, beta), { recursive: true, force: true });
    mkdirSync(join(betaDir, beta, 'assets'), { recursive: true });
    cpSync(join(home.dir, '.anchor', 'platforms', 'local', 'artifacts', beta, 'assets'), join(betaDir, beta, 'assets'), { recursive: true });
    serverLog = '';
    await startServer();
    await everySiteServes();
    expect(existsSync(scratch)).toBe(false);
    for (const dir of [alphaDir, betaDir]) expect(readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);
    expect(serverLog).not.toContain('EEXIST');
  }, 60_000);
});
