import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AnchorError } from '../../../core/errors.js';

/**
 * The outermost folder on the way to `path` (itself included, when a folder) that a sandbox uid
 * (a user with no group of its own) may not pass through, or null when every one lets others
 * through (o+x).
 */
export function blockedForOthers(path: string): string | null {
  let blocked: string | null = null;
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    const info = statSync(dir, { throwIfNoEntry: false });
    if (info !== undefined && info.isDirectory() && (info.mode & 0o001) === 0) blocked = dir;
    if (dirname(dir) === dir) return blocked;
  }
}

/** Throws a usage error naming `flag` when a sandbox uid could not reach `path`. */
export function assertReachableByUids(path: string, flag: string): void {
  const blocked = blockedForOthers(dirname(resolve(path)));
  if (blocked === null) return;
  throw new AnchorError({
    code: 'NOT_REACHABLE_BY_SANDBOX',
    kind: 'usage',
    message: `${path} is inside ${blocked}, which other users may not enter, so the projects' own uids could not reach it.`,
    hint: `Pick a ${flag} outside ${blocked}, or let others pass through it (chmod o+x ${blocked}).`,
  });
}
