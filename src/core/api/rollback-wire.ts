import { z } from 'zod';
import { AnchorError, isAnchorError, type ErrorKind } from '../errors.js';
import type { Rollback } from '../use-cases/rollback.js';

/**
 * A rollback asked of the deploy function by the API function on aws (only the deploy role may
 * change functions and aliases): the event the API sends, and the answer it gets back, with an
 * AnchorError carried across intact so the API answers it as if it had run the rollback itself.
 */
export const ROLLBACK_DETAIL_TYPE = 'anchor.rollback';

const rollbackEvent = z.object({ 'detail-type': z.literal(ROLLBACK_DETAIL_TYPE), detail: z.object({ project: z.string().max(63), to: z.string().max(64).optional() }) });
export type RollbackEvent = z.input<typeof rollbackEvent>;

export function rollbackRequest(input: { project: string; to?: string | undefined }): RollbackEvent {
  return { 'detail-type': ROLLBACK_DETAIL_TYPE, detail: { project: input.project, ...(input.to === undefined ? {} : { to: input.to }) } };
}

export function parseRollbackRequest(raw: unknown): { project: string; to?: string | undefined } | null {
  const parsed = rollbackEvent.safeParse(raw);
  return parsed.success ? parsed.data.detail : null;
}

export type RollbackAnswer = { rollback: Rollback } | { error: { code: string; kind: ErrorKind; message: string; hint?: string } };

/** What the deploy function answers: the rollback, or the AnchorError it refused with (anything else is thrown, a function error). */
export async function answerRollback(run: () => Promise<Rollback>): Promise<RollbackAnswer> {
  try {
    return { rollback: await run() };
  } catch (error) {
    if (isAnchorError(error)) return { error: { code: error.code, kind: error.kind, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } };
    throw error;
  }
}

export function rollbackOf(answer: unknown): Rollback {
  const value = answer as RollbackAnswer | null;
  if (value && 'rollback' in value) return value.rollback;
  if (value && 'error' in value) throw new AnchorError(value.error);
  throw new AnchorError({ code: 'ROLLBACK_FAILED', kind: 'external', message: 'The deploy function did not answer the rollback.', hint: 'Look at the deploy function\'s log, then try again.' });
}
