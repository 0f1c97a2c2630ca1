import type { ErrorKind } from '../core/errors.js';

/** The CLI's exit codes, one per error kind. Documented in README.md; scripts rely on them. */
export const EXIT_CODES: Record<ErrorKind | 'ok', number> = {
  ok: 0,
  internal: 1,
  usage: 2,
  'not-found': 3,
  conflict: 4,
  auth: 5,
  external: 6,
  failed: 7,
};
