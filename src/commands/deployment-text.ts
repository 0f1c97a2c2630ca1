import type { DeploymentState, Trigger } from '../core/deployment.js';
import type { FunctionStatus } from '../core/ports/index.js';

export function formatMs(ms: number | null): string {
  if (ms === null) return '…';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}

export function triggerText(trigger: Trigger): string {
  if (trigger.kind === 'push') return `push${trigger.pusher ? ` by ${trigger.pusher}` : ''}`;
  if (trigger.kind === 'manual') return `anchor deploy (${trigger.ref})`;
  return `rollback from ${trigger.from}`;
}

/**
 * The state with what its functions do when that is news: `live (idle)`, `live (restarting)`,
 * `live (crashloop)`, `live (no server)`; a retained version says whether a rollback to it is warm.
 */
export function stateText(state: DeploymentState, runtime: FunctionStatus | null): string {
  if (!runtime) return state;
  const note = `${state} (${runtime.state.replace('-', ' ')})`;
  if (state === 'live') return runtime.state === 'running' ? state : note;
  return runtime.state === 'no-server' ? state : note;
}
