import { assetsBucketStatements, type AssetReader } from './assets-policy.js';
import { getAtt, policy, ref, sub, type CfnValue, type Resource } from './cfn.js';

/**
 * Where the platform keeps its data: DynamoDB tables (on demand), S3 buckets (private,
 * encrypted), and the build queue with its dead-letter queue.
 *
 * Key schema (the aws adapters rely on it):
 *
 * projects      HASH name (S). Item = the Project record. Names are unique per platform, so
 *               `create` is a Put with attribute_not_exists(#name).
 *               GSI byId: HASH id (S), projection ALL, for webhooks that name the project id.
 * deployments   HASH id (S). Deployment items carry `projectId` (S) and `sequence` (N).
 *               GSI byProject: HASH projectId (S), RANGE sequence (N), projection ALL; newest first
 *               with ScanIndexForward=false. Two more item kinds share the table, with ids that
 *               cannot collide with `d_…` deployment ids and without a `sequence` attribute, so the
 *               sparse GSI never returns them:
 *                 id = "seq#<projectId>":  { next: N } — UpdateItem ADD next :1 hands out sequences.
 *                 id = "live#<projectId>": the live pointer { projectId, deploymentId, liveSequence: N,
 *                   revision: N, at }. `promote` is one TransactWriteItems: Update live#… with
 *                   ConditionExpression `revision = :expected` (or attribute_not_exists(id) when no
 *                   live yet) [AND liveSequence < :candidateSequence when onlyIfNewer], set
 *                   revision = revision + 1; Update the candidate to state `live`; Update the
 *                   previous live deployment to `retired`. A cancelled transaction = CAS lost.
 * env-vars      HASH projectId (S), RANGE key (S). `key` is a DynamoDB reserved word: alias it (#key).
 *               `setMany` is a TransactWriteItems (≤ 100 items).
 * deliveries    HASH deliveryId (S). `record` is a Put with attribute_not_exists(deliveryId).
 *               TTL attribute expiresAt (N, epoch seconds): GitHub never redelivers by itself, so
 *               ids are kept for a while (the adapter's choice, e.g. 30 days), not forever.
 * access        HASH pk (S): owners, project owners, API tokens (SHA-256 only), dashboard sessions
 *               and sign-in codes, by key prefix (src/adapters/aws/dynamo-access.ts). TTL `ttl`.
 */

type TableKey = { name: string; type: 'S' | 'N' };

export function table(input: { name: string; hash: TableKey; range?: TableKey; indexes?: { name: string; hash: TableKey; range?: TableKey }[]; ttlAttribute?: string; pointInTimeRecovery: boolean }): Resource {
  const keys = [input.hash, input.range, ...(input.indexes ?? []).flatMap((i) => [i.hash, i.range])].filter((k): k is TableKey => k !== undefined);
  const attributes = [...new Map(keys.map((k) => [k.name, k])).values()];
  const keySchema = (hash: TableKey, range?: TableKey) => [{ AttributeName: hash.name, KeyType: 'HASH' }, ...(range ? [{ AttributeName: range.name, KeyType: 'RANGE' }] : [])];
  return {
    Type: 'AWS::DynamoDB::Table',
    // Tables go with the stack (destroy asks first); a replacement keeps the old table's data.
    DeletionPolicy: 'Delete',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      TableName: input.name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
      KeySchema: keySchema(input.hash, input.range),
      ...(input.indexes?.length
        ? { GlobalSecondaryIndexes: input.indexes.map((i) => ({ IndexName: i.name, KeySchema: keySchema(i.hash, i.range), Projection: { ProjectionType: 'ALL' } })) }
        : {}),
      ...(input.ttlAttribute ? { TimeToLiveSpecification: { AttributeName: input.ttlAttribute, Enabled: true } } : {}),
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: input.pointInTimeRecovery },
    },
  };
}

/** A private, encrypted bucket. Retained on stack deletion: `anchor destroy` empties and removes it itself, or says it kept it. */
function bucket(extra: Record<string, CfnValue> = {}): Resource {
  return {
    Type: 'AWS::S3::Bucket',
    DeletionPolicy: 'Retain',
    UpdateReplacePolicy: 'Retain',
    Properties: {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      ...extra,
    },
  };
}

