import { describe, expect, it } from 'vitest';
import { ACTIVE_STATES, assertTransitions, canTransition, DEPLOYMENT_STATES, END_STATES, isEnded, isSpent, PIPELINE_ENDS, type DeploymentState } from '../../../src/core/deployment.js';

/** Every state reachable from `from` along the state machine. */
function reachable(from: DeploymentState): Set<DeploymentState> {
  const seen = new Set<DeploymentState>();
  const todo = [from];
  while (todo.length) {
    const state = todo.pop() as DeploymentState;
    for (const next of DEPLOYMENT_STATES) {
      if (canTransition(state, next) && !seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
    }
  }
  return seen;
}

describe('the deployment state machine', () => {
  it('splits the states into active and ended, ended being exactly what isEnded says', () => {
    expect([...ACTIVE_STATES, ...END_STATES].sort()).toEqual([...DEPLOYMENT_STATES].sort());
    expect(END_STATES).toEqual(['live', 'failed', 'superseded', 'cancelled', 'retired']);
    expect(DEPLOYMENT_STATES.filter(isEnded)).toEqual(END_STATES);
    expect(PIPELINE_ENDS).toEqual(['live', 'failed', 'superseded', 'cancelled']);
    expect(DEPLOYMENT_STATES.filter(isSpent)).toEqual(['failed', 'superseded', 'cancelled', 'retired']);
  });

  it('lets every active state reach an end, and no end go back into the pipeline', () => {
    for (const state of ACTIVE_STATES) expect([...reachable(state)].some((s) => PIPELINE_ENDS.includes(s)), state).toBe(true);
    for (const state of END_STATES) expect([...reachable(state)].filter((s) => ACTIVE_STATES.includes(s)), state).toEqual([]);
  });

  it('leaves ends final, but for live → retired → live (rollback)', () => {
    expect(END_STATES.filter((s) => reachable(s).size > 0)).toEqual(['live', 'retired']);
    expect([...reachable('live')].sort()).toEqual(['live', 'retired']);
  });

  it('refuses a move when any of its from-states may not go there', () => {
    expect(() => assertTransitions(['queued', 'building'], 'failed', 'd_1')).not.toThrow();
    expect(() => assertTransitions(['queued', 'live'], 'failed', 'd_1')).toThrow(expect.objectContaining({ code: 'DEPLOYMENT_TRANSITION_INVALID', message: 'Deployment d_1 cannot go from live to failed.' }));
  });
});
