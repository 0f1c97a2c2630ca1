import type { Clock } from '../ports/system.js';

/**
 * Fixed-window counters per key (a token, a session, a client address), in the memory of the
 * process that serves the API: one `anchor server`, or one Lambda container (so per container on
 * AWS, where API Gateway's own throttling is the outer limit).
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Counts one hit; answers the seconds to wait when the key is over its limit, else null. */
  hit(key: string): number | null {
    const now = this.clock.now().getTime();
    const current = this.windows.get(key);
    if (!current || now - current.start >= this.windowMs) {
      if (this.windows.size > 10_000) this.prune(now);
      this.windows.set(key, { start: now, count: 1 });
      return null;
    }
    current.count += 1;
    return current.count > this.limit ? Math.max(1, Math.ceil((current.start + this.windowMs - now) / 1000)) : null;
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key);
  }
}
