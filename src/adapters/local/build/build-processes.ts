import { appendFile, readFile } from 'node:fs/promises';
import type { execa as execaFn } from 'execa';
import { LineSplitter } from '../../../lib/line-splitter.js';
import { findProcesses, processInfo, signalQuietly, type ProcessInfo } from '../../../lib/process-table.js';
import type { SandboxedCommand } from '../runtime/handler-process.js';
import { endEscapees } from '../sandbox/uid-sweep.js';

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
  /** Runs the step in the project's sandbox: the command line to start instead (see ProjectSandbox.command). */
  sandbox?: (command: { file: string; args: readonly string[]; cwd: string; env: Record<string, string> }) => SandboxedCommand;
}

const TAIL_LINES = 200;
/** After a step exits, how long a background process may keep its output pipes open. */
const DRAIN_MS = 2_000;

/** A step's first process, as it is written down for a server that finds the build orphaned. */
interface Leader {
  pid: number;
  startTime: number;
  /** bubblewrap: SIGTERM would make it drop its sandbox at once, so it gets only SIGKILL. */
  bwrap: boolean;
}

/**
 * The processes of one build. Each step runs detached, leading a session and a process group of
 * its own, in its project's sandbox when there is one: a bubblewrap sandbox has its own process
 * tree, which ends as a whole when bwrap is killed, setsid or not. Killing ends every process of
 * the steps' groups and sessions. Each step's leader is written to `recordFile`, so a server that
 * finds the build orphaned (its predecessor died) ends them too (killOrphans).
 */
export class BuildProcesses {
  private stepRunning = false;
  private readonly leaders = new Map<number, Leader>();
  /** When the first step started (clock ticks after boot). */
  private firstStart: number | null = null;
  /**
   * The project's uid when steps run as it without bubblewrap: what leaves the steps' sessions is
   * found by uid (killEscapees). In bubblewrap, the sandbox's own process tree ends with it.
   */
  ownUid: number | null = null;

  constructor(
    private readonly execa: Execa,
    private readonly options: { recordFile?: string } = {},
  ) {}

  async run(file: string, args: readonly string[], options: StepOptions): Promise<StepResult> {
    const tail: string[] = [];
    const onLine = (line: string): void => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      options.onLine(line);
    };
    const command: SandboxedCommand = options.sandbox?.({ file, args, cwd: options.cwd, env: options.env }) ?? { file, args: [...args], env: options.env };
    const child = this.execa(command.file, command.args, {
      cwd: options.cwd,
      env: command.env,
      extendEnv: false,
      detached: true,
      stdin: 'ignore',
      buffer: false,
      reject: false,
      stripFinalNewline: false,
      ...(command.uid === undefined ? {} : { uid: command.uid, gid: command.gid }),
    });
    this.stepRunning = true;
    if (child.pid !== undefined) this.remember(child.pid, command.file !== file);

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
    this.alive(); // forgets the step's group if it is empty, before its id can be reused
    // Without bubblewrap nothing a step started outlives it: between steps the server works in
    // folders the build can write (it restores .next/cache there), and a process still running
    // could swap one of them for a link while it does. In bubblewrap, the step's process tree ended with it.
    if (this.ownUid !== null && this.firstStart !== null) await endEscapees(this.ownUid, this.firstStart);
    return { exitCode: outcome.code, signal: outcome.signal, spawnError: outcome.error, tail };
  }

  /** True while a step's process is running. */
  get running(): boolean {
    return this.stepRunning;
  }

  /** Ends every process of the steps' groups and sessions: SIGTERM, then SIGKILL after `graceMs`. */
  private async killSessions(graceMs: number): Promise<number[]> {
    const deadline = Date.now() + graceMs;
    if (this.alive().length === 0) return [];
    this.signalAll('SIGTERM');
    while (Date.now() < deadline) {
      if (this.alive().length === 0) return [];
      await sleep(100);
      // Children forked during the shutdown get the signal too.
      this.signalAll('SIGTERM');
    }
    for (let attempt = 0; attempt < 20; attempt += 1) {
      this.signalAll('SIGKILL');
      await sleep(50);
      if (this.alive().length === 0) return [];
    }
    return this.alive().map((p) => p.pid);
  }

  /**
   * Ends every process of the build, then what left its sessions (ownUid). Resolves with the pids
   * still alive at the end (empty unless something is unkillable).
   */
  async killAll(graceMs: number): Promise<number[]> {
    const left = await this.killSessions(graceMs);
    if (this.ownUid !== null && this.firstStart !== null) await endEscapees(this.ownUid, this.firstStart);
    return left;
  }

  private remember(pid: number, bwrap: boolean): void {
    const leader: Leader = { pid, startTime: processInfo(pid)?.startTime ?? 0, bwrap };
    if (leader.startTime > 0 && (this.firstStart === null || leader.startTime < this.firstStart)) this.firstStart = leader.startTime;
    this.leaders.set(pid, leader);
    if (this.options.recordFile) void appendFile(this.options.recordFile, `${JSON.stringify(leader)}\n`).catch(() => undefined);
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const member of this.alive()) {
      if (signal === 'SIGTERM' && this.leaders.get(member.pgrp)?.bwrap === true && member.comm === 'bwrap') continue;
      signalQuietly(member.pid, signal);
    }
    if (signal === 'SIGKILL') for (const pid of this.leaders.keys()) signalQuietly(-pid, signal);
  }

  /** The live processes of the steps' groups and sessions; a step whose processes all ended is forgotten. */
  private alive(): ProcessInfo[] {
    if (this.leaders.size === 0) return [];
    // A step that starts while /proc is read is not in this reading: only those known before may be forgotten.
    const known = [...this.leaders.keys()];
    const members = findProcesses((info) => matchesLeader(info, this.leaders.get(info.pgrp) ?? this.leaders.get(info.session)));
    for (const pid of known) {
      if (!members.some((member) => member.pgrp === pid || member.session === pid)) this.leaders.delete(pid);
    }
    return members;
  }
}

/**
 * Kills (SIGKILL) what is left of builds a server that died mid-build (SIGKILL, a crash) left
 * running: every live process in the sessions and groups its steps led, as written down in
 * `recordFiles`. Returns the pids it killed.
 */
export async function killOrphans(recordFiles: readonly string[]): Promise<number[]> {
  const leaders = new Map<number, Leader>();
  for (const file of recordFiles) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      try {
        const leader = JSON.parse(line) as Leader;
        if (Number.isInteger(leader.pid) && Number.isInteger(leader.startTime)) leaders.set(leader.pid, leader);
      } catch {
        // A line cut short by the crash.
      }
    }
  }
  if (leaders.size === 0) return [];
  // A pid now used by a process that started after the one written down is someone else's.
  for (const leader of [...leaders.values()]) {
    const now = processInfo(leader.pid);
    if (now !== null && now.startTime !== leader.startTime) leaders.delete(leader.pid);
  }
  const orphans = findProcesses((info) => matchesLeader(info, leaders.get(info.pgrp) ?? leaders.get(info.session)));
  for (const orphan of orphans) signalQuietly(orphan.pid, 'SIGKILL');
  return orphans.map((orphan) => orphan.pid);
}

/** A process of a step's group or session, started no earlier than the step (pids are reused). */
function matchesLeader(info: ProcessInfo, leader: Leader | undefined): boolean {
  return leader !== undefined && info.startTime >= leader.startTime;
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
