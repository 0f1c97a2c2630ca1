import { errorMessage, isAnchorError } from '../../../core/errors.js';
import type { FunctionRunState } from '../../../core/ports/function-states.js';
import type { HandlerKind, HandlerProcess } from './handler-process.js';

/** How a crashed function process comes back: restarted at once, then with a growing delay. */
export interface SupervisionPolicy {
  /** Crashes counted together; older ones are forgiven. */
  windowMs: number;
  /** This many crashes within the window make the state `crashloop`. */
  crashLoopAfter: number;
  /** The wait before restarting after the first crash of a window; doubled per further crash. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_SUPERVISION: SupervisionPolicy = { windowMs: 5 * 60_000, crashLoopAfter: 5, firstDelayMs: 500, maxDelayMs: 5 * 60_000 };

/** The delay before restart number `crashes` (1 = the first crash of a window restarts at once). */
export function restartDelayMs(policy: SupervisionPolicy, crashes: number): number {
  if (crashes <= 1) return 0;
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (crashes - 2));
}

export interface HandlerCrash {
  kind: HandlerKind;
  /** `exit code 1`, `signal SIGKILL`, or why it could not start. */
  reason: string;
  /** Its last stderr lines (masked), oldest first. */
  lastLines: string[];
  /** Crashes within the window, this one included. */
  crashes: number;
  restartInMs: number;
  crashLoop: boolean;
}

export interface HandlerStatus {
  state: Exclude<FunctionRunState, 'no-server'>;
  pid: number | null;
  crashes: number;
  restarts: number;
  lastCrash: { at: string; reason: string } | null;
}

export type Lease = { url: string; release(): void };
/** Why no process can take a request now, and when to try again. */
export type Unavailable = { unavailable: 'restarting' | 'crashloop' | 'stopped'; retryAfterMs: number };

const TAIL_LINES = 20;

/**
 * One function process of one deployment, kept running the way Lambda keeps a function: started
 * on demand, restarted when it crashes (at once, then with a doubling delay; `crashloop` once it
 * keeps crashing), stopped when idle. Built on `startHandlerProcess`: `start` launches one process,
 * whatever its sandbox and address.
 */
export class SupervisedHandler {
  private process: HandlerProcess | null = null;
  private phase: 'idle' | 'starting' | 'running' | 'stopping' | 'waiting' | 'closed' = 'idle';
  private starting: Promise<HandlerProcess> | null = null;
  private stopping: Promise<void> | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartAt = 0;
  private crashTimes: number[] = [];
  private afterCrash = false;
  private restarts = 0;
  private lastCrash: { at: string; reason: string } | null = null;
  private inFlight = 0;
  private lastUsed: number;
  private readonly quiet: Array<() => void> = [];
  private readonly tail: string[] = [];

  constructor(
    private readonly options: {
      kind: HandlerKind;
      start: (onLog: (line: string, stream: 'stdout' | 'stderr') => void) => Promise<HandlerProcess>;
      policy: SupervisionPolicy;
      now: () => number;
      /** Every line the process prints, as it prints it. */
      onLog: (line: string, stream: 'stdout' | 'stderr') => void;
      onCrash: (crash: HandlerCrash) => void;
      onStatus: (status: HandlerStatus) => void;
    },
  ) {
    this.lastUsed = options.now();
  }

  get kind(): HandlerKind {
    return this.options.kind;
  }

  /** Where the running process answers; empty while none runs. */
  get url(): string {
    return this.process?.url ?? '';
  }

  status(): HandlerStatus {
    return { state: this.reportedState(), pid: this.process?.pid ?? null, crashes: this.recentCrashes(), restarts: this.restarts, lastCrash: this.lastCrash };
  }

  /** The process for one request, started first if it was stopped; released when the request ends. */
  async acquire(): Promise<Lease | Unavailable> {
    this.lastUsed = this.options.now();
    for (;;) {
      if (this.phase === 'running' && this.process) return this.lease(this.process);
      if (this.phase === 'closed') return { unavailable: 'stopped', retryAfterMs: 1000 };
      if (this.phase === 'waiting') return { unavailable: this.crashLoop() ? 'crashloop' : 'restarting', retryAfterMs: Math.max(0, this.restartAt - this.options.now()) };
      if (this.phase === 'stopping') await this.stopping;
      else await this.launch().catch(() => undefined);
    }
  }

  /** Runs a process now (a deploy, a rollback): restarts a waiting one at once; throws if it cannot start. */
  async start(): Promise<void> {
    for (;;) {
      if (this.phase === 'running') return;
      if (this.phase === 'closed') throw new Error(`The ${this.options.kind} function was stopped.`);
      if (this.phase === 'stopping') await this.stopping;
      else await this.launch();
    }
  }

