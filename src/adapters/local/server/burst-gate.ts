import type { BuildLogs, LogLine } from '../../../core/ports/build-logs.js';

/**
 * A burst of webhook deliveries is answered first. What follows an accepted push (its first log
 * lines, waking the build worker, stopping older builds) waits until every delivery has been
 * answered and none has come for `quietMs`, and never longer than `maxMs` after the burst began:
 * on one core, each file created or process spawned in the middle of a burst is time every later
 * delivery waits. Held work runs in the order it was handed in.
 */
export class BurstGate {
  private held: Array<() => void> = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private began = 0;
  private last = 0;
  private open = 0;

  constructor(private readonly options: { quietMs: number; maxMs: number }) {}

  /**
   * A delivery arrived: the burst goes on until it is answered (call the function returned, once)
   * and `quietMs` more.
   */
  arrived(): () => void {
    this.open += 1;
    this.last = performance.now();
    // One timer per burst, not one per delivery: it looks again when it fires.
    if (!this.timer) {
      this.began = this.last;
      this.timer = setTimeout(() => this.check(), this.options.quietMs);
    }
    let answered = false;
    return () => {
      if (answered) return;
      answered = true;
      this.open -= 1;
      this.last = performance.now();
    };
  }

  get bursting(): boolean {
    return this.timer !== null;
  }

  private check(): void {
    const now = performance.now();
    const deadline = this.began + this.options.maxMs;
    if (now >= deadline) return this.release();
    const quietAt = this.last + this.options.quietMs;
    if (this.open === 0 && now >= quietAt) return this.release();
    // Deliveries still being answered: look again a quiet period on.
    this.timer = setTimeout(() => this.check(), Math.min(this.open === 0 ? quietAt - now : this.options.quietMs, deadline - now));
  }

  /** Runs `task` once the burst is over; now, when there is none. */
  afterBurst(task: () => void): void {
    if (this.bursting) this.held.push(task);
    else task();
  }

  /** Ends the burst now (the server is stopping): held work runs. */
  release(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const held = this.held;
    this.held = [];
    for (const task of held) task();
  }
}

/**
 * Build logs whose appends wait for the end of a burst (reads never wait). Every append waits
 * while one is held, not only the webhook's, so a deployment's lines keep their order.
 */
export class BurstGatedLogs implements BuildLogs {
  constructor(
    private readonly inner: BuildLogs,
    private readonly gate: BurstGate,
  ) {}

  append(deploymentId: string, lines: readonly string[], at: string): Promise<void> {
    if (!this.gate.bursting) return this.inner.append(deploymentId, lines, at);
    return new Promise((resolve, reject) => this.gate.afterBurst(() => void this.inner.append(deploymentId, lines, at).then(resolve, reject)));
  }

  read(deploymentId: string, options: { after: number; limit?: number }): Promise<LogLine[]> {
    return this.inner.read(deploymentId, options);
  }

  tail(deploymentId: string, count: number): Promise<LogLine[]> {
    return this.inner.tail(deploymentId, count);
  }
}
