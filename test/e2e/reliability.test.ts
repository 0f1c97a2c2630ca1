import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deployBuilt } from '../../src/core/use-cases/deploy.js';
import { setEnv } from '../../src/core/use-cases/env.js';
import { rollback } from '../../src/core/use-cases/rollback.js';
import { showDeployment } from '../../src/core/use-cases/deployments.js';
import { pipelineAppFiles, type SiteConfig } from '../fakes/pipeline-app.js';
import { isAlive, processesWith } from '../unit/process-builder-fixture.js';
import { LocalPlatformHarness } from './local-platform.js';

let platform: LocalPlatformHarness;
beforeEach(async () => {
  platform = await new LocalPlatformHarness().start({ concurrency: 2 });
});
afterEach(async () => platform.stop());

async function deploy(site: SiteConfig): Promise<string> {
  const sha = platform.repo.commit(pipelineAppFiles(site), site.version);
  const answer = await platform.push(sha);
  expect(answer.status).toBe(202);
  return answer.json.deploymentId ?? '';
}

async function liveV1(): Promise<string> {
  const id = await deploy({ version: 'v1' });
  expect(await platform.waitFor(id, ['live', 'failed'])).toBe('live');
  return id;
}

describe('a failure never takes the live site down', () => {
  it('a failing build: live untouched, the reason and the last log lines in deployments show', async () => {
    const live = await liveV1();
    const id = await deploy({ version: 'v2', failBuild: true });
    expect(await platform.waitFor(id, ['failed', 'live'])).toBe('failed');
    expect((await platform.server.ports.deployments.getLive(platform.project.id))?.deploymentId).toBe(live);
    expect((await platform.site('/')).body).toContain('<h1>v1</h1>');
    const shown = await showDeployment(platform.server.ports, { id, tail: 20 });
    expect(shown.deployment.reason).toMatch(/Module not found: \.\/missing/);
    expect(shown.lastLines.map((l) => l.text).join('\n')).toContain('build: Error: Module not found: ./missing');
  });

  it.each<[string, Partial<SiteConfig>, RegExp]>([
    ['the image function has no sharp', { noSharp: true }, /no sharp/],
    ['sharp is built for another CPU than the functions run on', { sharpArch: process.arch === 'arm64' ? 'x64' : 'arm64' }, /native code for (x64|arm64) but the functions run on/],
    ['the build has no static assets', { noAssets: true }, /assets/],
    ['the server function crashes on start', { crashOnStart: true }, /crash on start \(fixture\)/],
    ['the new version fails its smoke request', { smokeStatus: 500 }, /smoke request: GET \/ answered 500/],
  ])('a fault at a deploy step (%s): failed with a reason, live untouched, site serving', async (_name, fault, reason) => {
    const live = await liveV1();
    const id = await deploy({ version: 'v2', ...fault });
    expect(await platform.waitFor(id, ['failed', 'live'])).toBe('failed');
    const failed = await platform.server.ports.deployments.get(id);
    expect(failed?.reason).toMatch(reason);
    expect(failed?.reason).toContain('The live site was not changed.');
    expect((await platform.server.ports.deployments.getLive(platform.project.id))?.deploymentId).toBe(live);
    const page = await platform.site('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>v1</h1>');
    // The failed version's processes are not left running.
    expect(platform.server.functions.runningDeployments()).not.toContain(id);
  });

  it('a stale deployment that finishes last never takes live', async () => {
    // d_old was queued first (lower sequence) but its build is slow; v2 went live meanwhile.
    const old = await platform.server.ports.deployments.create({ id: 'd_0old', projectId: platform.project.id, state: 'queued', commitSha: null, commitMessage: null, ref: 'main', trigger: { kind: 'manual', ref: 'main' }, transitions: [{ state: 'queued', at: new Date().toISOString() }], reason: null, buildId: null, runtimeEnv: null, createdAt: new Date().toISOString() });
    const v2 = await deploy({ version: 'v2' });
    expect(await platform.waitFor(v2, ['live', 'failed'])).toBe('live');
    const artifact = await platform.server.ports.artifacts.get({ projectName: 'shop', deploymentId: v2 });
    await platform.server.ports.deployments.transition(old.id, ['queued'], 'building', new Date().toISOString());
    await platform.server.ports.deployments.transition(old.id, ['building'], 'built', new Date().toISOString());
    await platform.server.ports.artifacts.store({ projectName: 'shop', deploymentId: old.id }, { kind: 'directory', path: artifact?.location ?? '' });

    expect(await deployBuilt(platform.server.ports, old.id)).toBe(false);

    expect((await platform.server.ports.deployments.get(old.id))?.state).toBe('superseded');
    expect((await platform.server.ports.deployments.getLive(platform.project.id))?.deploymentId).toBe(v2);
    expect((await platform.site('/')).body).toContain('<h1>v2</h1>');
  });
});

