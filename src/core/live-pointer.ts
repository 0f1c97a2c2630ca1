import type { Deployment, DeploymentState } from './deployment.js';
import type { LivePointer, PromoteResult } from './ports/deployments.js';

/** A deployment may take `live` from these states: a fresh one, or a retired one (rollback). */
export const PROMOTABLE_STATES: readonly DeploymentState[] = ['deploying', 'retired'];

/**
 * The rules of the live compare-and-swap, for every Deployments adapter to apply inside its own
 * atomic write: the revision must be the expected one; with `onlyIfNewer` the candidate must be
 * newer than every deployment that was ever live; the candidate must be promotable. Returns the
 * pointer to write, or why not.
 */
export function planPromote(
  input: { projectId: string; expectedRevision: number | null; onlyIfNewer: boolean; at: string },
  current: LivePointer | null,
  candidate: Pick<Deployment, 'id' | 'sequence' | 'state'>,
): { ok: true; pointer: LivePointer } | Extract<PromoteResult, { ok: false }> {
  if ((current?.revision ?? null) !== input.expectedRevision) return { ok: false, current, reason: 'revision-changed' };
  if (input.onlyIfNewer && current && candidate.sequence <= current.highestSequence) return { ok: false, current, reason: 'not-newer' };
  if (!PROMOTABLE_STATES.includes(candidate.state)) return { ok: false, current, reason: 'state-changed' };
  return {
    ok: true,
    pointer: {
      projectId: input.projectId,
      deploymentId: candidate.id,
      sequence: candidate.sequence,
      highestSequence: Math.max(candidate.sequence, current?.highestSequence ?? 0),
      revision: (current?.revision ?? 0) + 1,
      at: input.at,
    },
  };
}