/** Every bucket refuses plain HTTP; the assets bucket also lets each project's distribution (OAC) read its own prefix (assets-policy.ts). */
function bucketPolicy(bucketId: string, assetReaders: readonly AssetReader[] | null): Resource {
  const names = { bucketArn: getAtt(bucketId, 'Arn'), objectsArn: (prefix: string) => sub(`\${${bucketId}.Arn}/${prefix}*`), distributionArn: (id: string) => sub(`arn:\${AWS::Partition}:cloudfront::\${AWS::AccountId}:distribution/${id}`) };
  const statements = assetsBucketStatements(assetReaders ?? [], names);
  return {
    Type: 'AWS::S3::BucketPolicy',
    Properties: { Bucket: ref(bucketId), PolicyDocument: policy(assetReaders ? statements : statements.slice(0, 1)) },
  };
}

const ABORT_INCOMPLETE_UPLOADS = { LifecycleConfiguration: { Rules: [{ Id: 'AbortIncompleteUploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }] } };
/** The queue's visibility matches the build timeout: a job is not handed out again while its build may still run. */
export const BUILD_QUEUE_VISIBILITY_SECONDS = 1800;
export const BUILD_MAX_RECEIVES = 3;

export function storageResources(stage: string, assetReaders: readonly AssetReader[] = []): Record<string, Resource> {
  return {
    ProjectsTable: table({ name: `anchor-${stage}-projects`, hash: { name: 'name', type: 'S' }, indexes: [{ name: 'byId', hash: { name: 'id', type: 'S' } }], pointInTimeRecovery: true }),
    DeploymentsTable: table({
      name: `anchor-${stage}-deployments`,
      hash: { name: 'id', type: 'S' },
      indexes: [{ name: 'byProject', hash: { name: 'projectId', type: 'S' }, range: { name: 'sequence', type: 'N' } }],
      pointInTimeRecovery: true,
    }),
    EnvVarsTable: table({ name: `anchor-${stage}-env-vars`, hash: { name: 'projectId', type: 'S' }, range: { name: 'key', type: 'S' }, pointInTimeRecovery: true }),
    DeliveriesTable: table({ name: `anchor-${stage}-deliveries`, hash: { name: 'deliveryId', type: 'S' }, ttlAttribute: 'expiresAt', pointInTimeRecovery: false }),
    AccessTable: table({ name: `anchor-${stage}-access`, hash: { name: 'pk', type: 'S' }, ttlAttribute: 'ttl', pointInTimeRecovery: true }),

    // No expiry by age: core retention (retention.ts) removes what it drops, and a rollback target
    // it keeps must keep its artifact however old it is. Only unfinished uploads expire.
    ArtifactsBucket: bucket(ABORT_INCOMPLETE_UPLOADS),
    ArtifactsBucketPolicy: bucketPolicy('ArtifactsBucket', null),
    AssetsBucket: bucket(ABORT_INCOMPLETE_UPLOADS),
    AssetsBucketPolicy: bucketPolicy('AssetsBucket', assetReaders),
    CacheBucket: bucket(ABORT_INCOMPLETE_UPLOADS),
    CacheBucketPolicy: bucketPolicy('CacheBucket', null),

    BuildDeadLetterQueue: {
      Type: 'AWS::SQS::Queue',
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: { QueueName: `anchor-${stage}-builds-dlq`, MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true },
    },
    BuildQueue: {
      Type: 'AWS::SQS::Queue',
      // A job in flight is lost with the queue, but its deployment row stays `queued` and can be redeployed.
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      Properties: {
        QueueName: `anchor-${stage}-builds`,
        MessageRetentionPeriod: 345_600,
        VisibilityTimeout: BUILD_QUEUE_VISIBILITY_SECONDS,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: getAtt('BuildDeadLetterQueue', 'Arn'), maxReceiveCount: BUILD_MAX_RECEIVES },
      },
    },
  };
}
