import { AnchorError } from './errors.js';

export const DEPLOYMENT_STATES = ['queued', 'building', 'built', 'deploying', 'live', 'failed', 'superseded', 'cancelled', 'retired'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/** Allowed transitions (DESIGN.md): the pipeline moves forward; ends are final except live → retired → live (rollback). */
const NEXT: Record<DeploymentState, readonly DeploymentState[]> = {
  queued: ['building', 'superseded', 'cancelled', 'failed'],
  // building → building: a retried job (the worker died) starts the build again.
  building: ['building', 'built', 'failed', 'superseded', 'cancelled'],
  built: ['deploying', 'superseded', 'cancelled', 'failed'],
  deploying: ['deploying', 'live', 'failed', 'superseded'],
  live: ['retired'],
  retired: ['live'],
  failed: [],
  superseded: [],
  cancelled: [],
};

/** On its way through the pipeline. */
export const ACTIVE_STATES: readonly DeploymentState[] = ['queued', 'building', 'built', 'deploying'];
/** Done with the pipeline: every state that is not active. */
export const END_STATES: readonly DeploymentState[] = DEPLOYMENT_STATES.filter((s) => !ACTIVE_STATES.includes(s));
/** Where a deployment's pipeline ended: it went live, or it never will (`retired` comes later, from another's promote). */
export const PIPELINE_ENDS: readonly DeploymentState[] = END_STATES.filter((s) => s !== 'retired');

export function canTransition(from: DeploymentState, to: DeploymentState): boolean {
  return NEXT[from].includes(to);
}

export function assertTransition(from: DeploymentState, to: DeploymentState, id: string): void {
  if (!canTransition(from, to)) {
    throw new AnchorError({
      code: 'DEPLOYMENT_TRANSITION_INVALID',
      kind: 'conflict',
      message: `Deployment ${id} cannot go from ${from} to ${to}.`,
      hint: `Run "anchor deployments show ${id}" to see where it is.`,
    });
  }
}

/**
 * For the Deployments port's `transition(id, from, to)`: every state of `from` must be allowed to
 * go to `to`, so no adapter moves a deployment off the state machine.
 */
export function assertTransitions(from: readonly DeploymentState[], to: DeploymentState, id: string): void {
  for (const state of from) assertTransition(state, to, id);
}

export type Trigger = { kind: 'push'; deliveryId: string; pusher: string | null } | { kind: 'manual'; ref: string } | { kind: 'rollback'; from: string };

export interface Transition {
  state: DeploymentState;
  at: string;
}

/**
 * Which deployment, with the name of the project it belongs to: what a port needs when the
 * backend files things per project (S3 keys, log groups), so no adapter looks the project up again.
 */
export interface DeploymentRef {
  projectName: string;
  deploymentId: string;
}

export interface Deployment {
  id: string;
  projectId: string;
  /** Monotonic per project: a deployment may only take `live` from one with a lower sequence. */
  sequence: number;
  state: DeploymentState;
  commitSha: string | null;
  commitMessage: string | null;
  ref: string;
  trigger: Trigger;
  /** Every transition with its time, oldest first, so `deployments show` tells where time went. */
  transitions: Transition[];
  reason: string | null;
  /** The builder's id for the running or finished build (a process tree locally, a CodeBuild build on AWS). */
  buildId: string | null;
  /** The env the deployment runs with (runtime target), sealed secrets included, for rollbacks. */
  runtimeEnv: Record<string, { value: string; secret: boolean }> | null;
  createdAt: string;
  updatedAt: string;
}

export interface PhaseTiming {
  phase: DeploymentState;
  ms: number | null;
}

/** Time spent in each state that was entered; the current state's time is open (null) unless `now` is given. */
export function phaseTimings(deployment: Pick<Deployment, 'transitions'>, now?: Date): PhaseTiming[] {
  return deployment.transitions.map((t, i) => {
    const next = deployment.transitions[i + 1];
    const end = next ? Date.parse(next.at) : now ? now.getTime() : null;
    return { phase: t.state, ms: end === null ? null : Math.max(0, end - Date.parse(t.at)) };
  });
}

export function isEnded(state: DeploymentState): boolean {
  return END_STATES.includes(state);
}

/** No longer live and never going live by itself again (a rollback may bring a retired one back). */
export function isSpent(state: DeploymentState): boolean {
  return isEnded(state) && state !== 'live';
}
