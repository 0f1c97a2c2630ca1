import { z } from 'zod';
import { consumeBuildJob, consumeDeadLetter, type ConsumeDeps } from '../../src/core/use-cases/consume-build-job.js';
import { onAwsPorts } from './platform-ports.js';

const sqsRecord = z.object({
  messageId: z.string(),
  body: z.string(),
  attributes: z.object({ ApproximateReceiveCount: z.string().optional() }).partial().optional(),
  eventSourceARN: z.string().optional(),
});
const sqsEvent = z.object({ Records: z.array(z.unknown()) });
const buildJob = z.object({ deploymentId: z.string().min(1), projectId: z.string().min(1) });

export type SqsEvent = z.input<typeof sqsEvent>;
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export type OrchestratorDeps = ConsumeDeps;

/**
 * SQS batch → the core's consumeBuildJob per record. A record it hands back (retry or gave up) is
 * reported in batchItemFailures, so SQS hands out only that one again (ReportBatchItemFailures);
 * after its last try SQS moves it to the DLQ, its deployment already `failed` with the reason.
 * A record that arrives from the DLQ itself (a mapping on it) is a dead letter for the core.
 */
export function makeOrchestratorHandler(ports: OrchestratorDeps): (event: SqsEvent) => Promise<SqsBatchResponse> {
  return async (raw) => {
    const failures: SqsBatchResponse['batchItemFailures'] = [];
    // One at a time: two pushes of a project in one batch must supersede in order.
    for (const item of sqsEvent.parse(raw).Records) {
      const record = sqsRecord.safeParse(item);
      if (!record.success) {
        ports.logger.error('orchestrator: not an SQS record; dropped', { record: item });
        continue;
      }
      const { messageId } = record.data;
      const job = parseJob(record.data.body);
      if (!job) {
        // Retrying cannot fix a message that is not a build job: drop it rather than poison the queue.
        ports.logger.error('orchestrator: message is not a build job; dropped', { messageId, body: record.data.body.slice(0, 500) });
        continue;
      }
      const attempt = Math.max(1, Number(record.data.attributes?.ApproximateReceiveCount ?? '1') || 1);
      if (record.data.eventSourceARN?.endsWith('-dlq')) {
        await consumeDeadLetter(ports, { job, attempts: attempt, lastError: null });
        continue;
      }
      const consumed = await consumeBuildJob(ports, { job, attempt });
      if (consumed.kind === 'done') ports.logger.info('orchestrator: job done', { messageId, deploymentId: job.deploymentId, outcome: consumed.outcome });
      else failures.push({ itemIdentifier: messageId });
    }
    return { batchItemFailures: failures };
  };
}

function parseJob(body: string): z.infer<typeof buildJob> | null {
  try {
    const parsed = buildJob.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export const handler = onAwsPorts((ports) => makeOrchestratorHandler(ports));
