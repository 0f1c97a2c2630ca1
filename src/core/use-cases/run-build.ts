import { ACTIVE_STATES, isEnded, type Deployment } from '../deployment.js';
import { AnchorError, errorMessage } from '../errors.js';
import { diskFullReason } from '../failure-reasons.js';
import { BUILD_OUTPUT_CAP_BYTES, LogWriter } from '../log-writer.js';
import type { BuildEnd, DeadLetter, Ports, ReceivedJob } from '../ports/index.js';
import { deployBuilt, type DeployDeps } from './deploy.js';
import { resolveEnv } from './env.js';
import { buildCheckedOut, failOlder, planOlder, resumeOlder, supersede, waitForNewer } from './supersede.js';

export type BuildDeps = DeployDeps & Pick<Ports, 'builder' | 'envVars' | 'queue' | 'repoTokens'>;

/** `waiting`: a newer deployment of the project will replace this one if its commit checks out (supersede.ts). */
export type JobOutcome = 'skipped' | 'superseded' | 'waiting' | 'started' | 'stopped' | 'failed' | 'live' | 'not-live';

/**
 * DESIGN.md pipeline step 2, for one job from the queue. Returns when the job may be acked: the
 * deployment reached an end, or (remote builder) the build is running and its end will arrive as
 * an event. Throws only on infrastructure errors, so the queue retries the job.
 */
export async function runBuildJob(deps: BuildDeps, received: Pick<ReceivedJob, 'job' | 'attempt'>, options: { logCapBytes?: number } = {}): Promise<JobOutcome> {
  const deployment = await deps.deployments.get(received.job.deploymentId);
  if (!deployment || isEnded(deployment.state)) return 'skipped';
  const project = await deps.projects.getById(deployment.projectId);
  if (!project) {
    await fail(deps, deployment, 'Its project was removed before the build started.');
    return 'failed';
  }
  const plan = await planOlder(deps, deployment);
  if (plan.kind === 'supersede') {
    await supersede(deps, deployment, plan.by);
    return 'superseded';
  }
  if (plan.kind === 'wait') {
    await waitForNewer(deps, deployment, plan.for);
    return 'waiting';
  }
  if (deployment.state === 'built' || deployment.state === 'deploying') {
    // The worker died after the build: deploy the stored artifact instead of building again.
    return (await deployBuilt(deps, deployment.id)) ? 'live' : 'not-live';
  }

  if (deployment.state === 'building' && received.attempt > 1) {
    const resumed = await takeOverRunning(deps, deployment, received.attempt);
    if (resumed) return resumed;
  }

  const now = deps.clock.now().toISOString();
  // A first try finds it queued; a second job for a deployment already building (a resumed one
  // whose first job came late) is not another build. A retry takes the build over.
  const building = await deps.deployments.transition(deployment.id, received.attempt > 1 ? ['queued', 'building'] : ['queued'], 'building', now);
  if (!building) return 'skipped';

  const env = await resolveEnv(deps, project.id, 'build');
  // Only a repository reached over the network is cloned with the token (a local path needs none).
  const repoToken = project.repo.kind === 'path' ? null : await deps.repoTokens.get(project);
  const log = new LogWriter(deps.logs, deps.clock, deployment.id, repoToken === null ? env.secretValues : [...env.secretValues, repoToken], { capBytes: options.logCapBytes ?? BUILD_OUTPUT_CAP_BYTES });
  log.line(received.attempt > 1 ? `▸ Build started again (try ${received.attempt}): the previous try did not finish.` : '▸ Build started.');
  let started: Awaited<ReturnType<BuildDeps['builder']['start']>>;
  try {
    started = await deps.builder.start({
      deploymentId: deployment.id,
      projectName: project.name,
      repoUrl: project.repo.url,
      ref: deployment.ref,
      commitSha: deployment.commitSha,
      root: project.root,
      ...(project.buildSize ? { buildSize: project.buildSize } : {}),
      repoToken,
      env: env.values,
      secretKeys: env.secretKeys,
      onLine: (line) => log.line(line),
      onCheckedOut: () => void buildCheckedOut(deps, deployment.id).catch(() => undefined),
    });
  } catch (error) {
    // The queue tries again (or gives up): the log says so, in order, before the error goes up.
    log.line(`✖ The build could not start (try ${received.attempt} of ${deps.queue.maxAttempts}): ${errorMessage(error)}`);
    await log.flush();
    throw error;
  }
  await deps.deployments.update(deployment.id, { buildId: started.buildId });
  if (!started.ended) {
    await log.flush();
    return 'started';
  }
  const end = await started.ended;
  await log.finish();
  return finishBuild(deps, deployment.id, end);
}

/**
 * A retried job for a deployment already building: the try before it may have started its build
 * (CodeBuild's idempotency token lasts 5 minutes, a retry comes much later). A build that still
 * runs is left to its end event; one that ended is settled with its end; only a build the builder
 * knows nothing of is started again (null).
 */
