import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
});
