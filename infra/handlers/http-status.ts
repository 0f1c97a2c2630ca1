import type { ErrorKind } from '../../src/core/errors.js';

/**
 * The one place an error kind becomes an HTTP status (STYLE.md rule 4). `external` and `internal`
 * are 5xx so GitHub marks the delivery failed and a person can redeliver it.
 */
export const HTTP_STATUS: Record<ErrorKind, number> = {
  usage: 400,
  'not-found': 404,
  conflict: 409,
  auth: 401,
  failed: 422,
  external: 503,
  internal: 500,
};
