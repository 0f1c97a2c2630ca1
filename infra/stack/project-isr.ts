import { allow, getAtt, logGroup, ref, serviceRole, sub, type PolicyStatement, type Resource } from './cfn.js';
import { projectResourceName, revalidationQueueName, tagTableName } from '../../src/adapters/aws/resource-names.js';

/**
 * ISR on AWS, all on demand (no fixed monthly cost): OpenNext's tag cache in a DynamoDB table
 * (PAY_PER_REQUEST; the key OpenNext's dynamodb overrides use: `tag` and `path`, with the
 * `revalidate` index its classic mode queries), and its revalidation queue: an SQS FIFO queue the
 * server sends stale pages to (sqs-lite), a consumer function that asks the site to re-render
 * them (the build's `.open-next/revalidation-function`, put in place by each deploy), and a
 * dead-letter queue for what keeps failing. The server function's variables naming them are set
 * by the function host (lambda-function-host.ts), and only the server role may use them.
 */
export const REVALIDATION_MAX_RECEIVES = 3;
/** The consumer's timeout; the queue's visibility timeout must be at least this (6×, as AWS advises for an event source). */
const CONSUMER_TIMEOUT_SECONDS = 30;

export function isrResources(input: { stage: string; project: string; logRetentionDays: number; architecture: 'arm64' | 'x86_64' }): Record<string, Resource> {
  const { stage, project } = input;
  const consumer = projectResourceName(stage, project, 'revalidation');
  return {
    TagTable: {
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'Delete',
      Properties: {
        TableName: tagTableName(stage, project),
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'tag', AttributeType: 'S' },
          { AttributeName: 'path', AttributeType: 'S' },
          { AttributeName: 'revalidatedAt', AttributeType: 'N' },
        ],
        KeySchema: [
          { AttributeName: 'tag', KeyType: 'HASH' },
          { AttributeName: 'path', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'revalidate',
            KeySchema: [
              { AttributeName: 'path', KeyType: 'HASH' },
              { AttributeName: 'revalidatedAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      },
    },
    RevalidationDeadLetterQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: revalidationQueueName(stage, `${project}-dlq`), FifoQueue: true, MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true },
    },
    RevalidationQueue: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: revalidationQueueName(stage, project),
        FifoQueue: true,
        VisibilityTimeout: CONSUMER_TIMEOUT_SECONDS * 6,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: getAtt('RevalidationDeadLetterQueue', 'Arn'), maxReceiveCount: REVALIDATION_MAX_RECEIVES },
      },
    },
    RevalidationLogGroup: logGroup(`/aws/lambda/${consumer}`, input.logRetentionDays),
    RevalidationRole: serviceRole({
      service: 'lambda.amazonaws.com',
      policies: {
        revalidation: [
          allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [getAtt('RevalidationLogGroup', 'Arn')], 'WriteOwnLogs'),
          allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'], [getAtt('RevalidationQueue', 'Arn')], 'ConsumeRevalidations'),
        ],
      },
    }),
    RevalidationFunction: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: consumer,
        Description: `anchor ${project}: ISR revalidation (OpenNext's revalidation function). Code is replaced by each deploy.`,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Architectures: [input.architecture],
        MemorySize: 256,
        Timeout: CONSUMER_TIMEOUT_SECONDS,
        Role: getAtt('RevalidationRole', 'Arn'),
        // Until the first deploy there is nothing to revalidate: messages stay, or go to the DLQ.
        Code: { ZipFile: "exports.handler = async () => { throw new Error('No deployment yet: nothing to revalidate.'); };" },
        LoggingConfig: { LogGroup: ref('RevalidationLogGroup'), LogFormat: 'JSON' },
      },
    },
    RevalidationEventSource: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: getAtt('RevalidationQueue', 'Arn'), FunctionName: ref('RevalidationFunction'), BatchSize: 5, Enabled: true },
    },
  };
}

/** What the server function may do with them: read and write its tags, send revalidations. */
export function serverIsrStatements(): PolicyStatement[] {
  return [
    allow(['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], [getAtt('TagTable', 'Arn'), sub('${TagTable.Arn}/index/*')], 'TagCache'),
    allow(['sqs:SendMessage'], [getAtt('RevalidationQueue', 'Arn')], 'RevalidationQueue'),
  ];
}
