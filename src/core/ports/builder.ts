import type { BuildOutput } from './artifacts.js';
export interface BuildRequest {
  deploymentId: string;
  projectName: string;
  repoUrl: string;
  /** Branch or ref to check out; `commitSha` wins when given (a push names its commit). */
  ref: string;
  commitSha: string | null;
  root: string;
  /** Build-time variables, plaintext: the builder passes them to the build only. */
  env: Record<string, string>;
  /** Every line the build prints, already split; the core masks secrets before storing it. */
  onLine: (line: string) => void;
  /**
   * Called once the commit is checked out: the push is real, and only now does this deployment
   * replace older ones. A remote builder reports it as an event instead (core `buildCheckedOut`).
   */
  onCheckedOut?: (commitSha: string) => void;
}

export type BuildEnd =
  | { ok: true; commitSha: string; commitMessage: string | null; output: BuildOutput }
  /** `checkedOut`: whether the commit had been checked out; a build that never got it replaced nothing. */
  | { ok: false; stopped: boolean; reason: string; commitSha: string | null; checkedOut: boolean };

/**
 * Contract: `start` returns once the build runs. A builder that runs the build in this process's
 * reach (local) returns `ended`; a remote one (CodeBuild) reports the end as an event instead.
 * `stop` ends the whole build (every process it started) and is harmless on a finished build.
 */
export interface Builder {
  start(request: BuildRequest): Promise<{ buildId: string; ended?: Promise<BuildEnd> }>;
  stop(buildId: string): Promise<void>;
  /** The caller has stored the output (or given up on it): the build's scratch space may go. */
  cleanup(buildId: string): Promise<void>;
}
