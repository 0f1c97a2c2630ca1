/**
 * The one error type of anchor. `code` is stable (scripts may match on it), `kind` decides the
 * exit code (CLI) or HTTP status (handlers) in one place each, and `hint` tells a person what to
 * do next.
 */
export type ErrorKind = 'usage' | 'not-found' | 'conflict' | 'auth' | 'external' | 'failed' | 'internal';

export class AnchorError extends Error {
  override readonly name = 'AnchorError';
  readonly code: string;
  readonly kind: ErrorKind;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(input: { code: string; kind: ErrorKind; message: string; hint?: string; details?: Record<string, unknown>; cause?: unknown }) {
    super(input.message, input.cause === undefined ? undefined : { cause: input.cause });
    this.code = input.code;
    this.kind = input.kind;
    this.hint = input.hint;
    this.details = input.details;
  }
}

export function isAnchorError(error: unknown): error is AnchorError {
  return error instanceof AnchorError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
