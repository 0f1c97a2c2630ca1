/**
 * What a failed write says about the storage under it, from the error's code: Node's errno codes
 * (`ENOSPC`, `EROFS`, …) and SQLite's (better-sqlite3's `SQLITE_FULL`, `SQLITE_READONLY…`), on
 * the error itself or on one of its causes.
 */
export type StorageTrouble = 'full' | 'read-only';

const FULL = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
const READ_ONLY = new Set(['EROFS', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_RECOVERY', 'SQLITE_READONLY_CANTINIT', 'SQLITE_READONLY_CANTLOCK', 'SQLITE_READONLY_ROLLBACK']);

export function storageTrouble(error: unknown): StorageTrouble | null {
  for (let current = error, depth = 0; current !== null && typeof current === 'object' && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && FULL.has(code)) return 'full';
    if (typeof code === 'string' && READ_ONLY.has(code)) return 'read-only';
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/** A line of a tool's output that says the disk was full (npm, git, node, a shell). */
export const DISK_FULL_LINE = /ENOSPC|no space left on device|disk quota exceeded/i;