  /** Stops the process if no request has used it for `idleMs`; it starts again on the next one. */
  async stopIfIdle(idleMs: number): Promise<boolean> {
    if (this.phase !== 'running' || this.inFlight > 0 || this.options.now() - this.lastUsed < idleMs) return false;
    await this.stopProcess('idle');
    return true;
  }

  /** Stops for good: requests in flight finish first; nothing restarts it. */
  async close(graceMs: number): Promise<void> {
    const starting = this.starting;
    this.phase = 'closed';
    this.clearRestart();
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.quiet.push(resolve));
    await starting?.catch(() => undefined);
    // An idle stop under way finishes first: the process is gone when close resolves.
    await this.stopping;
    const running = this.process;
    this.process = null;
    await running?.stop(graceMs);
  }

  private launch(): Promise<HandlerProcess> {
    this.clearRestart();
    this.starting ??= this.startProcess().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async startProcess(): Promise<HandlerProcess> {
    this.phase = 'starting';
    this.report();
    let started: HandlerProcess;
    try {
      started = await this.options.start((line, stream) => {
        if (stream === 'stderr') {
          this.tail.push(line);
          if (this.tail.length > TAIL_LINES) this.tail.shift();
        }
        this.options.onLog(line, stream);
      });
    } catch (error) {
      if (!this.closed()) this.crashed(startFailure(error));
      throw error;
    }
    if (this.closed()) {
      await started.stop(0);
      throw new Error(`The ${this.options.kind} function was stopped while starting.`);
    }
    if (this.afterCrash) this.restarts++;
    this.afterCrash = false;
    this.process = started;
    this.phase = 'running';
    // A process just started counts as used: it is not stopped before whoever started it uses it.
    this.lastUsed = this.options.now();
    void started.exited.then((exit) => {
      if (this.process !== started || this.phase === 'closed') return;
      this.process = null;
      this.crashed(exitText(exit));
    });
    this.report();
    return started;
  }

  private crashed(reason: string): void {
    if (this.phase === 'closed') return;
    const now = this.options.now();
    this.crashTimes = [...this.crashTimes.filter((at) => now - at < this.options.policy.windowMs), now];
    const crashes = this.crashTimes.length;
    const delay = restartDelayMs(this.options.policy, crashes);
    this.afterCrash = true;
    this.lastCrash = { at: new Date(now).toISOString(), reason };
    this.phase = 'waiting';
    this.restartAt = now + delay;
    this.options.onCrash({ kind: this.options.kind, reason, lastLines: [...this.tail], crashes, restartInMs: delay, crashLoop: this.crashLoop() });
    this.tail.length = 0;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      void this.launch().catch(() => undefined);
    }, delay);
    this.restartTimer.unref();
    this.report();
  }

  private async stopProcess(to: 'idle'): Promise<void> {
    const running = this.process;
    if (!running) return;
    this.process = null;
    this.phase = 'stopping';
    this.stopping = running.stop().finally(() => {
      this.stopping = null;
      if (this.phase === 'stopping') this.phase = to;
      this.report();
    });
    this.report();
    await this.stopping;
  }

  private lease(process: HandlerProcess): Lease {
    this.inFlight++;
    let released = false;
    return {
      url: process.url,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight--;
        this.lastUsed = this.options.now();
        if (this.inFlight === 0) for (const wake of this.quiet.splice(0)) wake();
      },
    };
  }

  /** A method, not a field test: TypeScript would keep a narrowing of `phase` across an await. */
  private closed(): boolean {
    return this.phase === 'closed';
  }

  private recentCrashes(): number {
    const now = this.options.now();
    return this.crashTimes.filter((at) => now - at < this.options.policy.windowMs).length;
  }

  private crashLoop(): boolean {
    return this.recentCrashes() >= this.options.policy.crashLoopAfter;
  }

  private reportedState(): HandlerStatus['state'] {
    if (this.phase === 'closed' || this.phase === 'idle' || this.phase === 'stopping') return 'idle';
    if (this.phase === 'running') return 'running';
    if (this.afterCrash) return this.crashLoop() ? 'crashloop' : 'restarting';
    return 'starting';
  }

  private report(): void {
    this.options.onStatus(this.status());
  }

  private clearRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }
}

/** `exit code 3 before it was ready` when the process died starting, else why it could not start. */
function startFailure(error: unknown): string {
  const exit = isAnchorError(error) ? (error.details?.exit as { code: number | null; signal: string | null } | undefined) : undefined;
  if (exit) return `${exitText(exit)} before it was ready`;
  return `it could not start: ${errorMessage(error).split('\n')[0]}`;
}

function exitText(exit: { code: number | null; signal: string | null }): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}
