import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/adapters/local/server/create-local-server.js';
import { readCliEnv } from '../../src/cli/env.js';
import { pipelineAppFiles } from '../fakes/pipeline-app.js';
import { FixtureRepo } from '../unit/process-builder-fixture.js';
import { sandboxFolders } from '../e2e/local-platform.js';
import { runBin, runCli, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
let server: LocalServer | null = null;
let platformDir = '';
const cli = (...args: string[]) => runCli(args, { home: home.dir });
const options = () => ({ dir: platformDir, baseEnv: { ...readCliEnv(process.env).baseEnv, HOME: home.dir }, githubToken: undefined, githubApiUrl: undefined, host: '127.0.0.1', port: 0, concurrency: 2, logStream: { write: () => true } });

beforeAll(async () => {
  home = tempHome();
  chmodSync(home.dir, 0o711);
  platformDir = join(home.dir, '.anchor', 'platforms', 'local');
  expect((await cli('init', '--local')).code).toBe(0);
  const repo = new FixtureRepo(join(home.dir, 'repo'));
  repo.commit(pipelineAppFiles({ version: 'v1', buildSleepMs: 6000 }), 'a slow build');
  expect((await cli('projects', 'add', 'shop', '--repo', repo.dir)).code).toBe(0);
  server = await startLocalServer(options());
});
afterAll(async () => {
  await server?.close();
  home.cleanup();
});

async function stateOf(id: string): Promise<string | undefined> {
  return (await server?.ports.deployments.get(id))?.state;
}

describe('one server per platform', () => {
  it('a second server exits 4 naming the first one\'s pid, and changes nothing: not its record, not its running build', async () => {
    const deploy = await cli('deploy', 'shop', '--json');
    const id = deploy.json<{ deploymentId: string }>().deploymentId;
    for (let i = 0; i < 200 && (await stateOf(id)) !== 'building'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await stateOf(id)).toBe('building');
    const record = readFileSync(join(platformDir, 'server.json'), 'utf8');
    expect(JSON.parse(record)).toMatchObject({ pid: process.pid });

    const second = await runBin(['server', '--port', '0'], { home: home.dir });
    expect(second.code).toBe(4);
    expect(second.stderr).toContain(`process ${process.pid}`);
    await expect(startLocalServer(options())).rejects.toMatchObject({ code: 'SERVER_RUNNING', kind: 'conflict', details: { pid: process.pid } });

    expect(readFileSync(join(platformDir, 'server.json'), 'utf8')).toBe(record);
    for (let i = 0; i < 600 && !['live', 'failed', 'superseded', 'cancelled'].includes((await stateOf(id)) ?? ''); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await server?.ports.deployments.get(id)).toMatchObject({ state: 'live' });
  }, 120_000);

  it('destroy --yes refuses while the server holds the platform (exit 4), and the platform stays', async () => {
    const result = await runBin(['destroy', '--yes'], { home: home.dir });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`process ${process.pid}`);
    expect(existsSync(join(platformDir, 'anchor.db'))).toBe(true);
  });

  it('doctor tells who holds the platform and what isolates its sites; a platform dir others may read is a failure (exit 7)', async () => {
    const ok = await runBin(['doctor', '--json'], { home: home.dir });
    const report = ok.json<{ ok: boolean; checks: Array<{ id: string; status: string; message: string }> }>();
    expect(report.checks.find((c) => c.id === 'server-lock')?.message).toContain(`process ${process.pid}`);
    expect(report.checks.find((c) => c.id === 'file-modes')?.status).toBe('ok');
    expect(report.checks.find((c) => c.id === 'isolation')?.status).toBe(server?.isolation.mode === 'uid+bwrap' ? 'ok' : server?.isolation.mode === 'none' ? 'fail' : 'warn');

    chmodSync(platformDir, 0o755);
    try {
      const loose = await runBin(['doctor', '--json'], { home: home.dir });
      expect(loose.code).toBe(7);
      const error = loose.json<{ error: { code: string; details: { checks: Array<{ id: string; status: string; message: string }> } } }>().error;
      expect(error.code).toBe('DOCTOR_FOUND_PROBLEMS');
      expect(error.details.checks.find((c) => c.id === 'file-modes')).toMatchObject({ status: 'fail', message: expect.stringContaining(`${platformDir} is 755`) });
    } finally {
      chmodSync(platformDir, 0o700);
    }
  }, 60_000);

  it('once the server has stopped, destroy removes the platform and what its projects had outside it', async () => {
    const outside = server ? await sandboxFolders(server) : [];
    await server?.close();
    server = null;
    const result = await runBin(['destroy', '--yes'], { home: home.dir });
    expect(result.code).toBe(0);
    expect(existsSync(platformDir)).toBe(false);
    for (const dir of outside) {
      expect(existsSync(dir)).toBe(false);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
