import { isatty } from 'node:tty';

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
 * This process's streams, each made when first used: Node builds process.stdin, stdout and stderr
 * on first access (a stream, a socket or a TTY each, and the modules behind them), which a command
 * that never reads stdin should not pay for at start. Whether each is a terminal is asked of its fd.
 */
export function processIo(): Io {
  return {
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    stdoutIsTTY: isatty(1),
    stderrIsTTY: isatty(2),
    stdinIsTTY: isatty(0),
    cwd: process.cwd(),
  };
}
