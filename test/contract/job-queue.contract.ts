import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PulledJobQueue, ReceivedJob } from '../../src/core/ports/job-queue.js';
import { eventually } from './samples.js';

export interface JobQueueSubject {
  queue: PulledJobQueue;
  cleanup(): Promise<void>;
}

const job = (n: number) => ({ deploymentId: `d_${n}`, projectId: 'p_shop' });
const LONG = 60_000;

export function describeJobQueueContract(name: string, makeAdapter: () => Promise<JobQueueSubject>): void {
  describe(`JobQueue contract: ${name}`, () => {
    let s: JobQueueSubject;
    beforeEach(async () => {
      s = await makeAdapter();
    });
    afterEach(async () => {
      await s.cleanup();
    });

    async function receiveOne(visibilityMs: number): Promise<ReceivedJob | null> {
      const [received] = await s.queue.receive({ visibilityMs, max: 1 });
      return received ?? null;
    }

    it('dead-letters after 3 attempts', () => {
      expect(s.queue.maxAttempts).toBe(3);
    });

    it('delivers a sent job, then hides it while a worker holds it', async () => {
      await s.queue.send(job(1));

      const received = await s.queue.receive({ visibilityMs: LONG, max: 10 });

      expect(received).toEqual([{ receipt: expect.any(String), job: job(1), attempt: 1 }]);
      expect(await s.queue.receive({ visibilityMs: LONG, max: 10 })).toEqual([]);
    });

    it('hands the job out again once its visibility timeout has run out, as the next attempt', async () => {
      await s.queue.send(job(1));
      const first = await receiveOne(300);

      const again = await eventually(() => receiveOne(LONG));

      expect(again.job).toEqual(job(1));
      expect(again.attempt).toBe(2);
      expect(again.receipt).not.toBe(first?.receipt);
    });

    it('removes an acked job for good', async () => {
      await s.queue.send(job(1));
      const received = await receiveOne(0);
      await s.queue.ack(received?.receipt as string);

      expect(await s.queue.receive({ visibilityMs: LONG, max: 10 })).toEqual([]);
      expect(await s.queue.takeDeadLetters()).toEqual([]);
    });

    it('makes a failed job visible again at once', async () => {
      await s.queue.send(job(1));
      const first = await receiveOne(LONG);
      await s.queue.fail(first?.receipt as string, 'npm install failed');

      const second = await receiveOne(LONG);
      expect(second).toMatchObject({ job: job(1), attempt: 2 });
    });

    it('extends or shortens the time a worker holds a job', async () => {
      await s.queue.send(job(1));
      const held = await receiveOne(0);
      await s.queue.extend(held?.receipt as string, LONG);
      expect(await receiveOne(LONG)).toBeNull();

      await s.queue.extend(held?.receipt as string, 0);
      expect((await eventually(() => receiveOne(LONG))).job).toEqual(job(1));
    });

    it('dead-letters a job that failed 3 times, with the last error, handing it out exactly once', async () => {
      await s.queue.send(job(1));
      await s.queue.send(job(2));
      for (let attempt = 1; attempt <= 3; attempt++) {
        const received = await s.queue.receive({ visibilityMs: LONG, max: 10 });
        const one = received.find((r) => r.job.deploymentId === 'd_1');
        expect(one?.attempt).toBe(attempt);
        await s.queue.fail(one?.receipt as string, `failure ${attempt}`);
        const two = received.find((r) => r.job.deploymentId === 'd_2');
        if (two) await s.queue.ack(two.receipt);
      }

      expect(await s.queue.receive({ visibilityMs: LONG, max: 10 })).toEqual([]);
      const letters = await eventually(async () => {
        const taken = await s.queue.takeDeadLetters();
        return taken.length > 0 ? taken : null;
      });
      expect(letters).toEqual([{ job: job(1), attempts: 3, lastError: 'failure 3' }]);
      expect(await s.queue.takeDeadLetters()).toEqual([]);
    });

    it('dead-letters a job whose visibility ran out 3 times without an ack', async () => {
      await s.queue.send(job(7));
      for (let attempt = 1; attempt <= 3; attempt++) {
        const received = await eventually(() => receiveOne(0));
        expect(received.attempt).toBe(attempt);
      }

      // The next receive is where a 4th delivery would happen; the job goes to the dead letters instead.
      expect(await s.queue.receive({ visibilityMs: LONG, max: 10 })).toEqual([]);
      const letters = await eventually(async () => {
        const taken = await s.queue.takeDeadLetters();
        return taken.length > 0 ? taken : null;
      });
      expect(letters).toEqual([{ job: job(7), attempts: 3, lastError: null }]);
      expect(await s.queue.takeDeadLetters()).toEqual([]);
    });

    it('honours max and never hands one job to two receivers at once', async () => {
      for (let i = 0; i < 10; i++) await s.queue.send(job(i));

      expect(await s.queue.receive({ visibilityMs: LONG, max: 3 })).toHaveLength(3);
      const batches = await Promise.all(Array.from({ length: 5 }, () => s.queue.receive({ visibilityMs: LONG, max: 10 })));
      const ids = batches.flat().map((r) => r.job.deploymentId);

      expect(ids).toHaveLength(7);
      expect(new Set(ids).size).toBe(7);
    });
  });
}
