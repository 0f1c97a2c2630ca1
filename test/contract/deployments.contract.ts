import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Deployments } from '../../src/core/ports/deployments.js';
import type { Projects } from '../../src/core/ports/projects.js';
import { ensureProjects, rejectionOf, sampleDeployment } from './samples.js';

export interface DeploymentsSubject {
  deployments: Deployments;
  /** Given when the backend's storage needs a project to exist before its deployments. */
  projects?: Projects;
  cleanup(): Promise<void>;
}

const T0 = '2025-01-01T00:00:00.000Z';
const at = (minute: number) => `2025-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

export function describeDeploymentsContract(name: string, makeAdapter: () => Promise<DeploymentsSubject>): void {
  describe(`Deployments contract: ${name}`, () => {
    let s: DeploymentsSubject;
    beforeEach(async () => {
      s = await makeAdapter();
      await ensureProjects(s.projects, ['p_shop', 'p_blog']);
    });
    afterEach(async () => {
      await s.cleanup();
    });

    /** Walks a queued deployment through the pipeline up to `deploying`. */
    async function readyToGoLive(id: string, projectId = 'p_shop') {
      await s.deployments.create(sampleDeployment(id, projectId));
      await s.deployments.transition(id, ['queued'], 'building', at(1));
      await s.deployments.transition(id, ['building'], 'built', at(2));
      return s.deployments.transition(id, ['built'], 'deploying', at(3));
    }

    describe('create', () => {
      it('stores the deployment as given, numbered 1, 2, 3 per project', async () => {
        const first = await s.deployments.create(sampleDeployment('d_1', 'p_shop', { runtimeEnv: { API: { value: 'x', secret: false } } }));
        const second = await s.deployments.create(sampleDeployment('d_2', 'p_shop', { trigger: { kind: 'manual', ref: 'v2' } }));
        const other = await s.deployments.create(sampleDeployment('d_3', 'p_blog'));

        expect([first.sequence, second.sequence, other.sequence]).toEqual([1, 2, 1]);
        expect(first).toEqual({ ...sampleDeployment('d_1', 'p_shop', { runtimeEnv: { API: { value: 'x', secret: false } } }), sequence: 1, updatedAt: T0 });
        expect(await s.deployments.get('d_1')).toEqual(first);
        expect(await s.deployments.get('d_2')).toEqual(second);
      });

      it('never hands out a sequence twice, even when many are created at once', async () => {
        const created = await Promise.all(Array.from({ length: 25 }, (_, i) => s.deployments.create(sampleDeployment(`d_${i}`, 'p_shop'))));
        const sequences = created.map((d) => d.sequence).sort((a, b) => a - b);
        expect(new Set(sequences).size).toBe(25);
        expect(sequences.every((n, i) => i === 0 || n > (sequences[i - 1] as number))).toBe(true);
        const next = await s.deployments.create(sampleDeployment('d_last', 'p_shop'));
        expect(next.sequence).toBeGreaterThan(sequences.at(-1) as number);
      });

      it('keeps numbering upwards after the newest deployment is removed', async () => {
        await s.deployments.create(sampleDeployment('d_1', 'p_shop'));
        const second = await s.deployments.create(sampleDeployment('d_2', 'p_shop'));
        await s.deployments.remove('d_2');
        const third = await s.deployments.create(sampleDeployment('d_3', 'p_shop'));
        expect(third.sequence).toBeGreaterThan(second.sequence);
        expect(await s.deployments.get('d_2')).toBeNull();
      });
    });

    describe('get and listByProject', () => {
      it('answers null for an unknown id', async () => {
        expect(await s.deployments.get('d_nope')).toBeNull();
      });

      it('lists a project\'s deployments newest first, with a limit and a state filter', async () => {
        for (const id of ['d_a', 'd_b', 'd_c', 'd_d']) await s.deployments.create(sampleDeployment(id, 'p_shop'));
        await s.deployments.create(sampleDeployment('d_other', 'p_blog'));
        await s.deployments.transition('d_b', ['queued'], 'failed', at(5), { reason: 'build failed' });

        expect((await s.deployments.listByProject('p_shop')).map((d) => d.id)).toEqual(['d_d', 'd_c', 'd_b', 'd_a']);
        expect((await s.deployments.listByProject('p_shop', { limit: 2 })).map((d) => d.id)).toEqual(['d_d', 'd_c']);
        expect((await s.deployments.listByProject('p_shop', { states: ['failed'] })).map((d) => d.id)).toEqual(['d_b']);
        expect((await s.deployments.listByProject('p_shop', { states: ['queued'], limit: 1 })).map((d) => d.id)).toEqual(['d_d']);
        expect(await s.deployments.listByProject('p_none')).toEqual([]);
      });
    });

    describe('transition', () => {
      it('moves a deployment from an expected state, appending the transition with its time and applying the patch', async () => {
        await s.deployments.create(sampleDeployment('d_1', 'p_shop'));

        const building = await s.deployments.transition('d_1', ['queued'], 'building', at(1), { buildId: 'pid-42', commitSha: 'abc123' });

        expect(building).toMatchObject({ state: 'building', buildId: 'pid-42', commitSha: 'abc123', updatedAt: at(1), commitMessage: null });
        expect(building?.transitions).toEqual([
          { state: 'queued', at: T0 },
          { state: 'building', at: at(1) },
        ]);
        expect(await s.deployments.get('d_1')).toEqual(building);

        const failed = await s.deployments.transition('d_1', ['queued', 'building'], 'failed', at(2), { reason: 'next build exited with code 1' });
        expect(failed).toMatchObject({ state: 'failed', reason: 'next build exited with code 1', buildId: 'pid-42' });
        expect(failed?.transitions.map((t) => t.state)).toEqual(['queued', 'building', 'failed']);
      });

      it('changes nothing and answers null when the deployment is in another state', async () => {
        await s.deployments.create(sampleDeployment('d_1', 'p_shop'));
        await s.deployments.transition('d_1', ['queued'], 'cancelled', at(1));
        const before = await s.deployments.get('d_1');

        const result = await s.deployments.transition('d_1', ['queued', 'building'], 'building', at(2), { buildId: 'late' });

        expect(result).toBeNull();
        expect(await s.deployments.get('d_1')).toEqual(before);
      });

      it('answers null for an unknown deployment', async () => {
        expect(await s.deployments.transition('d_nope', ['queued'], 'building', at(1))).toBeNull();
      });

      it('refuses a move off the state machine (DEPLOYMENT_TRANSITION_INVALID), changing nothing', async () => {
        await s.deployments.create(sampleDeployment('d_1', 'p_shop'));
        await s.deployments.transition('d_1', ['queued'], 'failed', at(1), { reason: 'build failed' });
        const before = await s.deployments.get('d_1');

        expect(await rejectionOf(s.deployments.transition('d_1', ['failed'], 'building', at(2)))).toMatchObject({ code: 'DEPLOYMENT_TRANSITION_INVALID' });
        expect(await rejectionOf(s.deployments.transition('d_1', ['queued', 'failed'], 'live', at(2)))).toMatchObject({ code: 'DEPLOYMENT_TRANSITION_INVALID' });
        expect(await s.deployments.get('d_1')).toEqual(before);
      });

      it('lets exactly one of two racing transitions from the same state win', async () => {
        await s.deployments.create(sampleDeployment('d_1', 'p_shop'));
        const results = await Promise.all([
          s.deployments.transition('d_1', ['queued'], 'building', at(1)),
          s.deployments.transition('d_1', ['queued'], 'superseded', at(1)),
        ]);
        expect(results.filter((r) => r !== null)).toHaveLength(1);
        expect((await s.deployments.get('d_1'))?.transitions).toHaveLength(2);
      });
    });

    describe('update', () => {
      it('patches details without moving the state', async () => {
        await s.deployments.create(sampleDeployment('d_1', 'p_shop'));
        await s.deployments.update('d_1', { commitSha: 'f00d', commitMessage: 'Fix header', runtimeEnv: { SECRET: { value: 'v1:sealed', secret: true } } });
        expect(await s.deployments.get('d_1')).toMatchObject({
          state: 'queued',
          commitSha: 'f00d',
          commitMessage: 'Fix header',
          buildId: null,
          runtimeEnv: { SECRET: { value: 'v1:sealed', secret: true } },
          transitions: [{ state: 'queued', at: T0 }],
        });
      });
    });

    describe('promote (the live compare-and-swap)', () => {
      it('has no live pointer before the first promote', async () => {
        expect(await s.deployments.getLive('p_shop')).toBeNull();
      });

      it('takes live for the first deployment with expectedRevision null', async () => {
        await readyToGoLive('d_1');

        const result = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_1', expectedRevision: null, onlyIfNewer: true, at: at(4) });

        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(result.previous).toBeNull();
        expect(result.pointer).toMatchObject({ projectId: 'p_shop', deploymentId: 'd_1', sequence: 1, at: at(4) });
        expect(await s.deployments.getLive('p_shop')).toEqual(result.pointer);
        const live = await s.deployments.get('d_1');
        expect(live?.state).toBe('live');
        expect(live?.transitions.at(-1)).toEqual({ state: 'live', at: at(4) });
        expect(await s.deployments.getLive('p_blog')).toBeNull();
      });

      it('retires the previous live deployment and bumps the revision by one', async () => {
        await readyToGoLive('d_1');
        const first = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_1', expectedRevision: null, onlyIfNewer: true, at: at(4) });
        if (!first.ok) throw new Error('first promote failed');
        await readyToGoLive('d_2');

        const second = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_2', expectedRevision: first.pointer.revision, onlyIfNewer: true, at: at(5) });

        expect(second).toEqual({ ok: true, pointer: { projectId: 'p_shop', deploymentId: 'd_2', sequence: 2, highestSequence: 2, revision: first.pointer.revision + 1, at: at(5) }, previous: first.pointer });
        expect((await s.deployments.get('d_1'))?.state).toBe('retired');
        expect((await s.deployments.get('d_1'))?.transitions.at(-1)).toEqual({ state: 'retired', at: at(5) });
        expect((await s.deployments.get('d_2'))?.state).toBe('live');
      });

      it('refuses expectedRevision null once a deployment is live', async () => {
        await readyToGoLive('d_1');
        await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_1', expectedRevision: null, onlyIfNewer: true, at: at(4) });
        await readyToGoLive('d_2');

        const result = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_2', expectedRevision: null, onlyIfNewer: true, at: at(5) });

        expect(result).toMatchObject({ ok: false, reason: 'revision-changed', current: { deploymentId: 'd_1' } });
        expect((await s.deployments.get('d_2'))?.state).toBe('deploying');
      });

      it('lets a stale revision lose: of two flips from the same revision exactly one wins', async () => {
        await readyToGoLive('d_1');
        const first = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_1', expectedRevision: null, onlyIfNewer: true, at: at(4) });
        if (!first.ok) throw new Error('first promote failed');
        await readyToGoLive('d_2');
        await readyToGoLive('d_3');

        const results = await Promise.all(
          ['d_2', 'd_3'].map((id) => s.deployments.promote({ projectId: 'p_shop', deploymentId: id, expectedRevision: first.pointer.revision, onlyIfNewer: false, at: at(6) })),
        );

        const winners = results.filter((r) => r.ok);
        const losers = results.filter((r) => !r.ok);
        expect(winners).toHaveLength(1);
        expect(losers).toEqual([expect.objectContaining({ ok: false, reason: 'revision-changed' })]);
        const live = await s.deployments.getLive('p_shop');
        expect(live?.revision).toBe(first.pointer.revision + 1);
        const states = await Promise.all(['d_1', 'd_2', 'd_3'].map(async (id) => (await s.deployments.get(id))?.state));
        expect(states.filter((st) => st === 'live')).toHaveLength(1);
        expect(states.filter((st) => st === 'deploying')).toHaveLength(1);
      });

      it('with onlyIfNewer, refuses an older deployment and leaves everything as it was', async () => {
        await readyToGoLive('d_old');
        await readyToGoLive('d_new');
        const newer = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_new', expectedRevision: null, onlyIfNewer: true, at: at(4) });
        if (!newer.ok) throw new Error('promote failed');

        const result = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_old', expectedRevision: newer.pointer.revision, onlyIfNewer: true, at: at(5) });

        expect(result).toEqual({ ok: false, reason: 'not-newer', current: newer.pointer });
        expect(await s.deployments.getLive('p_shop')).toEqual(newer.pointer);
        expect((await s.deployments.get('d_old'))?.state).toBe('deploying');
        expect((await s.deployments.get('d_new'))?.state).toBe('live');
      });

      it('rolls back to a retired deployment (onlyIfNewer false), retiring the current one', async () => {
        await readyToGoLive('d_1');
        const first = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_1', expectedRevision: null, onlyIfNewer: true, at: at(4) });
        if (!first.ok) throw new Error('promote failed');
        await readyToGoLive('d_2');
        const second = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_2', expectedRevision: first.pointer.revision, onlyIfNewer: true, at: at(5) });
        if (!second.ok) throw new Error('promote failed');

        const rollback = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_1', expectedRevision: second.pointer.revision, onlyIfNewer: false, at: at(6) });

        expect(rollback).toEqual({ ok: true, pointer: { projectId: 'p_shop', deploymentId: 'd_1', sequence: 1, highestSequence: 2, revision: second.pointer.revision + 1, at: at(6) }, previous: second.pointer });
        const d1 = await s.deployments.get('d_1');
        expect(d1?.state).toBe('live');
        expect(d1?.transitions.map((t) => t.state)).toEqual(['queued', 'building', 'built', 'deploying', 'live', 'retired', 'live']);
        expect((await s.deployments.get('d_2'))?.state).toBe('retired');
      });

      it('after a rollback, a build older than the newest ever live still cannot take live', async () => {
        await readyToGoLive('d_1');
        await readyToGoLive('d_2');
        const first = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_1', expectedRevision: null, onlyIfNewer: true, at: at(4) });
        if (!first.ok) throw new Error('promote failed');
        await readyToGoLive('d_3');
        const third = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_3', expectedRevision: first.pointer.revision, onlyIfNewer: true, at: at(5) });
        if (!third.ok) throw new Error('promote failed');
        const back = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_1', expectedRevision: third.pointer.revision, onlyIfNewer: false, at: at(6) });
        if (!back.ok) throw new Error('rollback failed');

        // d_2 was still deploying: it is newer than d_1 (live now) but older than d_3, which was live.
        const stale = await s.deployments.promote({ projectId: 'p_shop', deploymentId: 'd_2', expectedRevision: back.pointer.revision, onlyIfNewer: true, at: at(7) });

        expect(stale).toMatchObject({ ok: false, reason: 'not-newer' });
        expect((await s.deployments.getLive('p_shop'))?.deploymentId).toBe('d_1');
        expect((await s.deployments.get('d_2'))?.state).toBe('deploying');
      });

      it('refuses a deployment that is not ready to go live (state-changed)', async () => {
        await readyToGoLive('d_1');
        await s.deployments.transition('d_1', ['deploying'], 'failed', at(4), { reason: 'smoke test failed' });
        await s.deployments.create(sampleDeployment('d_2', 'p_shop'));

        for (const id of ['d_1', 'd_2']) {
          const before = await s.deployments.get(id);
          const result = await s.deployments.promote({ projectId: 'p_shop', deploymentId: id, expectedRevision: null, onlyIfNewer: true, at: at(5) });
          expect(result).toEqual({ ok: false, reason: 'state-changed', current: null });
          expect(await s.deployments.get(id)).toEqual(before);
        }
        expect(await s.deployments.getLive('p_shop')).toBeNull();
      });
    });

    describe('remove', () => {
      it('removes a deployment that is not live', async () => {
        await s.deployments.create(sampleDeployment('d_1', 'p_shop'));
        await s.deployments.remove('d_1');
        expect(await s.deployments.get('d_1')).toBeNull();
        expect(await s.deployments.listByProject('p_shop')).toEqual([]);
      });
    });
  });
}
