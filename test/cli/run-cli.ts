import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { readCliEnv } from '../../src/cli/env.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

export const BIN = fileURLToPath(new URL('../../bin/anchor.js', import.meta.url));

/** Runs the real program in-process, with its own ANCHOR_HOME and captured output. */
export async function runCli(args: string[], options: { home: string; env?: Record<string, string>; cwd?: string; tty?: boolean; stdin?: string }): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const env = readCliEnv({ HOME: options.home, PATH: process.env.PATH, ANCHOR_HOME: join(options.home, '.anchor'), ...options.env });
  const code = await main(
    args,
    {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      stdin: options.stdin === undefined ? null : Readable.from([options.stdin]),
      stdoutIsTTY: options.tty ?? false,
      stderrIsTTY: options.tty ?? false,
      stdinIsTTY: options.tty ?? false,
      cwd: options.cwd ?? options.home,
    },
    env,
  );
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/** Runs bin/anchor as a real child process (needs `npm run build` first). */
export function runBin(args: string[], options: { home: string; env?: Record<string, string>; cwd?: string }): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd ?? options.home, env: { PATH: process.env.PATH ?? '', HOME: options.home, ANCHOR_HOME: join(options.home, '.anchor'), CI: '1', ...options.env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T });
      },
    );
  });
}

export function tempHome(): { dir: string; cleanup(): void } {
  // Passable (not listable) by the projects' sandbox uids, so a build can fetch a repository in it;
  // the platform dir in it is closed by itself.
  const dir = mkdtempSync(join(tmpdir(), 'anchor-cli-'));
  chmodSync(dir, 0o711);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
