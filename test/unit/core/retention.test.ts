import { describe, expect, it } from 'vitest';
import { AnchorError } from '../../../src/core/errors.js';
import { listDeployments } from '../../../src/core/use-cases/deployments.js';
import { applyRetention, RETAINED_DEPLOYMENTS, retainedIds } from '../../../src/core/use-cases/retention.js';
import { requestDeploy } from '../../../src/core/use-cases/request-deploy.js';
import { rollback } from '../../../src/core/use-cases/rollback.js';
import { openNextOutput } from '../../fakes/memory/scripted-builder.js';
import { rejectionOf } from '../../contract/samples.js';
import { deploy, liveSite, memoryPlatform, receiveJob, runJob, sha, type MemoryPlatform } from './memory-platform.js';

async function retained(p: MemoryPlatform, ids: readonly string[]): Promise<string[]> {
  const kept = [];
  for (const id of ids) if (await p.ports.artifacts.get({ projectName: 'shop', deploymentId: id })) kept.push(id);
  return kept;
}

async function deployAll(p: MemoryPlatform, count: number): Promise<string[]> {
  const ids = [];
  for (let i = 0; i < count; i++) ids.push((await deploy(p, sha(`commit ${i}`))).id);
  return ids;
}

describe('retention on the fakes', () => {
  it(`keeps the build output of the newest ${RETAINED_DEPLOYMENTS} deployments that went live; older ones can no longer be rolled back to`, async () => {
    const p = await memoryPlatform();

    const ids = await deployAll(p, RETAINED_DEPLOYMENTS + 3);

    expect(await retained(p, ids)).toEqual(ids.slice(3));
    const error = await rejectionOf(rollback(p.ports, { project: 'shop', to: ids[0] }));
    expect((error as AnchorError).code).toBe('NOT_RETAINED');
    // The history stays: only the build outputs go.
    expect(await p.ports.deployments.listByProject(p.project.id)).toHaveLength(ids.length);
  });

  it('never removes the live deployment or the default rollback target, however old they are', async () => {
    const p = await memoryPlatform();
    const [d1, d2, d3, d4] = (await deployAll(p, 4)) as [string, string, string, string];
    await rollback(p.ports, { project: 'shop', to: d1 });

    const removed = await applyRetention(p.ports, p.project.id, 1);

    // d1 is live again; d4, live just before it, is where a rollback would go.
    expect(removed.sort()).toEqual([d2, d3].sort());
    expect(await retained(p, [d1, d2, d3, d4])).toEqual([d1, d4]);
    expect(liveSite(p)).toEqual({ functions: d1, assets: d1 });
    // What a dropped deployment had published goes with its output: its function versions and its assets.
    expect([d2, d3].map((id) => p.ports.functions.isRunning(id))).toEqual([false, false]);
    expect([d2, d3].map((id) => p.ports.staticHost.published('shop', id, 'logo.txt'))).toEqual([null, null]);
    expect(p.ports.staticHost.published('shop', d4, 'logo.txt')).toBe(`logo of ${d4}`);
    expect((await rollback(p.ports, { project: 'shop' })).to).toBe(d4);
  });

  it('removes the output of deployments that ended without going live, never of one still on its way', async () => {
    const p = await memoryPlatform();
    const [d1] = (await deployAll(p, 1)) as [string];
    const failed = await deploy(p, sha('no sharp'), (build) => build.succeed({ files: openNextOutput('x', { noSharp: true }) }));
    const onItsWay = await requestDeploy(p.ports, { project: 'shop', ref: sha('on its way') });
    const held = p.ports.functions.holdSmoke(onItsWay.id);
    const running = runJob(p, await receiveJob(p));
    await held.reached;

    const removed = await applyRetention(p.ports, p.project.id, 1);

    expect(failed.state).toBe('failed');
    expect(removed).toEqual([failed.id]);
    expect(p.ports.functions.isRunning(onItsWay.id)).toBe(true);
    expect(await retained(p, [d1, onItsWay.id])).toEqual([d1, onItsWay.id]);
    held.open();
    expect(await running).toBe('live');
  });
});

describe('the rule retention and rollback share', () => {
  it('marks as rollback targets exactly the retired deployments retention keeps', async () => {
    const p = await memoryPlatform();
    const ids = await deployAll(p, RETAINED_DEPLOYMENTS + 2);

    const { live, rollbackTargets } = await listDeployments(p.ports, { project: 'shop', limit: 50 });

    expect(live).toBe(ids.at(-1));
    expect(rollbackTargets).toEqual(ids.slice(2, -1).reverse());
    expect(await retained(p, ids)).toEqual(ids.slice(2));
    expect(retainedIds(await p.ports.deployments.listByProject(p.project.id), live)).toEqual(new Set([live, ...rollbackTargets]));
  });
});
