import type { BuildOutput } from './artifacts.js';
import type { BuildSize } from '../project.js';
export interface BuildRequest {
  deploymentId: string;
  projectName: string;
  repoUrl: string;
  /** Branch or ref to check out; `commitSha` wins when given (a push names its commit). */
  ref: string;
  commitSha: string | null;
  root: string;
  /** The project's build machine size; absent: the builder's default. A local builder runs on this machine whatever it says. */
  buildSize?: BuildSize;
  /**
   * The project's GitHub token, for cloning a private repository, or null. A builder gives it to
   * git for the clone only (never to the install or build steps, never into a file the build can
   * read afterwards); the core masks it in the log.
   */
  repoToken?: string | null;
  /** Build-time variables, plaintext: the builder passes them to the build only. */
  env: Record<string, string>;
  /** Which keys of `env` are secrets: a builder that hands variables to a service (CodeBuild) passes these by reference, never as values. */
  secretKeys: readonly string[];
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
  /**
   * `checkedOut`: whether the commit had been checked out; a build that never got it replaced nothing.
   * `repository`: the repository itself could not be fetched (unreachable, not found, credentials
   * refused), so any other push of the project would fail the same way.
   */
  | { ok: false; stopped: boolean; reason: string; commitSha: string | null; checkedOut: boolean; repository?: boolean };

/**
 * What became of a build, as its builder knows it now. `unknown`: the builder has no record of it
 * (locally, a build from before a restart: nothing of it runs any more; on CodeBuild, no build of
 * that deployment), so starting it again makes no second build.
 */
export type BuildStatus = { state: 'running'; buildId: string } | { state: 'ended'; buildId: string; end: BuildEnd } | { state: 'unknown' };

/**
 * Contract:
 * - `start` returns once the build runs, with a `buildId` no other build has. A builder that runs
 *   the build in this process's reach (local) returns `ended` and passes every line the build
 *   prints to `onLine` before `ended` resolves; a remote one (CodeBuild) reports the end as an
 *   event instead (core's finishBuild) and its lines reach BuildLogs by another way.
 * - `status` tells whether the deployment's build (`buildId`, or when that was never recorded the
 *   latest build the builder started for `deploymentId`) still runs; a remote builder also says how
 *   an ended one ended, as its end event would have. A running build is never `unknown`.
 * - The build runs with `env` among its variables, secret ones included.
 * - A build that succeeds ends `ok` with the commit it built (`commitSha` when given, else the head
 *   of `ref`) and `artifactDir`, where its OpenNext output can be read until `cleanup`.
 * - A build that fails ends neither `ok` nor `stopped`, with a reason a person can act on.
 * - `stop` ends the whole build (every process it started) and its end is `stopped`; stopping a
 *   build that has ended, or stopping it twice, is harmless and leaves its end as it was.
 */
export interface Builder {
  start(request: BuildRequest): Promise<{ buildId: string; ended?: Promise<BuildEnd> }>;
  stop(buildId: string): Promise<void>;
  status(build: { deploymentId: string; buildId: string | null }): Promise<BuildStatus>;
  /**
   * The project's secret build variable `key` was removed: a copy the builder keeps outside the
   * env store (CodeBuild: the SSM parameter it hands builds by reference) goes too. Harmless when
   * there is none.
   */
  forgetSecret(projectName: string, key: string): Promise<void>;
  /** The caller has stored the output (or given up on it): the build's scratch space may go. */
  cleanup(buildId: string): Promise<void>;
}
