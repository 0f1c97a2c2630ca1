import { describe, expect, it, vi } from 'vitest';
import type { Deployment } from '../../../src/core/deployment.js';
import { deployBuilt } from '../../../src/core/use-cases/deploy.js';
import { receiveWebhook } from '../../../src/core/use-cases/receive-webhook.js';
import { requestDeploy } from '../../../src/core/use-cases/request-deploy.js';
import { runBuildJob, type JobOutcome } from '../../../src/core/use-cases/run-build.js';
import { liveSite, memoryPlatform, pushPayload, receiveJob, runJob, sha, signedPush, type MemoryPlatform } from './memory-platform.js';

async function push(p: MemoryPlatform, label: string): Promise<string> {
  const answer = await receiveWebhook(p.ports, signedPush(p, pushPayload(sha(label))));
  expect(answer.status).toBe(202);
  p.ports.clock.advance(100);
  return answer.body.deploymentId ?? '';
}

async function state(p: MemoryPlatform, id: string): Promise<Pick<Deployment, 'state' | 'reason'>> {
  const d = await p.ports.deployments.get(id);
  return { state: d?.state ?? 'queued', reason: d?.reason ?? null };
}

/** A deployment that a worker built and then died before deploying: `built`, its output stored. */
async function leftBuilt(p: MemoryPlatform, label: string): Promise<string> {
  const id = await push(p, label);
  await receiveJob(p);
  const at = p.ports.clock.now().toISOString();
  await p.ports.deployments.transition(id, ['queued'], 'building', at);
  await p.ports.deployments.transition(id, ['building'], 'built', at, { commitSha: sha(label) });
  return id;
}

describe('a newer push supersedes older ones, on the fakes', () => {
  it('supersedes every older queued, building and built deployment, stopping their builds, and goes live itself', async () => {
    const p = await memoryPlatform();
    const building = await push(p, 'building');
    const buildingJob = runBuildJob(p.ports, await receiveJob(p));
    const oldBuild = await p.ports.builder.started(building);
    const built = await leftBuilt(p, 'built');
    const queued = await push(p, 'queued');
    await receiveJob(p);
    const newest = await push(p, 'newest');

    const outcome = await runJob(p, await receiveJob(p));

    expect(outcome).toBe('live');
    const replaced = { state: 'superseded', reason: `A newer deployment (${newest}) replaced it.` };
    for (const id of [building, built, queued]) expect(await state(p, id)).toEqual(replaced);
    expect(oldBuild.state).toBe('stopped');
    // Its job ends without deploying anything: the deployment already ended.
    expect(await buildingJob).toBe('skipped');
    expect(liveSite(p)).toEqual({ functions: newest, assets: newest });
    expect(p.ports.logs.texts(queued)).toContain(`⏭ Superseded by ${newest}: only the newest push of a project is built.`);
  });

  it('a superseded deployment never goes live: not when its job comes again, not when its output is deployed', async () => {
    const p = await memoryPlatform();
    const built = await leftBuilt(p, 'old');
    const newest = await push(p, 'new');
    await runJob(p, await receiveJob(p));
    const redelivered = { receipt: 'r', job: { deploymentId: built, projectId: p.project.id }, attempt: 2 };

    expect(await runBuildJob(p.ports, redelivered)).toBe('skipped');
    expect(await deployBuilt(p.ports, built)).toBe(false);

    expect((await state(p, built)).state).toBe('superseded');
    expect(p.ports.builder.of(built)).toEqual([]);
    expect(liveSite(p)).toEqual({ functions: newest, assets: newest });
  });

  it('100 pushes one after another: each stops the build before it, and only the last goes live', async () => {
    const p = await memoryPlatform();
    const ids: string[] = [];
    const outcomes: Array<Promise<JobOutcome>> = [];
    for (let i = 0; i < 100; i++) {
      ids.push(await push(p, `push ${i}`));
      outcomes.push(runBuildJob(p.ports, await receiveJob(p)));
      await p.ports.builder.started(ids[i] as string);
    }

    (await p.ports.builder.started(ids[99] as string)).succeed();

    expect(await Promise.all(outcomes)).toEqual([...Array<JobOutcome>(99).fill('skipped'), 'live']);
    expect(p.ports.builder.builds.map((b) => b.state)).toEqual([...Array(99).fill('stopped'), 'succeeded']);
    for (let i = 0; i < 99; i++) expect(await state(p, ids[i] as string)).toEqual({ state: 'superseded', reason: `A newer deployment (${ids[i + 1]}) replaced it.` });
    expect(liveSite(p)).toEqual({ functions: ids[99], assets: ids[99] });
  });

  it('100 pushes at once: only the newest is built at all', async () => {
    const p = await memoryPlatform();
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await push(p, `burst ${i}`));

    const outcomes = [];
    for (let i = 0; i < 100; i++) outcomes.push(await runJob(p, await receiveJob(p)));

    // Each older one waits for the newest (it replaces them only once its commit checks out, #10), then is superseded.
    expect(outcomes).toEqual([...Array<JobOutcome>(99).fill('waiting'), 'live']);
    // The newest supersedes them as its checkout is reported, alongside its own deploy.
    await vi.waitFor(async () => {
      for (const id of ids.slice(0, 99)) expect((await state(p, id)).state).toBe('superseded');
    });
    expect(p.ports.builder.builds.map((b) => b.request.deploymentId)).toEqual([ids[99]]);
    expect(p.ports.queue.pending).toEqual([]);
    expect(liveSite(p)).toEqual({ functions: ids[99], assets: ids[99] });
  });

  it('a deploy requested from the CLI supersedes an older push the same way', async () => {
    const p = await memoryPlatform();
    const pushed = await push(p, 'pushed');
    const pushedJob = await receiveJob(p);
    const manual = await requestDeploy(p.ports, { project: 'shop', ref: 'main' });

    expect(await runJob(p, await receiveJob(p))).toBe('live');
    expect(await runJob(p, pushedJob)).toBe('skipped');
    expect((await state(p, pushed)).state).toBe('superseded');
    expect(liveSite(p).functions).toBe(manual.id);
  });
});
