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
 * Contract: `send` is durable when it resolves. A received job is invisible for `visibilityMs`,
 * then comes back unless acked. `fail` makes it visible again at once with its error noted. A job
 * delivered `maxAttempts` (3) times and not acked goes to the dead letters, where
 * `takeDeadLetters` hands each out exactly once.
 */
export interface JobQueue {
  readonly maxAttempts: number;
  send(job: BuildJob): Promise<void>;
  receive(options: { visibilityMs: number; max: number }): Promise<ReceivedJob[]>;
  extend(receipt: string, visibilityMs: number): Promise<void>;
  ack(receipt: string): Promise<void>;
  fail(receipt: string, error: string): Promise<void>;
  takeDeadLetters(): Promise<DeadLetter[]>;
}
