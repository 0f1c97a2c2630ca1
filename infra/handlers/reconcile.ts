import { z } from 'zod';
import { errorMessage } from '../../src/core/errors.js';
import { abandonDeployment, reconcileStuck, type ReconcileDeps, type Settled } from '../../src/core/use-cases/reconcile.js';

/** The deploy function's OnFailure destination, as the reconciler reads it (SqsDeployFailures on aws). */
export interface DeployFailureInbox {
  take(): Promise<Array<{ receipt: string; deploymentId: string | null; reason: string }>>;
  done(receipt: string): Promise<void>;
}

/** EventBridge's scheduled event: the reconciler's rule (infra/stack/platform-pipeline.ts). */
export const scheduledEvent = z.object({ source: z.literal('aws.events'), 'detail-type': z.literal('Scheduled Event') });

export interface ReconcileResult {
  /** Deployments whose end event the deploy function failed on for good: now failed, with the reason. */
  failed: string[];
  settled: Settled[];
}

/**
 * The reconciler's run (every 10 minutes): first the deploy function's failures, each ending its
 * deployment failed with the reason (a record is deleted only once handled, so a run that dies
 * leaves it for the next), then core reconcileStuck for what is stuck past the build timeout.
 */
export function makeReconcileHandler(ports: ReconcileDeps, options: { failures: DeployFailureInbox; stuckAfterMs: number }): () => Promise<ReconcileResult> {
  return async () => {
    const failed: string[] = [];
    for (const failure of await options.failures.take()) {
      try {
        if (failure.deploymentId && (await abandonDeployment(ports, failure.deploymentId, failure.reason))) failed.push(failure.deploymentId);
        await options.failures.done(failure.receipt);
      } catch (error) {
        ports.logger.error('reconcile: a deploy failure record could not be handled', { deploymentId: failure.deploymentId, error: errorMessage(error) });
      }
    }
    const settled = await reconcileStuck(ports, { stuckAfterMs: options.stuckAfterMs });
    if (failed.length > 0 || settled.length > 0) ports.logger.info('reconcile: settled', { failed, settled });
    return { failed, settled };
  };
}
