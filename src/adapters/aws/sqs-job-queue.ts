import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { BuildJob, JobQueue } from '../../core/ports/job-queue.js';

export interface SqsJobQueueOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** Must equal the queue's redrive maxReceiveCount (3 in the platform stack). */
  maxAttempts?: number;
}

/**
 * The build queue on SQS: the webhook handler and the CLI send to it. Nothing here receives: the
 * orchestrator is fed by Lambda's event source mapping (visibility, redelivery and the DLQ are
 * SQS's own), and consumes each record with the core's consumeBuildJob.
 */
export class SqsJobQueue implements JobQueue {
  readonly maxAttempts: number;

  constructor(private readonly options: SqsJobQueueOptions) {
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  async send(job: BuildJob): Promise<void> {
    await this.options.sqs.send(new SendMessageCommand({ QueueUrl: this.options.queueUrl, MessageBody: JSON.stringify({ deploymentId: job.deploymentId, projectId: job.projectId }) }));
  }
}