async function takeOverRunning(deps: BuildDeps, deployment: Deployment, attempt: number): Promise<JobOutcome | null> {
  const status = await deps.builder.status({ deploymentId: deployment.id, buildId: deployment.buildId });
  // A build stopped while its deployment still builds (nothing took it over, e.g. a shutdown): build again.
  if (status.state === 'unknown' || (status.state === 'ended' && !status.end.ok && status.end.stopped)) return null;
  if (status.buildId !== deployment.buildId) await deps.deployments.update(deployment.id, { buildId: status.buildId });
  if (status.state === 'running') {
    await deps.logs.append(deployment.id, [`▸ Try ${attempt}: the build started before is still running; not starting another.`], deps.clock.now().toISOString()).catch(() => undefined);
    return 'started';
  }
  return finishBuild(deps, deployment.id, status.end);
}

/** The end of a build (awaited locally; a CodeBuild state-change event on AWS). */
export async function finishBuild(deps: DeployDeps & Pick<Ports, 'builder' | 'queue'>, deploymentId: string, end: BuildEnd): Promise<JobOutcome> {
  const deployment = await deps.deployments.get(deploymentId);
  try {
    return await storeAndDeploy(deps, deployment, end);
  } finally {
    if (deployment?.buildId) await deps.builder.cleanup(deployment.buildId).catch(() => undefined);
  }
}

async function storeAndDeploy(deps: DeployDeps & Pick<Ports, 'queue'>, deployment: Deployment | null, end: BuildEnd): Promise<JobOutcome> {
  if (!deployment || deployment.state !== 'building') return 'skipped';
  const deploymentId = deployment.id;
  const now = deps.clock.now().toISOString();
  const log = new LogWriter(deps.logs, deps.clock, deploymentId);
  if (!end.ok && end.stopped) {
    // Whoever stopped the build owns the deployment's state (superseded, failed, or a server
    // shutting down that leaves the job to the next one).
    await log.write(`■ Build stopped.`);
    return 'stopped';
  }
  if (!end.ok) {
    const failed = await deps.deployments.transition(deploymentId, ['building'], 'failed', now, { reason: end.reason, commitSha: end.commitSha ?? deployment.commitSha });
    if (failed) await log.write(`✖ Build failed: ${end.reason}`);
    if (failed && !end.checkedOut) await (end.repository === true ? failOlder(deps, failed) : resumeOlder(deps, failed));
    return 'failed';
  }
  // The artifact is filed under the project's name (S3 keys); deployBuilt says the same of a project removed meanwhile.
  const project = await deps.projects.getById(deployment.projectId);
  if (!project) {
    await fail(deps, deployment, 'Its project was removed.');
    return 'failed';
  }
  let artifact;
  try {
    artifact = await deps.artifacts.store({ projectName: project.name, deploymentId }, end.output);
  } catch (error) {
    const why = `the build output could not be stored: ${errorMessage(error)}`;
    await fail(deps, deployment, error instanceof AnchorError && error.code === 'DISK_FULL' ? diskFullReason(why) : `${why.charAt(0).toUpperCase()}${why.slice(1)}`);
    return 'failed';
  }
  const built = await deps.deployments.transition(deploymentId, ['building'], 'built', deps.clock.now().toISOString(), { commitSha: end.commitSha, commitMessage: end.commitMessage ?? deployment.commitMessage });
  if (!built) return 'skipped';
  await log.write(`✔ Built ${end.commitSha.slice(0, 7)}${end.commitMessage ? ` "${end.commitMessage.split('\n')[0]}"` : ''} (artifact ${(artifact.bytes / 1e6).toFixed(1)} MB).`);
  return (await deployBuilt(deps, deploymentId)) ? 'live' : 'not-live';
}

/** A job the queue gave up on after its last try: its deployment ends `failed`, with the reason. */
export async function failDeadLetter(deps: Pick<Ports, 'deployments' | 'logs' | 'clock' | 'builder' | 'queue'>, dead: DeadLetter): Promise<void> {
  const deployment = await deps.deployments.get(dead.job.deploymentId);
  if (!deployment || isEnded(deployment.state)) return;
  if (deployment.buildId && deployment.state === 'building') await deps.builder.stop(deployment.buildId);
  await fail(deps, deployment, `Gave up after ${dead.attempts} tries${dead.lastError ? `; last error: ${dead.lastError}` : ''}.`);
  // If it never got as far as its commit, what waited for it is built now (nothing if it did).
  await resumeOlder(deps, deployment);
}

async function fail(deps: Pick<Ports, 'deployments' | 'logs' | 'clock'>, deployment: Deployment, reason: string): Promise<void> {
  const done = await deps.deployments.transition(deployment.id, ACTIVE_STATES, 'failed', deps.clock.now().toISOString(), { reason });
  if (done) await deps.logs.append(deployment.id, [`✖ ${reason}`], deps.clock.now().toISOString()).catch(() => undefined);
}
