import { readdir, readFile } from 'node:fs/promises';
import type { execa as execaFn } from 'execa';
import { LineSplitter } from '../../../lib/line-splitter.js';

export type Execa = typeof execaFn;

export interface StepResult {
  exitCode: number | null;
  signal: string | null;
  /** Set when the command could not be started at all (e.g. ENOENT). */
  spawnError: string | null;
  /** The step's last lines, stdout and stderr together, for a failure reason. */
  tail: string[];
}

export interface StepOptions {
  cwd: string;
  env: Record<string, string>;
  onLine: (line: string) => void;
}

/** Name of the variable that tags every process of a build, so orphans can be found too. */
export const BUILD_MARKER_VAR = 'ANCHOR_BUILD_ID';
const TAIL_LINES = 200;
/** After a step exits, how long a background process may keep its output pipes open. */
const DRAIN_MS = 2_000;

/**
 * The processes of one build. Each step runs detached in a process group of its own and with
 * `ANCHOR_BUILD_ID` in its environment. Killing uses both: the group catches everything that
 * stayed in it, and the environment tag (read from /proc on Linux) catches what left the group
 * (setsid, `detached: true`) or was orphaned, since a child inherits the variable.
 */
export class BuildProcesses {
  private stepRunning = false;
  private readonly groups = new Set<number>();

  constructor(
    private readonly execa: Execa,
    private readonly buildId: string,
  ) {}

  async run(file: string, args: readonly string[], options: StepOptions): Promise<StepResult> {
    const tail: string[] = [];
    const onLine = (line: string): void => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      options.onLine(line);
    };
    const child = this.execa(file, args, {
      cwd: options.cwd,
      env: { ...options.env, [BUILD_MARKER_VAR]: this.buildId },
      extendEnv: false,
      detached: true,
      stdin: 'ignore',
      buffer: false,
      reject: false,
      stripFinalNewline: false,
    });
    this.stepRunning = true;
    if (child.pid !== undefined) this.groups.add(child.pid);

    const streams = [child.stdout, child.stderr].flatMap((stream) => (stream ? [stream] : []));
    const drained = streams.map(
      (stream) =>
        new Promise<void>((resolve) => {
          const splitter = new LineSplitter(onLine);
          stream.on('data', (chunk: Buffer) => splitter.push(chunk));
          stream.once('close', () => {
            splitter.end();
            resolve();
          });
          stream.once('error', () => resolve());
        }),
    );

    // The exit event comes before the pipes close (execa's promise waits for both); execa's
    // promise still settles alone when the command could not be spawned at all.
    const outcome = await new Promise<Outcome>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal, error: null }));
      child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error: error.code ?? error.message }));
      child.then(
        (result) => resolve(result.failed && result.exitCode === undefined && result.signal === undefined ? { code: null, signal: null, error: spawnErrorOf(result) } : { code: result.exitCode ?? null, signal: result.signal ?? null, error: null }),
        (error: unknown) => resolve({ code: null, signal: null, error: String(error) }),
      );
    });
    // A background process started by the step may hold the pipes open forever.
    const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, DRAIN_MS, 'timeout').unref());
    if ((await Promise.race([Promise.all(drained), timer])) === 'timeout') {
      for (const stream of streams) stream.destroy();
    }
    this.stepRunning = false;
    await this.alive(); // forgets the step's group if it is empty, before its id can be reused
    return { exitCode: outcome.code, signal: outcome.signal, spawnError: outcome.error, tail };
  }

  /** True while a step's process is running. */
  get running(): boolean {
    return this.stepRunning;
  }

  /**
   * Ends every process of the build: SIGTERM, then SIGKILL after `graceMs`. Resolves with the
   * pids still alive at the end (empty unless something is unkillable).
   */
  async killAll(graceMs: number): Promise<number[]> {
    const deadline = Date.now() + graceMs;
    if ((await this.alive()).length === 0) return [];
    await this.signalAll('SIGTERM');
    while (Date.now() < deadline) {
      if ((await this.alive()).length === 0) return [];
      await sleep(100);
      // Children forked during the shutdown get the signal too.
      await this.signalAll('SIGTERM');
    }
    for (let attempt = 0; attempt < 20; attempt += 1) {
      await this.signalAll('SIGKILL');
      await sleep(50);
      if ((await this.alive()).length === 0) return [];
    }
    return this.alive();
  }

  private async signalAll(signal: NodeJS.Signals): Promise<void> {
    for (const group of this.groups) {
      try {
        process.kill(-group, signal);
      } catch {
        // The group is gone already.
      }
    }
    for (const pid of await this.tagged()) {
      try {
        process.kill(pid, signal);
      } catch {
        // It ended between the scan and the signal.
      }
    }
  }

  private async alive(): Promise<number[]> {
    const pids = new Set(await this.tagged());
    const withProc = (await processIds()).length > 0;
    for (const group of this.groups) {
      try {
        process.kill(-group, 0);
      } catch {
        this.groups.delete(group);
        continue;
      }
      // kill(-group, 0) also succeeds for a group of zombies; /proc tells them apart.
      const members = withProc ? await groupMembers(group) : [group];
      if (members.length === 0) this.groups.delete(group);
      for (const pid of members) pids.add(pid);
    }
    return [...pids];
  }

  /** Live (non-zombie) processes carrying this build's tag. Empty where /proc does not exist. */
  private async tagged(): Promise<number[]> {
    const needle = Buffer.from(`${BUILD_MARKER_VAR}=${this.buildId}\0`);
    const found: number[] = [];
    for (const pid of await processIds()) {
      try {
        const environ = await readFile(`/proc/${pid}/environ`);
        if (environ.includes(needle) && !(await isZombie(pid))) found.push(pid);
      } catch {
        // Gone, or not ours to read.
      }
    }
    return found;
  }
}

/**
 * Kills (SIGKILL) every live process whose build tag names one of `buildIds`: what a server that
 * died mid-build left running. Returns the pids it killed.
 */
export async function killOrphans(buildIds: ReadonlySet<string>): Promise<number[]> {
  const killed: number[] = [];
  const prefix = Buffer.from(`${BUILD_MARKER_VAR}=`);
  for (const pid of await processIds()) {
    try {
      const environ = await readFile(`/proc/${pid}/environ`);
      const at = environ.indexOf(prefix);
      if (at === -1) continue;
      const end = environ.indexOf(0, at);
      const tag = environ.subarray(at + prefix.length, end === -1 ? undefined : end).toString();
      if (!buildIds.has(tag) || (await isZombie(pid))) continue;
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return killed;
}

interface Outcome {
  code: number | null;
  signal: string | null;
  error: string | null;
}

function spawnErrorOf(result: { code?: unknown; shortMessage?: unknown }): string {
  if (typeof result.code === 'string') return result.code;
  return typeof result.shortMessage === 'string' ? result.shortMessage : 'could not start';
}

async function processIds(): Promise<number[]> {
  try {
    const entries = await readdir('/proc');
    return entries.filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => pid !== process.pid);
  } catch {
    return [];
  }
}

async function groupMembers(group: number): Promise<number[]> {
  const members: number[] = [];
  for (const pid of await processIds()) {
    const stat = await procStat(pid);
    if (stat && stat.pgrp === group && stat.state !== 'Z') members.push(pid);
  }
  return members;
}

async function isZombie(pid: number): Promise<boolean> {
  const stat = await procStat(pid);
  return stat === null || stat.state === 'Z' || stat.state === 'X';
}

async function procStat(pid: number): Promise<{ state: string; pgrp: number } | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: parse after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
