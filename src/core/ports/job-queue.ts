export interface BuildJob {
  deploymentId: string;
  projectId: string;
}

export interface ReceivedJob {
  receipt: string;
  job: BuildJob;
  /** 1 on the first delivery; a job is dead-lettered instead of being delivered a (maxAttempts+1)th time. */
  attempt: number;
}

export interface DeadLetter {
  job: BuildJob;
  attempts: number;
  lastError: string | null;
}

/**
 * The build queue as the core uses it: `send` is durable when it resolves; a job is delivered at
 * most `maxAttempts` (3) times, then dead-lettered (consume-build-job.ts decides from the try
 * number). On AWS this is all there is of it: Lambda's SQS event source mapping does the receiving.
 */
export interface JobQueue {
  readonly maxAttempts: number;
  send(job: BuildJob): Promise<void>;
}

/**
 * A queue its consumer pulls from (the local server's SQLite queue). Contract: a received job is
 * invisible for `visibilityMs`, then comes back unless acked. `fail` makes it visible again at
 * once with its error noted. A job delivered `maxAttempts` times and not acked goes to the dead
 * letters, where `takeDeadLetters` hands each out exactly once.
 */
export interface PulledJobQueue extends JobQueue {
  receive(options: { visibilityMs: number; max: number }): Promise<ReceivedJob[]>;
  extend(receipt: string, visibilityMs: number): Promise<void>;
  ack(receipt: string): Promise<void>;
  fail(receipt: string, error: string): Promise<void>;
  takeDeadLetters(): Promise<DeadLetter[]>;
}
