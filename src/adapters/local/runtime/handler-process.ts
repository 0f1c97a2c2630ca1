import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { linkTree } from '../../../lib/link-tree.js';
import { AnchorError } from '../../../core/errors.js';
import type { HandlerChildMessage } from './handler-child.js';
import { LineSplitter } from '../../../lib/line-splitter.js';
import { socketUrl } from './function-socket.js';
import { findProcesses, processInfo, signalQuietly } from '../../../lib/process-table.js';
import { endEscapees } from '../sandbox/uid-sweep.js';

export type HandlerKind = 'server' | 'image';

export interface HandlerProcess {
  /** `unix:<socket path>` (function-socket.ts); send the site's Host header (`<project>.localhost:<port>`). */
  url: string;
  socketPath: string;
  /** The process this server started: the sandbox (bwrap) when there is one, else the child itself. */
  pid: number;
  /** Settles when the child has exited, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (the child finishes requests in flight), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** A command line as spawn takes it, with the uid to run it as (when it has one of its own). */
export interface SandboxedCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  uid?: number;
  gid?: number;
}

export interface StartHandlerInput {
  /** A runnable copy of a function bundle: `serverDir` or `imageDir` from `prepareRuntimeDir`. */
  bundleDir: string;
  kind: HandlerKind;
  /** The deployment's runtime variables. Nothing else is inherited from this process. */
  env: Record<string, string>;
  onLog?: (line: string, stream: 'stdout' | 'stderr') => void;
  readyTimeoutMs?: number;
  /** Where the child listens: a Unix socket in a folder only the server and the project enter. */
  socketPath: string;
  /**
   * Runs the child in its project's sandbox (its uid, bubblewrap): gets the command line this
   * function would start and answers the one to start instead. Default: as this process's user.
   */
  sandbox?: (command: { file: string; args: string[]; cwd: string; env: Record<string, string> }) => SandboxedCommand;
  /** The child program to run (a copy its sandbox can read); default: the one beside this module. */
  childEntry?: string;
}

export interface RuntimeDir {
  root: string;
  serverDir: string;
  imageDir: string;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;
const TAIL_LINES = 20;

/**
 * Starts one function bundle in a child process serving HTTP on the Unix socket `socketPath`,
 * resolving once it listens. The child gets exactly `env` plus what a local run needs
 * (`ANCHOR_RUNTIME=local`, production mode, no telemetry) and never an `AWS_*` variable: those
 * would send OpenNext to AWS. It leads a process group of its own, so a stop reaches the child
 * through its sandbox too.
 */
export async function startHandlerProcess(input: StartHandlerInput): Promise<HandlerProcess> {
  const entry = input.childEntry ?? handlerChildEntry();
  const url = socketUrl(input.socketPath);
  const env: Record<string, string> = { NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' };
  for (const [name, value] of Object.entries(input.env)) {
    if (name.startsWith('AWS_')) input.onLog?.(`[anchor] ${name} is not passed to the local runtime.`, 'stderr');
    else env[name] = value;
  }
  env.ANCHOR_RUNTIME = 'local';

  const plain = { file: process.execPath, args: [entry, input.bundleDir, input.kind, input.socketPath], cwd: input.bundleDir, env };
  const command: SandboxedCommand = input.sandbox?.(plain) ?? plain;
  const child = spawn(command.file, command.args, {
    cwd: input.bundleDir,
    env: command.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
    ...(command.uid === undefined ? {} : { uid: command.uid, gid: command.gid }),
  });
  // Signals go to the whole group (the child and anything the site started), except that bwrap
  // dies of SIGTERM and takes its sandbox down at once: a graceful stop skips it.
  const throughBwrap = command.file !== plain.file;
  const signal = (name: NodeJS.Signals): void => {
    const group = child.pid;
    if (group === undefined) return void child.kill(name);
    if (name === 'SIGKILL' || !throughBwrap) return signalQuietly(-group, name);
    for (const member of findProcesses((info) => info.pgrp === group && info.comm !== 'bwrap')) signalQuietly(member.pid, name);
  };
  const tail: string[] = [];
  const follow = (stream: 'stdout' | 'stderr') => {
    const splitter = new LineSplitter((line) => {
      if (stream === 'stderr') {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      }
      input.onLog?.(line, stream);
    });
    const source = stream === 'stdout' ? child.stdout : child.stderr;
    source?.on('data', (chunk: Buffer) => splitter.push(chunk));
    source?.on('end', () => splitter.end());
  };
  follow('stdout');
  follow('stderr');

  // As the project's uid without bubblewrap, what left the process's group and session (a daemon
  // the site started) is found by uid once the process is gone; bubblewrap's tree ends by itself.
  const startedAt = command.uid !== undefined && !throughBwrap && child.pid !== undefined ? processInfo(child.pid)?.startTime : undefined;
  const escapes = command.uid !== undefined && startedAt !== undefined ? { uid: command.uid, since: startedAt } : null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': by then its last output has been read too.
    child.once('close', (code, signal) => {
      void (escapes ? endEscapees(escapes.uid, escapes.since) : Promise.resolve()).finally(() => resolve({ code, signal }));
    });
  });
  await untilReady({ child, exited, signal, tail, input });

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = STOP_GRACE_MS): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
      if ((await Promise.race([exited, late])) === 'late') signal('SIGKILL');
      clearTimeout(timer);
      await exited;
    })();
    return stopping;
  };

  return { url, socketPath: input.socketPath, pid: child.pid ?? -1, exited, stop };
}

