import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BuildWorker } from '../../src/adapters/local/server/build-worker.js';
import { createLocalPorts, type LocalPlatform } from '../../src/adapters/local/create-local-ports.js';
import type { Ports } from '../../src/core/ports/index.js';
import { addProject } from '../../src/core/use-cases/projects.js';
import { requestDeploy } from '../../src/core/use-cases/request-deploy.js';
import { RecordingBuilder } from '../fakes/recording-builder.js';

let dir: string;
let local: LocalPlatform;
let builder: RecordingBuilder;
let worker: BuildWorker;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anchor-worker-'));
  local = createLocalPorts({ dir, baseEnv: {}, githubToken: undefined, githubApiUrl: undefined, logStream: { write: () => true } });
  builder = new RecordingBuilder();
  await addProject({ ...local.ports, repoHooks: null }, { name: 'shop', repo: { kind: 'git', url: 'file:///srv/shop.git' }, branch: 'main', root: '', webhookBaseUrl: 'http://127.0.0.1' });
});
afterEach(async () => {
  await worker?.stop();
  await local.close();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

describe('the local build worker', () => {
  it('a job that keeps failing is tried 3 times, then dead-lettered and its deployment failed with the reason', async () => {
    const ports: Ports = { ...local.ports, builder };
    const deployment = await requestDeploy(ports, { project: 'shop' });
    builder.refuse(deployment.id, new Error('disk full while starting the build'));
    worker = new BuildWorker(ports, local.queue, local.ports.logger, { concurrency: 1, visibilityMs: 1000, pollMs: 20 });
    worker.start();
    const failed = await waitFor(() => ports.deployments.get(deployment.id), (d) => d?.state === 'failed');
    expect(failed?.reason).toBe('Gave up after 3 tries; last error: disk full while starting the build.');
    const log = (await ports.logs.read(deployment.id, { after: 0 })).map((l) => l.text);
    expect(log.at(-1)).toBe('✖ Gave up after 3 tries; last error: disk full while starting the build.');
    // Nothing is left to try.
    expect(await local.queue.receive({ visibilityMs: 1000, max: 10 })).toEqual([]);
  });

  it('a build that starts is not tried again', async () => {
    const ports: Ports = { ...local.ports, builder };
    const deployment = await requestDeploy(ports, { project: 'shop' });
    worker = new BuildWorker(ports, local.queue, local.ports.logger, { concurrency: 1, visibilityMs: 1000, pollMs: 20 });
    worker.start();
    await waitFor(async () => builder.started.length, (n) => n === 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(builder.started.map((b) => b.deploymentId)).toEqual([deployment.id]);
    expect((await ports.deployments.get(deployment.id))?.state).toBe('building');
  });

  it('takes no job while the server is answering a burst, and builds it once the burst is over', async () => {
    const ports: Ports = { ...local.ports, builder };
    const deployment = await requestDeploy(ports, { project: 'shop' });
    let endBurst: () => void = () => undefined;
    let bursting = true;
    const burstOver = new Promise<void>((resolve) => { endBurst = resolve; });
    worker = new BuildWorker(ports, local.queue, local.ports.logger, { concurrency: 1, visibilityMs: 1000, pollMs: 20, quiet: () => (bursting ? burstOver : Promise.resolve()) });
    worker.start();
    await new Promise((r) => setTimeout(r, 400));
    expect(builder.started).toEqual([]);
    expect((await ports.deployments.get(deployment.id))?.state).toBe('queued');
    bursting = false;
    endBurst();
    await waitFor(async () => builder.started.length, (n) => n === 1);
    expect(builder.started.map((b) => b.deploymentId)).toEqual([deployment.id]);
  });

  it('while the queue keeps failing (a full disk), it looks again after a growing pause and logs the streak once', async () => {
    vi.useFakeTimers();
    try {
      const lines: Array<{ level: string; message: string }> = [];
      const logger = { info: (message: string) => lines.push({ level: 'info', message }), warn: (message: string) => lines.push({ level: 'warn', message }), error: (message: string) => lines.push({ level: 'error', message }) };
      // What better-sqlite3 throws when the disk under the file is full.
      const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      const receive = local.queue.receive.bind(local.queue);
      let looks = 0;
      local.queue.receive = async () => {
        looks += 1;
        throw full;
      };
      worker = new BuildWorker({ ...local.ports, builder }, local.queue, logger, { concurrency: 1, pollMs: 250 });
      worker.start();
      await vi.advanceTimersByTimeAsync(60_000);
      // At 4 looks a second that would be 240 looks and 240 error lines.
      expect(looks).toBeLessThanOrEqual(10);
      expect(lines.filter((l) => l.level === 'error')).toEqual([{ level: 'error', message: 'build worker: the disk is full; waiting for space' }]);

      // Space again: the next look succeeds, says so, and the worker builds.
      local.queue.receive = receive;
      const deployment = await requestDeploy(local.ports, { project: 'shop' });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(lines.at(-1)).toEqual({ level: 'info', message: 'build worker: the queue answers again' });
      expect(builder.started.map((b) => b.deploymentId)).toEqual([deployment.id]);
    } finally {
      await worker.stop();
      vi.useRealTimers();
    }
  });
});
