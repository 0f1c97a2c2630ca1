import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AnchorError } from '../../core/errors.js';
import type { BuildJob, DeadLetter, JobQueue, ReceivedJob } from '../../core/ports/job-queue.js';

export interface SqsJobQueueOptions {
  sqs: SQSClient;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /**
   * Where a failed job's last error is kept: SQS cannot change a message once sent, so `fail`
   * writes `{ id: "jobError#<deploymentId>", lastError }` into this table (the deployments table:
   * the item has no `sequence`, so it is never listed as a deployment) and `takeDeadLetters` reads it back.
   */
  errors: { doc: DynamoDBDocumentClient; table: string };
  /** Must equal the queue's redrive maxReceiveCount (3 in the platform stack). */
  maxAttempts?: number;
}

/** What the opaque receipt carries, so `fail` and `ack` need no state kept between calls (Lambda). */
interface Receipt {
  h: string;
  job: BuildJob;
}

const errorId = (deploymentId: string) => `jobError#${deploymentId}`;
/** SQS hands out at most 10 messages per receive. */
const SQS_MAX_BATCH = 10;

/**
 * The build queue on SQS with its dead-letter queue. Visibility and dead-lettering are SQS's own:
 * the redrive policy moves a message after maxReceiveCount receives; `attempt` is the message's
 * ApproximateReceiveCount. `fail` is ChangeMessageVisibility 0 plus the error noted aside.
 */
export class SqsJobQueue implements JobQueue {
  readonly maxAttempts: number;

  constructor(private readonly options: SqsJobQueueOptions) {
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  async send(job: BuildJob): Promise<void> {
    await this.options.sqs.send(new SendMessageCommand({ QueueUrl: this.options.queueUrl, MessageBody: JSON.stringify({ deploymentId: job.deploymentId, projectId: job.projectId }) }));
  }

  async receive(options: { visibilityMs: number; max: number }): Promise<ReceivedJob[]> {
    if (options.max <= 0) return [];
    const { Messages } = await this.options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: Math.min(SQS_MAX_BATCH, options.max),
        VisibilityTimeout: toSeconds(options.visibilityMs),
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    // A message whose body is not a job is not handed out: after maxReceiveCount receives SQS moves it to the DLQ.
    return (Messages ?? []).flatMap((m) => {
      const received = SqsJobQueue.fromMessage(m);
      return received ? [received] : [];
    });
  }

  /** A job from an SQS message, e.g. a record of the orchestrator's SQS event (same fields, camel-cased there). */
  static fromMessage(message: Pick<Message, 'Body' | 'ReceiptHandle' | 'Attributes'>): ReceivedJob | null {
    const job = parseJob(message.Body);
    if (!job || !message.ReceiptHandle) return null;
    const receipt: Receipt = { h: message.ReceiptHandle, job };
    return { receipt: Buffer.from(JSON.stringify(receipt)).toString('base64url'), job, attempt: Number(message.Attributes?.ApproximateReceiveCount ?? '1') };
  }

  /** Throws QUEUE_RECEIPT_STALE when SQS no longer accepts the receipt (acked, or handed out again). */
  async extend(receipt: string, visibilityMs: number): Promise<void> {
    const { h } = decodeReceipt(receipt);
    try {
      await this.options.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: h, VisibilityTimeout: toSeconds(visibilityMs) }));
    } catch (error) {
      if (!isStaleReceipt(error)) throw error;
      throw new AnchorError({
        code: 'QUEUE_RECEIPT_STALE',
        kind: 'conflict',
        message: 'This build job is no longer held by this worker: it was acknowledged, or its visibility ran out and it was handed out again.',
        hint: 'Stop working on it; the worker that holds it now will finish it.',
        cause: error,
      });
    }
  }

  /** Acking twice, or with a stale receipt, is a no-op. */
  async ack(receipt: string): Promise<void> {
    const { h, job } = decodeReceipt(receipt);
    try {
      await this.options.sqs.send(new DeleteMessageCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: h }));
    } catch (error) {
      if (!isStaleReceipt(error)) throw error;
    }
    await this.options.errors.doc.send(new DeleteCommand({ TableName: this.options.errors.table, Key: { id: errorId(job.deploymentId) } }));
  }

  async fail(receipt: string, error: string): Promise<void> {
    const { h, job } = decodeReceipt(receipt);
    // The error first: once visible, the job may be received (and dead-lettered) at once.
    await this.options.errors.doc.send(new PutCommand({ TableName: this.options.errors.table, Item: { id: errorId(job.deploymentId), lastError: error } }));
    try {
      await this.options.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: h, VisibilityTimeout: 0 }));
    } catch (cause) {
      if (!isStaleReceipt(cause)) throw cause;
    }
  }

  /**
   * Reads the DLQ: each message is handed out, then deleted. A crash between the two hands it out
   * again later (at least once; the core's failDeadLetter is idempotent).
   */
  async takeDeadLetters(): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    for (;;) {
      const { Messages } = await this.options.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.options.deadLetterQueueUrl, MaxNumberOfMessages: SQS_MAX_BATCH, VisibilityTimeout: 60, WaitTimeSeconds: 0 }),
      );
      if (!Messages?.length) return letters;
      for (const message of Messages) {
        const job = parseJob(message.Body);
        if (job) {
          const { Item } = await this.options.errors.doc.send(new GetCommand({ TableName: this.options.errors.table, Key: { id: errorId(job.deploymentId) }, ConsistentRead: true }));
          // SQS moves a message to the DLQ only after maxReceiveCount receives, so that is its number of attempts.
          letters.push({ job, attempts: this.maxAttempts, lastError: typeof Item?.['lastError'] === 'string' ? Item['lastError'] : null });
          await this.options.errors.doc.send(new DeleteCommand({ TableName: this.options.errors.table, Key: { id: errorId(job.deploymentId) } }));
        }
        await this.options.sqs.send(new DeleteMessageCommand({ QueueUrl: this.options.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
    }
  }
}

function toSeconds(ms: number): number {
  return Math.min(43_200, Math.max(0, Math.ceil(ms / 1000)));
}

function parseJob(body: string | undefined): BuildJob | null {
  try {
    const value = JSON.parse(body ?? '') as Partial<BuildJob>;
    return typeof value.deploymentId === 'string' && typeof value.projectId === 'string' ? { deploymentId: value.deploymentId, projectId: value.projectId } : null;
  } catch {
    return null;
  }
}

function decodeReceipt(receipt: string): Receipt {
  try {
    const value = JSON.parse(Buffer.from(receipt, 'base64url').toString('utf8')) as Receipt;
    if (typeof value.h === 'string' && value.job && typeof value.job.deploymentId === 'string') return value;
  } catch {
    // fall through
  }
  throw new AnchorError({ code: 'QUEUE_RECEIPT_INVALID', kind: 'internal', message: 'This is not a receipt the SQS job queue handed out.' });
}

function isStaleReceipt(error: unknown): boolean {
  return error instanceof Error && ['ReceiptHandleIsInvalid', 'InvalidParameterValue', 'MessageNotInflight', 'AWS.SimpleQueueService.MessageNotInflight'].some((n) => error.name.includes(n) || error.message.includes(n));
}
