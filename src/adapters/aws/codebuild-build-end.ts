import type { BuildEnd } from '../../core/ports/builder.js';

/** A CodeBuild phase as both the state-change event and BatchGetBuilds describe it. */
export interface CodeBuildPhase {
  type: string;
  status: string | undefined;
  context: readonly string[];
}

export interface CodeBuildOutcome {
  status: string;
  /** What the buildspec exported (ANCHOR_COMMIT_SHA), else the commit the build was asked for. */
  commitSha: string | null;
  commitMessage: string | null;
  /** Where the buildspec uploads the deployment's output (resource-names.ts artifactKey). */
  artifactLocation: string;
  phases: readonly CodeBuildPhase[];
}

/**
 * A CodeBuild build's end as core's BuildEnd, the same whether it arrived as EventBridge's state
 * change (infra/handlers/deploy.ts) or was read with BatchGetBuilds (a reconciler, a retried job).
 * Null while the build has not ended (IN_PROGRESS).
 */
export function codeBuildEnd(build: CodeBuildOutcome): BuildEnd | null {
  if (build.status === 'SUCCEEDED') {
    if (!build.commitSha) return { ok: false, stopped: false, reason: 'The build succeeded but did not export ANCHOR_COMMIT_SHA: the buildspec is not anchor’s.', commitSha: null, checkedOut: true };
    return { ok: true, commitSha: build.commitSha, commitMessage: build.commitMessage, output: { kind: 'uploaded', location: build.artifactLocation } };
  }
  const checkedOut = checkedOutBefore(build.phases);
  if (build.status === 'STOPPED') return { ok: false, stopped: true, reason: 'The build was stopped.', commitSha: build.commitSha, checkedOut };
  if (build.status === 'FAILED' || build.status === 'FAULT' || build.status === 'TIMED_OUT') return { ok: false, stopped: false, reason: failureReason(build.phases, build.status), commitSha: build.commitSha, checkedOut };
  return null;
}

/** The buildspec checks the commit out in PRE_BUILD: a build that failed after it had its commit. */
function checkedOutBefore(phases: readonly CodeBuildPhase[]): boolean {
  const failed = firstFailed(phases);
  return failed !== undefined && ['BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING'].includes(failed.type);
}

/** The first phase that did not succeed, with CodeBuild's own words for why ("COMMAND_EXECUTION_ERROR: … npm ci … exit status 1"). */
function failureReason(phases: readonly CodeBuildPhase[], status: string): string {
  const failed = firstFailed(phases);
  if (!failed) return status === 'TIMED_OUT' ? 'The build timed out.' : `The build ended ${status}.`;
  const context = failed.context.map((c) => c.trim()).filter((c) => c && c !== ':').join('; ');
  const phaseName = failed.type.toLowerCase().replace(/_/g, ' ');
  return `The build ${failed.status === 'TIMED_OUT' ? 'timed out' : 'failed'} in the ${phaseName} phase${context ? `: ${context}` : '.'}`;
}

function firstFailed(phases: readonly CodeBuildPhase[]): CodeBuildPhase | undefined {
  return phases.find((p) => p.status !== undefined && p.status !== 'SUCCEEDED');
}
