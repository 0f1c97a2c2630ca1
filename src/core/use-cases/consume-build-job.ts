import { errorMessage } from '../errors.js';
import type { DeadLetter, Ports, ReceivedJob } from '../ports/index.js';
import { failDeadLetter, runBuildJob, type BuildDeps, type JobOutcome } from './run-build.js';

export type ConsumeDeps = BuildDeps & Pick<Ports, 'logger'>;

/**
 * What became of one delivery of a build job, and so what its queue does with it:
 * - `done`: the job reached an end (or a remote build is running); remove it from the queue.
 * - `retry`: an infrastructure error; hand it back, so the queue delivers it again.
 * - `gave-up`: that was its last try; its deployment is failed with the reason. It is still handed
 *   back, so the queue files it with its dead letters (which change nothing now).
 */
export type Consumed = { kind: 'done'; outcome: JobOutcome } | { kind: 'retry'; error: string } | { kind: 'gave-up'; error: string };

/**
 * The one job consumer (DESIGN.md pipeline step 2), for the local build worker and the aws
 * orchestrator alike: runs the job, and decides retry or give-up from its try number and the
 * queue's `maxAttempts`. The queue's own mechanics (receipts, visibility, batch failures) stay with
 * the caller. Never throws for the job's own errors.
 */
export async function consumeBuildJob(deps: ConsumeDeps, received: Pick<ReceivedJob, 'job' | 'attempt'>, options: { logCapBytes?: number } = {}): Promise<Consumed> {
  const { job, attempt } = received;
  try {
    return { kind: 'done', outcome: await runBuildJob(deps, received, options) };
  } catch (error) {
    const reason = errorMessage(error);
    if (attempt < deps.queue.maxAttempts) {
      deps.logger.error('build job failed; it will be retried', { deploymentId: job.deploymentId, attempt, error: reason });
      return { kind: 'retry', error: reason };
    }
    deps.logger.error('build job failed on its last try; giving up', { deploymentId: job.deploymentId, attempt, error: reason });
    await failDeadLetter(deps, { job, attempts: attempt, lastError: reason }).catch((e: unknown) =>
      deps.logger.error('could not mark the given-up job failed', { deploymentId: job.deploymentId, error: errorMessage(e) }),
    );
    return { kind: 'gave-up', error: reason };
  }
}

/**
 * A job its queue dead-lettered without a consumer giving up on it (a worker that died while
 * holding it, each time): its deployment ends `failed`, with the reason.
 */
export async function consumeDeadLetter(deps: ConsumeDeps, dead: DeadLetter): Promise<void> {
  deps.logger.warn('build job dead-lettered', { deploymentId: dead.job.deploymentId, attempts: dead.attempts });
  await failDeadLetter(deps, dead);
}
