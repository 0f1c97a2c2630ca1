import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Linux's memory devices (/dev/null, /dev/zero, /dev/urandom, …): character devices, never terminals. */
const LINUX_MEMORY_DEVICES = 1;

/**
 * Whether `fd` is a terminal, as tty.isatty says, without loading node:tty (and node:net behind it,
 * ~6 ms of a CLI's start) when the answer is plainly no: a pipe, a file or a socket is no character
 * device, and on Linux /dev/null (stdin of a CI job, a cron job, `spawn` with 'ignore') is a
 * memory device. Only for another character device is tty asked.
 */
export function isTerminal(fd: number): boolean {
  try {
    const stat = fstatSync(fd);
    if (!stat.isCharacterDevice()) return false;
    if (process.platform === 'linux' && ((Number(stat.rdev) >> 8) & 0xfff) === LINUX_MEMORY_DEVICES) return false;
  } catch {
    return false;
  }
  const tty = createRequire(import.meta.url)('node:tty') as typeof import('node:tty');
  return tty.isatty(fd);
}
