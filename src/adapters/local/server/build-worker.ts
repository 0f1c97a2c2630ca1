import { errorMessage } from '../../../core/errors.js';
import { LoopBackoff } from './loop-backoff.js';
import type { Logger } from '../../../core/ports/system.js';
import { consumeBuildJob, consumeDeadLetter } from '../../../core/use-cases/consume-build-job.js';
import type { BuildDeps } from '../../../core/use-cases/run-build.js';
import type { SqliteJobQueue } from '../store/sqlite-job-queue.js';

/**
 * `anchor server`'s build worker: takes jobs from the SQLite queue, at most `concurrency` at a time,
 * keeps each invisible while it runs (a heartbeat), and leaves what a job comes to (retry, give up,
 * dead letters) to the core's consumer.
 */
export class BuildWorker {
  private running = 0;
  private stopped = false;
  private wake: (() => void) | null = null;
  private stopWaiting: (() => void) | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | null = null;
  private kickTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly deps: BuildDeps,
    private readonly queue: SqliteJobQueue,
    private readonly logger: Logger,
    private readonly options: {
      concurrency: number;
      visibilityMs?: number;
      pollMs?: number;
      logCapBytes?: number;
      /**
       * Resolves when the server may spend time on the queue: `anchor server` passes the end of a
       * webhook burst, so a burst is answered before the worker takes jobs (and writes their logs).
       */
      quiet?: () => Promise<void>;
    },
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Look at the queue soon (a webhook just queued something). A burst of pushes wakes the loop
   * once, a few milliseconds later, rather than once per push in between the answers.
   */
  kick(): void {
    if (this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = null;
      this.wake?.();
    }, 10);
  }

  private async run(): Promise<void> {
    const visibilityMs = this.options.visibilityMs ?? 30_000;
    const backoff = new LoopBackoff(this.logger, this.options.pollMs ?? 250);
    while (!this.stopped) {
      let delayMs: number;
      try {
        if (this.options.quiet) await this.options.quiet();
        if (this.stopped) break;
        for (const dead of await this.queue.takeDeadLetters()) await consumeDeadLetter({ ...this.deps, logger: this.logger }, dead);
        const free = this.options.concurrency - this.running;
        const jobs = free > 0 ? await this.queue.receive({ visibilityMs, max: free }) : [];
        for (const received of jobs) {
          this.running++;
          const heartbeat = setInterval(() => void this.queue.extend(received.receipt, visibilityMs).catch(() => undefined), visibilityMs / 3);
          const task = consumeBuildJob({ ...this.deps, logger: this.logger }, received, { logCapBytes: this.options.logCapBytes })
            .then(async (consumed) => {
              if (consumed.kind !== 'done') return this.queue.fail(received.receipt, consumed.error);
              // Stopped by a shutdown: not acked, so the next server builds it again.
              if (consumed.outcome === 'stopped' && this.stopped) return;
              await this.queue.ack(received.receipt);
            })
            // The job comes back once its visibility runs out, and is consumed again.
            .catch((error: unknown) => this.logger.error('build job could not be settled on the queue', { deploymentId: received.job.deploymentId, error: errorMessage(error) }))
            .finally(() => {
              clearInterval(heartbeat);
              this.running--;
              this.inFlight.delete(task);
              this.kick();
            });
          this.inFlight.add(task);
        }
        delayMs = backoff.succeeded();
      } catch (error) {
        delayMs = backoff.failed(error);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        const now = () => {
          clearTimeout(timer);
          resolve();
        };
        this.stopWaiting = now;
        // While the queue keeps failing (a full disk), a kick does not cut the pause short.
        this.wake = backoff.failing ? null : now;
      });
      this.wake = null;
      this.stopWaiting = null;
    }
  }

  /** Stops taking jobs; running builds are left to the caller (they are stopped with the builder). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.kickTimer) clearTimeout(this.kickTimer);
    this.kickTimer = null;
    this.wake?.();
    this.stopWaiting?.();
    await this.loop;
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}
