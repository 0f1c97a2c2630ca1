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
}

export type BuildEnd =
  | { ok: true; commitSha: string; commitMessage: string | null; output: BuildOutput }
  | { ok: false; stopped: boolean; reason: string; commitSha: string | null };

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
