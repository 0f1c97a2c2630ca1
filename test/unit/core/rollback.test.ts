import { describe, expect, it } from 'vitest';
import { AnchorError } from '../../../src/core/errors.js';
import { setEnv } from '../../../src/core/use-cases/env.js';
import { rollback } from '../../../src/core/use-cases/rollback.js';
import { rejectionOf } from '../../contract/samples.js';
import { deploy, liveSite, memoryPlatform, sha, type MemoryPlatform } from './memory-platform.js';

async function refusal(promise: Promise<unknown>): Promise<AnchorError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(AnchorError);
  return error as AnchorError;
}

/** Three deployments that went live one after another: d1, d2, then d3 (live now). */
async function threeLive(p: MemoryPlatform): Promise<[string, string, string]> {
  const ids = [];
  for (const label of ['one', 'two', 'three']) ids.push((await deploy(p, sha(label))).id);
  return ids as [string, string, string];
}

describe('rollback on the fakes', () => {
  it('by default brings back the deployment that was live just before, functions and assets together', async () => {
    const p = await memoryPlatform();
    const [, d2, d3] = await threeLive(p);

    const result = await rollback(p.ports, { project: 'shop' });

    expect(result).toMatchObject({ project: 'shop', from: d3, to: d2 });
    expect(liveSite(p)).toEqual({ functions: d2, assets: d2 });
    expect((await p.ports.deployments.getLive(p.project.id))?.deploymentId).toBe(d2);
    expect((await p.ports.deployments.get(d3))?.state).toBe('retired');
    expect(p.ports.logs.texts(d2).at(-1)).toBe(`↩ Rolled back to this deployment (from ${d3}).`);
  });

  it('a second rollback undoes the first: the default is whatever was live just before', async () => {
    const p = await memoryPlatform();
    const [, d2, d3] = await threeLive(p);
    await rollback(p.ports, { project: 'shop' });
    p.ports.clock.advance(1_000);

    const second = await rollback(p.ports, { project: 'shop' });

    expect(second).toMatchObject({ from: d2, to: d3 });
    expect(liveSite(p)).toEqual({ functions: d3, assets: d3 });
  });

  it('brings back an explicit target, with the env it ran with, not today\'s', async () => {
    const p = await memoryPlatform();
    await setEnv(p.ports, { project: 'shop', key: 'GREETING', value: 'hello from one', secret: false, targets: ['runtime'] });
    await setEnv(p.ports, { project: 'shop', key: 'API_TOKEN', value: 'tok-one', secret: true, targets: ['runtime'] });
    const [d1, , d3] = await threeLive(p);
    await setEnv(p.ports, { project: 'shop', key: 'GREETING', value: 'hello from today', secret: false, targets: ['runtime'] });
    await p.ports.functions.release('shop', d1);

    await rollback(p.ports, { project: 'shop', to: d1 });

    expect(liveSite(p)).toEqual({ functions: d1, assets: d1 });
    expect(p.ports.functions.envOf(d1)).toEqual({ GREETING: 'hello from one', API_TOKEN: 'tok-one' });
    expect((await p.ports.deployments.get(d3))?.state).toBe('retired');
  });

  it('refuses when nothing is live yet', async () => {
    const p = await memoryPlatform();
    expect(await refusal(rollback(p.ports, { project: 'shop' }))).toMatchObject({ code: 'NOTHING_LIVE', kind: 'conflict' });
  });

  it('refuses when only one deployment was ever live, changing nothing', async () => {
    const p = await memoryPlatform();
    const d1 = (await deploy(p, sha('one'))).id;

    expect(await refusal(rollback(p.ports, { project: 'shop' }))).toMatchObject({ code: 'NO_ROLLBACK_TARGET', kind: 'conflict' });
    expect(liveSite(p)).toEqual({ functions: d1, assets: d1 });
  });

  it('refuses a target whose build output is no longer retained, naming the commit to deploy instead', async () => {
    const p = await memoryPlatform();
    const [d1, , d3] = await threeLive(p);
    await p.ports.artifacts.remove({ projectName: 'shop', deploymentId: d1 });

    const error = await refusal(rollback(p.ports, { project: 'shop', to: d1 }));

    expect(error).toMatchObject({ code: 'NOT_RETAINED', kind: 'conflict' });
    expect(error.hint).toContain(sha('one'));
    expect(liveSite(p)).toEqual({ functions: d3, assets: d3 });
  });

  it('refuses another project\'s deployment as if it did not exist', async () => {
    const p = await memoryPlatform();
    await threeLive(p);
    const other = await p.ports.deployments.create({ id: 'd_blog', projectId: 'p_blog', state: 'queued', commitSha: null, commitMessage: null, ref: 'main', trigger: { kind: 'manual', ref: 'main' }, transitions: [], reason: null, buildId: null, runtimeEnv: null, createdAt: p.ports.clock.now().toISOString() });

    expect(await refusal(rollback(p.ports, { project: 'shop', to: other.id }))).toMatchObject({ code: 'DEPLOYMENT_NOT_FOUND', kind: 'not-found' });
  });

  it('refuses the live deployment itself, and one that never went live', async () => {
    const p = await memoryPlatform();
    const [, , d3] = await threeLive(p);
    const failed = await deploy(p, sha('broken'), (build) => build.fail('npm run build failed (exit 1)'));

    expect(await refusal(rollback(p.ports, { project: 'shop', to: d3 }))).toMatchObject({ code: 'ALREADY_LIVE' });
    expect(await refusal(rollback(p.ports, { project: 'shop', to: failed.id }))).toMatchObject({ code: 'NOT_ROLLBACKABLE' });
  });

  it('refuses, changing nothing, when live changes while it runs; what it started is let go', async () => {
    const p = await memoryPlatform();
    const [d1] = await threeLive(p);
    await p.ports.functions.release('shop', d1);
    const held = p.ports.functions.holdSmoke(d1);

    const rolling = rollback(p.ports, { project: 'shop', to: d1 });
    await held.reached;
    const d4 = (await deploy(p, sha('four'))).id;
    held.open();

    expect(await refusal(rolling)).toMatchObject({ code: 'LIVE_CHANGED', kind: 'conflict' });
    expect(liveSite(p)).toEqual({ functions: d4, assets: d4 });
    expect((await p.ports.deployments.get(d1))?.state).toBe('retired');
    expect(p.ports.functions.isRunning(d1)).toBe(false);
  });

  it('a target whose functions fail their smoke request changes nothing and is let go', async () => {
    const p = await memoryPlatform();
    const [d1, , d3] = await threeLive(p);
    await p.ports.functions.release('shop', d1);
    p.ports.functions.answerSmoke(d1, 502);

    expect(((await rejectionOf(rollback(p.ports, { project: 'shop', to: d1 }))) as Error).message).toContain('502');
    expect(liveSite(p)).toEqual({ functions: d3, assets: d3 });
    expect(p.ports.functions.isRunning(d1)).toBe(false);
  });
});