describe('many pushes', () => {
  it('five quick pushes: only the newest goes live, the others are superseded and their processes are gone', async () => {
    // Every process of these builds carries the marker in its environment (pids in a sandbox are its own).
    const marker = `TEST_BUILD_MARK=${Math.random().toString(36).slice(2)}`;
    await setEnv(platform.server.ports, { project: 'shop', key: 'TEST_BUILD_MARK', value: marker.split('=')[1] ?? '', secret: false, targets: ['build'] });
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push(await deploy({ version: `v${i}`, buildSleepMs: 4000 }));
    const newest = ids[4] ?? '';
    const seen = new Set<number>();
    const watching = setInterval(() => processesWith(marker).forEach((pid) => seen.add(pid)), 100);
    try {
      expect(await platform.waitFor(newest, ['live', 'failed'])).toBe('live');
    } finally {
      clearInterval(watching);
    }
    for (const id of ids.slice(0, 4)) {
      expect(await platform.waitFor(id, ['superseded', 'cancelled', 'failed', 'live'])).toBe('superseded');
    }
    expect((await platform.site('/')).body).toContain('<h1>v5</h1>');
    expect(seen.size).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    expect([...seen].filter((pid) => isAlive(pid))).toEqual([]);
  }, 120_000);
});

describe('secrets and rollback', () => {
  it('a secret used during the build never appears in the log', async () => {
    await setEnv(platform.server.ports, { project: 'shop', key: 'BUILD_SECRET', value: 'sk_live_9f8e7d6c5b4a', secret: true, targets: ['build'] });
    const id = await liveV1();
    const log = await platform.logText(id);
    expect(log).toContain('build: using the secret *** to fetch data');
    expect(log).not.toContain('sk_live_9f8e7d6c5b4a');
    const raw = readFileSync(join(platform.home, 'platform', 'logs', `${id}.jsonl`), 'utf8');
    expect(raw).not.toContain('sk_live_9f8e7d6c5b4a');
  });

  it('a rollback under continuous requests: no failed request, each response wholly from one version', async () => {
    await liveV1();
    const v2 = await deploy({ version: 'v2' });
    expect(await platform.waitFor(v2, ['live', 'failed'])).toBe('live');
    let stop = false;
    const results: Array<{ status: number; header: string; body: string }> = [];
    const errors: unknown[] = [];
    const worker = async () => {
      while (!stop) {
        try {
          const answer = await platform.site('/?delay=5');
          results.push({ status: answer.status, header: String(answer.headers['x-version']), body: answer.body });
        } catch (error) {
          errors.push(error);
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await new Promise((r) => setTimeout(r, 300));
    const back = await rollback(platform.server.ports, { project: 'shop' });
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(workers);
    expect(back.flipMs).toBeGreaterThanOrEqual(0);
    expect(errors).toEqual([]);
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const versions = new Set(results.map((r) => r.header));
    expect(versions).toEqual(new Set(['v1', 'v2']));
    for (const r of results) expect(r.body).toContain(`<h1>${r.header}</h1>`);
    expect(results.at(-1)?.header).toBe('v1');
  });

  it('rollback refuses clearly when the target is not retained', async () => {
    const v1 = await liveV1();
    const v2 = await deploy({ version: 'v2' });
    await platform.waitFor(v2, ['live']);
    await platform.server.ports.artifacts.remove({ projectName: 'shop', deploymentId: v1 });
    await expect(rollback(platform.server.ports, { project: 'shop', to: v1 })).rejects.toMatchObject({ code: 'NOT_RETAINED', hint: expect.stringContaining('anchor deploy shop --ref') });
    expect((await platform.site('/')).body).toContain('<h1>v2</h1>');
  });
});
