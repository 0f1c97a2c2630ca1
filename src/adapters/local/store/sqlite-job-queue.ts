import { nodeCrypto } from '../../system/node-crypto.js';
import { AnchorError } from '../../../core/errors.js';
import type { BuildJob, DeadLetter, PulledJobQueue, ReceivedJob } from '../../../core/ports/job-queue.js';
import { prepare, type SqliteDatabase } from './sqlite-database.js';

interface JobRow {
  id: number;
  deployment_id: string;
  project_id: string;
  attempts: number;
}

export interface SqliteJobQueueOptions {
  /** Deliveries before a job is dead-lettered (3, like the SQS redrive policy). */
  maxAttempts?: number;
  /** Milliseconds since the epoch; visibility deadlines are wall-clock so they survive restarts. */
  now?: () => number;
}

/**
 * A durable queue in the platform's SQLite file. A job is visible when `visible_at <= now`; a
 * delivery hides it until `now + visibilityMs` under a fresh receipt, so a late ack or fail from a
 * worker whose delivery expired (and was handed to someone else) changes nothing.
 */
export class SqliteJobQueue implements PulledJobQueue {
  readonly maxAttempts: number;
  private readonly now: () => number;

  constructor(
    private readonly db: SqliteDatabase,
    options: SqliteJobQueueOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
    this.now = options.now ?? Date.now;
  }

  async send(job: BuildJob): Promise<void> {
    // In WAL mode with synchronous=NORMAL a commit survives a crash of this process, which is what
    // "durable when it resolves" needs between a webhook's 202 and the builder.
    prepare(this.db, 'INSERT INTO jobs (deployment_id, project_id, attempts, visible_at) VALUES (?, ?, 0, ?)').run(job.deploymentId, job.projectId, this.now());
  }

  async receive(options: { visibilityMs: number; max: number }): Promise<ReceivedJob[]> {
    return this.db
      .transaction(() => {
        const now = this.now();
        this.sweepExhausted(now);
        const rows = prepare(this.db, 'SELECT id, deployment_id, project_id, attempts FROM jobs WHERE visible_at <= ? ORDER BY id LIMIT ?')
          .all(now, Math.max(0, options.max)) as JobRow[];
        const claim = prepare(this.db, 'UPDATE jobs SET attempts = attempts + 1, visible_at = ?, receipt = ? WHERE id = ?');
        return rows.map((row): ReceivedJob => {
          const receipt = nodeCrypto().randomBytes(18).toString('base64url');
          claim.run(now + options.visibilityMs, receipt, row.id);
          return { receipt, job: { deploymentId: row.deployment_id, projectId: row.project_id }, attempt: row.attempts + 1 };
        });
      })
      .immediate();
  }

  /** Throws when the receipt no longer holds the job, so a worker learns it has lost it. */
  async extend(receipt: string, visibilityMs: number): Promise<void> {
    const changes = prepare(this.db, 'UPDATE jobs SET visible_at = ? WHERE receipt = ?').run(this.now() + visibilityMs, receipt).changes;
    if (changes === 0) {
      throw new AnchorError({
        code: 'QUEUE_RECEIPT_STALE',
        kind: 'conflict',
        message: 'This build job is no longer held by this worker: it was acknowledged, or its visibility ran out and it was handed out again.',
        hint: 'Stop working on it; the worker that holds it now will finish it.',
      });
    }
  }

  /** Acking twice, or with a stale receipt, is a no-op. */
  async ack(receipt: string): Promise<void> {
    prepare(this.db, 'DELETE FROM jobs WHERE receipt = ?').run(receipt);
  }

  async fail(receipt: string, error: string): Promise<void> {
    prepare(this.db, 'UPDATE jobs SET visible_at = ?, receipt = NULL, last_error = ? WHERE receipt = ?').run(this.now(), error, receipt);
  }

  async takeDeadLetters(): Promise<DeadLetter[]> {
    return this.db
      .transaction(() => {
        this.sweepExhausted(this.now());
        const rows = prepare(this.db, 'DELETE FROM dead_letters RETURNING deployment_id, project_id, attempts, last_error, id').all() as (JobRow & { last_error: string | null })[];
        return rows
          .sort((a, b) => a.id - b.id)
          .map((r) => ({ job: { deploymentId: r.deployment_id, projectId: r.project_id }, attempts: r.attempts, lastError: r.last_error }));
      })
      .immediate();
  }

  /**
   * Makes every job that is out with a worker visible again, keeping its attempt count. `anchor
   * server` calls this at start-up: after a crash no worker of the old process is alive to ack.
   * Returns how many jobs came back.
   */
  releaseInFlight(): number {
    return prepare(this.db, 'UPDATE jobs SET visible_at = ?, receipt = NULL WHERE visible_at > ?').run(this.now(), this.now()).changes;
  }

  /** A visible job that was already delivered maxAttempts times goes to the dead letters instead. */
  private sweepExhausted(now: number): void {
    prepare(this.db, 
        `INSERT INTO dead_letters (deployment_id, project_id, attempts, last_error)
         SELECT deployment_id, project_id, attempts, last_error FROM jobs WHERE visible_at <= ? AND attempts >= ? ORDER BY id`,
      )
      .run(now, this.maxAttempts);
    prepare(this.db, 'DELETE FROM jobs WHERE visible_at <= ? AND attempts >= ?').run(now, this.maxAttempts);
  }
}