/** Resolves once the child says it is ready; kills it and rejects when it exits, fails or takes too long. */
function untilReady(started: {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal: (name: NodeJS.Signals) => void;
  tail: string[];
  input: StartHandlerInput;
}): Promise<void> {
  const { child, exited, signal, tail, input } = started;
  const what = `${input.kind} handler for ${input.bundleDir}`;
  const details = () => ({ bundleDir: input.bundleDir, kind: input.kind, stderr: [...tail] });

  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(
        new AnchorError({
          code: 'HANDLER_START_TIMEOUT',
          kind: 'failed',
          message: `The ${what} did not become ready within ${Math.round((input.readyTimeoutMs ?? READY_TIMEOUT_MS) / 1000)} s.${stderrSuffix(tail)}`,
          hint: 'Check the deployment\'s runtime logs; a bundle that does heavy work at import time starts slowly.',
          details: details(),
        }),
      );
    }, input.readyTimeoutMs ?? READY_TIMEOUT_MS);
    child.on('message', (raw) => {
      const message = raw as HandlerChildMessage;
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new AnchorError({ code: 'HANDLER_START_FAILED', kind: 'failed', message: `Could not start the ${what}: ${error.message}`, details: details(), cause: error }));
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new AnchorError({
          code: 'HANDLER_START_FAILED',
          kind: 'failed',
          message: `The ${what} exited (${signal ?? `code ${code}`}) before it was ready.${stderrSuffix(tail)}`,
          hint: 'The site crashes when its bundle is loaded; its last output above says why.',
          details: { ...details(), exit: { code, signal } },
        }),
      );
    });
  });
}

/**
 * Makes a self-contained, writable copy of an OpenNext output for running locally:
 *
 *   <destDir>/assets/                  public files (the image loader reads them)
 *   <destDir>/cache/                   the ISR cache, seeded by the build, written at run time
 *   <destDir>/server-functions/default the server bundle
 *   <destDir>/image-functions/default  the image bundle
 *
 * Both bundles sit two levels below `destDir` because OpenNext's fs-dev overrides look for
 * `cache/` and `assets/` at `<bundle>/../..`. A copy, not links: the cache is written in place.
 */
