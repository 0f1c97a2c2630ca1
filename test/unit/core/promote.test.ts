import { describe, expect, it } from 'vitest';
import { requestDeploy } from '../../../src/core/use-cases/request-deploy.js';
import { rollback } from '../../../src/core/use-cases/rollback.js';
import { failDeadLetter } from '../../../src/core/use-cases/run-build.js';
import { deploy, liveSite, memoryPlatform, receiveJob, runJob, sha, type MemoryPlatform } from './memory-platform.js';

/** Queues a deployment and runs its job until its smoke request, where it waits for `open()`. */
async function deployingHeld(p: MemoryPlatform, label: string) {
  const queued = await requestDeploy(p.ports, { project: 'shop', ref: sha(label) });
  const gate = p.ports.functions.holdSmoke(queued.id);
  const job = runJob(p, await receiveJob(p));
  await gate.reached;
  return { id: queued.id, open: gate.open, job };
}

describe('the live flip of a deploy, on the fakes', () => {
  it('goes live when only the live revision moved under it (a rollback landed meanwhile)', async () => {
    const p = await memoryPlatform();
    const d0 = (await deploy(p, sha('zero'))).id;
    const d1 = (await deploy(p, sha('one'))).id;
    p.ports.deployments.beforeNextPromote(async () => void (await rollback(p.ports, { project: 'shop', to: d0 })));

    const d2 = await deploy(p, sha('two'));

    expect(d2.state).toBe('live');
    expect(liveSite(p)).toEqual({ functions: d2.id, assets: d2.id });
    expect((await p.ports.deployments.get(d0))?.state).toBe('retired');
    expect((await p.ports.deployments.get(d1))?.state).toBe('retired');
    expect((await p.ports.deployments.getLive(p.project.id))?.revision).toBe(4);
    expect(p.ports.logs.texts(d2.id)).toContain(`✔ Live: ${d2.id} now serves shop.`);
  });

  it('an older deployment that finishes after a newer one went live is not made live', async () => {
    const p = await memoryPlatform();
    const older = await deployingHeld(p, 'older');
    const newer = await deploy(p, sha('newer'));
    expect(newer.state).toBe('live');

    older.open();

    expect(await older.job).toBe('not-live');
    const d = await p.ports.deployments.get(older.id);
    expect(d).toMatchObject({ state: 'superseded', reason: `a newer deployment (${newer.id}) is already live.` });
    expect(liveSite(p)).toEqual({ functions: newer.id, assets: newer.id });
    expect(p.ports.functions.isRunning(older.id)).toBe(false);
  });

  it('a deployment that ended while deploying (its job given up) is not made live', async () => {
    const p = await memoryPlatform();
    const d0 = (await deploy(p, sha('zero'))).id;
    const held = await deployingHeld(p, 'given up');
    await failDeadLetter(p.ports, { job: { deploymentId: held.id, projectId: p.project.id }, attempts: 3, lastError: 'the worker died' });

    held.open();

    expect(await held.job).toBe('not-live');
    expect(await p.ports.deployments.get(held.id)).toMatchObject({ state: 'failed', reason: 'Gave up after 3 tries; last error: the worker died.' });
    expect(p.ports.logs.texts(held.id)).toContain('⏭ Not made live: it was superseded or cancelled while deploying.');
    expect(liveSite(p)).toEqual({ functions: d0, assets: d0 });
    expect(p.ports.functions.isRunning(held.id)).toBe(false);
  });

  it('gives up, leaving live alone, when the live pointer keeps changing under every try', async () => {
    const p = await memoryPlatform();
    const d0 = (await deploy(p, sha('zero'))).id;
    await deploy(p, sha('one'));
    let flips = 0;
    const keepFlipping = async () => {
      flips += 1;
      await rollback(p.ports, { project: 'shop' });
      if (flips < 5) p.ports.deployments.beforeNextPromote(keepFlipping);
    };
    p.ports.deployments.beforeNextPromote(keepFlipping);

    const d2 = await deploy(p, sha('two'));

    expect(d2).toMatchObject({ state: 'superseded', reason: 'the live pointer kept changing; deploy again.' });
    expect(flips).toBe(5);
    // The five rollbacks went back and forth (zero, one, zero, one, zero): the last one stands.
    expect(liveSite(p)).toEqual({ functions: d0, assets: d0 });
  });
});
