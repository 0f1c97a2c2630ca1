import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';

/** One event the deploy function failed on for good, as Lambda's OnFailure destination records it. */
export interface DeployFailure {
  receipt: string;
  /** The deployment the failed event was about; null for an event that names none (a phase change, a scheduled run). */
  deploymentId: string | null;
  /** Why, in words for the deployment's reason: the event, the tries, and the function's last error. */
  reason: string;
}

const nameValue = z.object({ name: z.string(), value: z.string().nullish() });
/** Lambda's invocation record (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html). */
const invocationRecord = z.object({
  requestContext: z.object({ condition: z.string().optional(), approximateInvokeCount: z.number().optional() }).partial().optional(),
  requestPayload: z
    .object({
      'detail-type': z.string().optional(),
      detail: z.object({ 'build-status': z.string().optional(), 'additional-information': z.object({ environment: z.object({ 'environment-variables': z.array(nameValue).optional() }).partial().optional() }).partial().optional() }).partial().optional(),
    })
    .passthrough()
    .optional(),
  responsePayload: z.unknown().optional(),
});

/**
 * The deploy function's OnFailure destination, an SQS queue the reconciler drains on its schedule
 * (nothing polls it in between, so it costs nothing while empty). Bodies that are not invocation
 * records come back with a null deploymentId, to be deleted.
 */
export class SqsDeployFailures {
  constructor(private readonly options: { sqs: SQSClient; queueUrl: string }) {}

  /** Up to `max` records (10 per ReceiveMessage), each hidden for 5 minutes until `done`. */
  async take(max = 100): Promise<DeployFailure[]> {
    const taken: DeployFailure[] = [];
    while (taken.length < max) {
      const { Messages } = await this.options.sqs.send(new ReceiveMessageCommand({ QueueUrl: this.options.queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 0 }));
      if (!Messages?.length) break;
      for (const message of Messages) if (message.ReceiptHandle) taken.push({ receipt: message.ReceiptHandle, ...describeFailure(message.Body ?? '') });
    }
    return taken;
  }

  async done(receipt: string): Promise<void> {
    await this.options.sqs.send(new DeleteMessageCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: receipt }));
  }
}

export function describeFailure(body: string): { deploymentId: string | null; reason: string } {
  let parsed;
  try {
    parsed = invocationRecord.safeParse(JSON.parse(body));
  } catch {
    return { deploymentId: null, reason: 'not JSON' };
  }
  if (!parsed.success) return { deploymentId: null, reason: 'not a Lambda invocation record' };
  const { requestContext, requestPayload, responsePayload } = parsed.data;
  const vars = requestPayload?.detail?.['additional-information']?.environment?.['environment-variables'] ?? [];
  const deploymentId = requestPayload?.['detail-type'] === 'CodeBuild Build State Change' ? (vars.find((v) => v.name === 'ANCHOR_DEPLOYMENT_ID')?.value ?? null) : null;
  const error = (responsePayload as { errorMessage?: unknown } | undefined)?.errorMessage;
  const tries = requestContext?.approximateInvokeCount;
  const why = requestContext?.condition === 'EventAgeExceeded' ? 'the event grew too old before it could be handled' : `it failed ${tries ? `${tries} times` : 'every time'}`;
  const status = requestPayload?.detail?.['build-status'];
  return { deploymentId: deploymentId || null, reason: `The platform could not handle the end of its build (${status ?? 'unknown status'}): ${why}${typeof error === 'string' ? `; last error: ${error.slice(0, 500)}` : ''}.` };
}
