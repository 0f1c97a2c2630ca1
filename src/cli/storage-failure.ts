import { accessSync, constants } from 'node:fs';
import { AnchorError, errorMessage } from '../core/errors.js';
import { storageTrouble } from '../lib/storage-errors.js';

/**
 * A command that could not write because the disk under ANCHOR_HOME is full or read-only: said so
 * (exit 6, the machine failed) instead of "internal error". SQLite rolls the failed write back,
 * so nothing was half done.
 */
export function storageFailure(error: unknown, anchorHome: string): AnchorError | null {
  const trouble = storageTrouble(error) ?? (cannotOpen(error) && !writable(anchorHome) ? 'read-only' : null);
  if (trouble === 'full') {
    return new AnchorError({
      code: 'DISK_FULL',
      kind: 'external',
      message: `The disk that holds ANCHOR_HOME (${anchorHome}) is full: anchor could not write to it (${errorMessage(error)}). Nothing was changed.`,
      hint: 'Free some space on that disk (old build caches are under platforms/<name>/cache), then run the command again.',
      cause: error,
    });
  }
  if (trouble === 'read-only') {
    return new AnchorError({
      code: 'ANCHOR_HOME_READ_ONLY',
      kind: 'external',
      message: `ANCHOR_HOME (${anchorHome}) is on a read-only filesystem: anchor could not write to it (${errorMessage(error)}). Nothing was changed.`,
      hint: 'Remount it read-write, or point ANCHOR_HOME at a writable folder.',
      cause: error,
    });
  }
  return null;
}

/** SQLite could not open the platform's file: on a read-only filesystem, that is why. */
function cannotOpen(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_CANTOPEN';
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EROFS';
  }
}
