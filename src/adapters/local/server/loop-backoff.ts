import { errorMessage } from '../../../core/errors.js';
import type { Logger } from '../../../core/ports/system.js';
import { storageTrouble } from '../../../lib/storage-errors.js';

/**
 * The build worker's pause between two looks at the queue: the poll interval while the queue
 * answers; while it keeps failing (the disk under the SQLite file is full or read-only), twice as
 * long after each failure, up to `maxMs`, with one log line for the streak (and one a minute
 * after that) rather than one per look.
 */
export class LoopBackoff {
  private failures = 0;
  private lastLoggedAt = 0;

  constructor(
    private readonly logger: Logger,
    private readonly pollMs: number,
    private readonly maxMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get failing(): boolean {
    return this.failures > 0;
  }

  succeeded(): number {
    if (this.failures > 0) this.logger.info('build worker: the queue answers again', { failedLooks: this.failures });
    this.failures = 0;
    return this.pollMs;
  }

  failed(error: unknown): number {
    this.failures += 1;
    const delay = Math.min(this.maxMs, this.pollMs * 2 ** this.failures);
    if (this.failures === 1 || this.now() - this.lastLoggedAt >= 60_000) {
      this.lastLoggedAt = this.now();
      const trouble = storageTrouble(error);
      this.logger.error(trouble === 'full' ? 'build worker: the disk is full; waiting for space' : 'build worker loop error; looking again after a growing pause', {
        error: errorMessage(error),
        failedLooks: this.failures,
        nextLookInMs: delay,
      });
    }
    return delay;
  }
}
