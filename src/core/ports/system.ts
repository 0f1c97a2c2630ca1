export interface Clock {
  now(): Date;
  /** Waits; `signal` ends the wait early (resolving, not rejecting). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface Ids {
  /** A sortable id with a prefix, e.g. `d_01J…`. */
  next(prefix: string): string;
  /** A random secret, URL-safe. */
  secret(bytes: number): string;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
