import { randomUUID } from 'node:crypto';
import { AnchorError } from '../../../src/core/errors.js';
import type { BuildJob, DeadLetter, PulledJobQueue, ReceivedJob } from '../../../src/core/ports/job-queue.js';

interface QueuedJob {
  job: BuildJob;
  attempts: number;
  visibleAt: number;
  receipt: string | null;
  lastError: string | null;
}

/**
 * The build queue in memory, with SQS's rules: a received job is hidden for its visibility timeout
 * under a fresh receipt (a late ack or fail with an old one changes nothing), and a job delivered
 * `maxAttempts` times goes to the dead letters instead of a next delivery. Time is `now()`, so a
 * test with a manual clock runs out a visibility timeout by moving the clock.
 */
export class MemoryJobQueue implements PulledJobQueue {
  readonly maxAttempts: number;
  private readonly jobs: QueuedJob[] = [];
  private deadLetters: DeadLetter[] = [];
  private readonly now: () => number;

  constructor(options: { now?: () => number; maxAttempts?: number } = {}) {
    this.now = options.now ?? Date.now;
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  /** While set, `send` fails with it: the queue's service is down. */
  unavailable: Error | null = null;

  async send(job: BuildJob): Promise<void> {
    if (this.unavailable) throw this.unavailable;
    this.jobs.push({ job: { ...job }, attempts: 0, visibleAt: this.now(), receipt: null, lastError: null });
  }

  async receive(options: { visibilityMs: number; max: number }): Promise<ReceivedJob[]> {
    const now = this.now();
    this.sweepExhausted(now);
    return this.jobs
      .filter((q) => q.visibleAt <= now)
      .slice(0, Math.max(0, options.max))
      .map((q) => {
        q.attempts += 1;
        q.visibleAt = now + options.visibilityMs;
        q.receipt = randomUUID();
        return { receipt: q.receipt, job: { ...q.job }, attempt: q.attempts };
      });
  }

  async extend(receipt: string, visibilityMs: number): Promise<void> {
    const held = this.held(receipt);
    if (!held) throw new AnchorError({ code: 'QUEUE_RECEIPT_STALE', kind: 'conflict', message: 'This build job is no longer held by this worker.' });
    held.visibleAt = this.now() + visibilityMs;
  }

  async ack(receipt: string): Promise<void> {
    const held = this.held(receipt);
    if (held) this.jobs.splice(this.jobs.indexOf(held), 1);
  }

  async fail(receipt: string, error: string): Promise<void> {
    const held = this.held(receipt);
    if (!held) return;
    held.visibleAt = this.now();
    held.receipt = null;
    held.lastError = error;
  }

  async takeDeadLetters(): Promise<DeadLetter[]> {
    this.sweepExhausted(this.now());
    const taken = this.deadLetters;
    this.deadLetters = [];
    return taken;
  }

  /** Jobs waiting or held by a worker, for tests that check nothing was dropped. */
  get pending(): BuildJob[] {
    return this.jobs.map((q) => ({ ...q.job }));
  }

  private held(receipt: string): QueuedJob | undefined {
    return this.jobs.find((q) => q.receipt === receipt);
  }

  private sweepExhausted(now: number): void {
    for (const q of [...this.jobs]) {
      if (q.visibleAt > now || q.attempts < this.maxAttempts) continue;
      this.jobs.splice(this.jobs.indexOf(q), 1);
      this.deadLetters.push({ job: { ...q.job }, attempts: q.attempts, lastError: q.lastError });
    }
  }
}
