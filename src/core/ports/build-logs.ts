export interface LogLine {
  /** Position in the deployment's log, from 1. */
  n: number;
  at: string;
  text: string;
}

/**
 * Contract: `append` stores lines in order, as given (the core has masked secrets already).
 * `read` returns the lines after `after` (0 = from the start), at most `limit`.
 */
export interface BuildLogs {
  append(deploymentId: string, lines: readonly string[], at: string): Promise<void>;
  read(deploymentId: string, options: { after: number; limit?: number }): Promise<LogLine[]>;
  tail(deploymentId: string, count: number): Promise<LogLine[]>;
}