export async function prepareRuntimeDir(openNextDir: string, destDir: string): Promise<RuntimeDir> {
  const from = (...parts: string[]) => path.join(openNextDir, ...parts);
  const required = [from('server-functions', 'default', 'index.mjs'), from('image-optimization-function', 'index.mjs'), from('assets')];
  const missing = required.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new AnchorError({
      code: 'OPENNEXT_OUTPUT_INCOMPLETE',
      kind: 'failed',
      message: `The OpenNext output in ${openNextDir} lacks ${missing.map((file) => path.relative(openNextDir, file)).join(', ')}.`,
      hint: 'Rebuild the deployment; the OpenNext build did not finish.',
    });
  }
  if (!existsSync(from('image-optimization-function', 'node_modules', '@img', `sharp-linux-${process.arch}`))) {
    throw new AnchorError({
      code: 'IMAGE_FUNCTION_BROKEN',
      kind: 'failed',
      message: `The image function in ${openNextDir} has no sharp for linux-${process.arch}, so every /_next/image request would fail.`,
      hint: 'OpenNext installs sharp with npm during the build and ignores a failed install: check the build log for the npm error, and build with ANCHOR_IMAGE_ARCH unset (x64) for the local backend.',
    });
  }
  const runtime: RuntimeDir = {
    root: destDir,
    serverDir: path.join(destDir, 'server-functions', 'default'),
    imageDir: path.join(destDir, 'image-functions', 'default'),
  };
  // Laid out beside and renamed into place: a crash mid-way leaves a scratch folder (removed the
  // next time), never a half-made `destDir` that the next start would trip over.
  const parent = path.dirname(destDir);
  const name = path.basename(destDir);
  await mkdir(parent, { recursive: true });
  await removeScratch(parent, name);
  const scratch = path.join(parent, `.${name}.tmp-${randomBytes(4).toString('hex')}`);
  try {
    await layOut(from, scratch);
    // Whatever is there (an older layout, a folder a crashed anchor left half made) goes aside first.
    if (existsSync(destDir)) await rename(destDir, path.join(parent, `.${name}.old-${randomBytes(4).toString('hex')}`));
    await rename(scratch, destDir);
  } finally {
    await removeScratch(parent, name);
  }
  return runtime;
}

async function layOut(from: (...parts: string[]) => string, destDir: string): Promise<void> {
  await mkdir(destDir, { recursive: true });
  const copy = (src: string, dest: string) => cp(src, dest, { recursive: true, verbatimSymlinks: true, errorOnExist: false });
  // The ISR cache is rewritten in place at run time, so it is a real copy; the bundles and assets
  // are only read, so hard links do (the artifact stays as it was).
  await Promise.all([
    linkTree(from('assets'), path.join(destDir, 'assets')),
    existsSync(from('cache')) ? copy(from('cache'), path.join(destDir, 'cache')) : mkdir(path.join(destDir, 'cache'), { recursive: true }),
    linkTree(from('server-functions', 'default'), path.join(destDir, 'server-functions', 'default')),
    linkTree(from('image-optimization-function'), path.join(destDir, 'image-functions', 'default')),
  ]);
}

/** The scratch and set-aside folders of `name` in `parent`, from this layout or a crashed one. */
async function removeScratch(parent: string, name: string): Promise<void> {
  const prefixes = [`.${name}.tmp-`, `.${name}.old-`];
  const leftovers = (await readdir(parent)).filter((entry) => prefixes.some((prefix) => entry.startsWith(prefix)));
  await Promise.all(leftovers.map((entry) => rm(path.join(parent, entry), { recursive: true, force: true })));
}

function stderrSuffix(tail: string[]): string {
  return tail.length === 0 ? '' : ` Its last output:\n${tail.join('\n')}`;
}

/** The compiled child program; from `src/` (tests run TypeScript directly) it is the one in `dist/`. */
export function handlerChildEntry(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = path.join(path.dirname(here), 'handler-child.js');
  const candidates = [sibling, here.replace(`${path.sep}src${path.sep}`, `${path.sep}dist${path.sep}src${path.sep}`).replace(/\.ts$/, '.js').replace('handler-process.js', 'handler-child.js')];
  const found = candidates.find((file) => existsSync(file));
  if (found === undefined) {
    throw new AnchorError({
      code: 'HANDLER_CHILD_MISSING',
      kind: 'internal',
      message: `The local function runner is not built (looked for ${candidates.join(' and ')}).`,
      hint: 'Run "npm run build".',
    });
  }
  return found;
}
