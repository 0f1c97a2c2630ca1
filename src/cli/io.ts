import { writeSync } from 'node:fs';
import { isTerminal } from '../lib/is-terminal.js';

/** The streams a command talks to: the real process's, or strings in a test. */
export interface Io {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  stdin: NodeJS.ReadableStream | null;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  /** Where relative paths given on the command line are resolved. */
  cwd: string;
}

/**
 * This process's streams. Node builds process.stdin, stdout and stderr on first access (a stream,
 * a socket or a TTY each, and the modules behind them: ~5 ms of a command's start), so stdin is
 * made when first read, and output is written to the fd directly, as Node's own stdout does on
 * Linux (synchronously, for files, pipes and terminals alike). Whether each is a terminal is asked
 * of its fd (lib/is-terminal.ts).
 */
export function processIo(): Io {
  const stdout = fdWriter(1, () => process.stdout);
  const stderr = fdWriter(2, () => process.stderr);
  return {
    stdout,
    stderr,
    get stdin() {
      return process.stdin;
    },
    stdoutIsTTY: isTerminal(1),
    stderrIsTTY: isTerminal(2),
    stdinIsTTY: isTerminal(0),
    cwd: process.cwd(),
  };
}

/**
 * Writes to `fd` with writeSync until that cannot be done (a non-blocking pipe that is full), then
 * through Node's stream for it from there on, in order. A reader that went away (`anchor ... | head`)
 * ends the output quietly, as it ends any Unix tool's.
 */
function fdWriter(fd: number, stream: () => NodeJS.WriteStream): { write(chunk: string): boolean } {
  let through: NodeJS.WriteStream | null = null;
  let closed = false;
  return {
    write(chunk: string): boolean {
      if (closed) return true;
      if (through) return through.write(chunk);
      const bytes = Buffer.from(chunk);
      let done = 0;
      try {
        while (done < bytes.length) done += writeSync(fd, bytes, done);
        return true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') {
          closed = true;
          return true;
        }
        if (code !== 'EAGAIN') throw error;
        through = stream();
        return through.write(bytes.subarray(done));
      }
    },
  };
}
