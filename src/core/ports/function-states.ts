/**
 * What a deployment's functions are doing now. `running`: a process answers at once; `idle`:
 * stopped after a quiet spell, started again by the next request; `starting`; `restarting`: it
 * crashed and comes back; `crashloop`: it keeps crashing, retried with a growing delay; `no-server`:
 * nothing runs them (the local `anchor server` is not running).
 */
export type FunctionRunState = 'running' | 'idle' | 'starting' | 'restarting' | 'crashloop' | 'no-server';

export interface FunctionStatus {
  state: FunctionRunState;
  /** Crashes within the supervisor's window. */
  crashes: number;
  /** Restarts after a crash since the functions were first started. */
  restarts: number;
  lastCrash: { at: string; reason: string } | null;
  updatedAt: string;
}

/**
 * Contract: `of` answers for the deployments whose functions the backend keeps running or ready
 * (locally the live and the previous version of each project); a deployment it says nothing
 * about has none (or, on Lambda, nothing to report: AWS starts and stops them).
 */
export interface FunctionStates {
  of(deploymentIds: readonly string[]): Promise<Map<string, FunctionStatus>>;
}
