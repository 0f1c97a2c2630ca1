import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  ListStacksCommand,
  type StackEvent,
} from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { GetParameterCommand, ParameterAlreadyExists, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { FakeLambda } from './aws-lambda.js';

export const ACCOUNT = '111122223333';

interface FakeStack {
  name: string;
  status: string;
  template: string;
  parameters: Record<string, string>;
  outputs: Record<string, string>;
  /** Newest first, as DescribeStackEvents answers. */
  events: StackEvent[];
  /** Events that "happen" over the next DescribeStackEvents calls, a few per call. */
  pending: StackEvent[];
}

interface Failure {
  logicalId: string;
  reason: string;
}

const notFound = (what: string) => Object.assign(new Error(what), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });

/**
 * CloudFormation, S3, STS and Lambda (test/fakes/aws-lambda.ts) as aws-sdk-client-mock stubs over a small in-memory model: stacks go
 * through change sets, events arrive a few per poll, a planned failure rolls a stack back the way
 * CloudFormation does (the cause, then "cancelled" cascades, then ROLLBACK_COMPLETE).
 */
export class FakeAwsControlPlane {
  readonly cfn = mockClient(CloudFormationClient);
  readonly s3 = mockClient(S3Client);
  readonly sts = mockClient(STSClient);
  /** SSM Parameter Store as init and projects add use it (the stage's origin secret): a missing name is ParameterNotFound, no overwrite unless asked. */
  readonly ssm = mockClient(SSMClient);
  readonly parameters = new Map<string, { value: string; type: string }>();
  /** The account's Lambda functions (none until a test adds them), for every LambdaClient the CLI makes. */
  readonly lambda = new FakeLambda({ functions: [], everyClient: true });
  readonly stacks = new Map<string, FakeStack>();
  readonly buckets = new Map<string, Map<string, number>>();
  /** Object bodies by `bucket/key`, so CloudFormation can read a template given by TemplateURL, as it does. */
  private readonly bodies = new Map<string, string>();
  /** Bucket policies written with PutBucketPolicy (JSON), by bucket. */
  readonly bucketPolicies = new Map<string, string>();
  readonly calls: string[] = [];
  private readonly failures = new Map<string, Failure>();
  private changeSets = new Map<string, { stack: string; status: string; reason?: string; template: string; parameters: Record<string, string>; polls: number }>();
  private eventSeq = 0;

  constructor() {
    this.ssm.on(PutParameterCommand).callsFake(async (input: { Name?: string; Value?: string; Type?: string; Overwrite?: boolean }) => {
      if (!input.Name || !input.Value) throw new Error('ValidationException: Name and Value are required');
      if (this.parameters.has(input.Name) && !input.Overwrite) throw new ParameterAlreadyExists({ message: 'The parameter already exists.', $metadata: {} });
      this.parameters.set(input.Name, { value: input.Value, type: input.Type ?? 'String' });
      return { Version: 1, Tier: 'Standard' };
    });
    this.ssm.on(GetParameterCommand).callsFake(async (input: { Name?: string }) => {
      const found = input.Name ? this.parameters.get(input.Name) : undefined;
      if (!found) throw new ParameterNotFound({ message: `Parameter ${input.Name} not found.`, $metadata: {} });
      return { Parameter: { Name: input.Name, Value: found.value, Type: found.type } };
    });
    this.sts.on(GetCallerIdentityCommand).callsFake(async () => {
      this.calls.push('sts:GetCallerIdentity');
      return { Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ops`, UserId: 'AIDAEXAMPLE' };
    });
    this.installCloudFormation();
    this.installS3();
  }

  noCredentials(): void {
    this.sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
  }

  /** The next change executed on `stack` (a change set, or its deletion) fails at `logicalId` with `reason`. */
  failNext(stack: string, failure: Failure): void {
    this.failures.set(stack, failure);
  }

  restore(): void {
    this.cfn.restore();
    this.s3.restore();
    this.sts.restore();
    this.ssm.restore();
    this.lambda.mock.restore();
  }

  /** Every request of the given clients, in order, as "service:Command". */
  get sdkCalls(): string[] {
    return this.calls;
  }

  private event(stack: FakeStack, logicalId: string, type: string, status: string, reason?: string): StackEvent {
    return { StackName: stack.name, StackId: `arn:aws:cloudformation:ap-southeast-1:${ACCOUNT}:stack/${stack.name}/1`, EventId: `e-${++this.eventSeq}`, LogicalResourceId: logicalId, ResourceType: type, ResourceStatus: status as StackEvent['ResourceStatus'], ResourceStatusReason: reason, Timestamp: new Date(Date.UTC(2025, 2, 10, 10, 0, this.eventSeq % 60)) };
  }

  private installCloudFormation(): void {
    const log = (name: string) => this.calls.push(`cloudformation:${name}`);
    this.cfn.on(DescribeStacksCommand).callsFake(async (input) => {
      log('DescribeStacks');
      const stack = this.stacks.get(input.StackName);
      if (!stack) throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), { name: 'ValidationError' });
      return { Stacks: [{ StackName: stack.name, StackStatus: stack.status, CreationTime: new Date(), Outputs: Object.entries(stack.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })), Parameters: Object.entries(stack.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })) }] };
    });
    this.cfn.on(ListStacksCommand).callsFake(async () => {
      log('ListStacks');
      return { StackSummaries: [...this.stacks.values()].map((s) => ({ StackName: s.name, StackStatus: s.status, CreationTime: new Date() })) };
    });
    this.cfn.on(CreateChangeSetCommand).callsFake(async (input) => {
      log(`CreateChangeSet:${input.ChangeSetType}`);
      let stack = this.stacks.get(input.StackName);
      if (input.ChangeSetType === 'CREATE') {
        if (stack && stack.status !== 'REVIEW_IN_PROGRESS') throw Object.assign(new Error(`Stack [${input.StackName}] already exists and cannot be created again with the changeSet`), { name: 'ValidationError' });
        if (!stack) {
          stack = { name: input.StackName, status: 'REVIEW_IN_PROGRESS', template: '', parameters: {}, outputs: {}, events: [], pending: [] };
          stack.events.unshift(this.event(stack, stack.name, 'AWS::CloudFormation::Stack', 'REVIEW_IN_PROGRESS', 'User Initiated'));
          this.stacks.set(stack.name, stack);
        }
      } else if (!stack) {
        throw Object.assign(new Error(`Stack [${input.StackName}] does not exist`), { name: 'ValidationError' });
      }
      const parameters: Record<string, string> = {};
      for (const p of input.Parameters ?? []) parameters[p.ParameterKey!] = p.UsePreviousValue ? (stack.parameters[p.ParameterKey!] ?? '') : (p.ParameterValue ?? '');
      // A template over 51,200 bytes comes by TemplateURL (https://<bucket>.s3.<region>.amazonaws.com/<key>): read from the fake bucket.
      const url = input.TemplateURL ? new URL(input.TemplateURL) : null;
      const body = input.TemplateBody ?? (url ? this.bodies.get(`${url.hostname.split('.s3.')[0]}/${decodeURIComponent(url.pathname.slice(1))}`) : undefined);
      if (url && body === undefined) throw Object.assign(new Error(`TemplateURL ${input.TemplateURL} cannot be read`), { name: 'ValidationError' });
      const same = input.ChangeSetType === 'UPDATE' && body === stack.template && JSON.stringify(parameters) === JSON.stringify(stack.parameters);
      this.changeSets.set(input.ChangeSetName!, { stack: stack.name, status: same ? 'FAILED' : 'CREATE_COMPLETE', ...(same ? { reason: "The submitted information didn't contain changes. Submit different information to create a change set." } : {}), template: body ?? '', parameters, polls: 0 });
      return { Id: `arn:aws:cloudformation:ap-southeast-1:${ACCOUNT}:changeSet/${input.ChangeSetName}/1`, StackId: stack.name };
    });
    this.cfn.on(DescribeChangeSetCommand).callsFake(async (input) => {
      log('DescribeChangeSet');
      const set = this.changeSets.get(input.ChangeSetName)!;
      // The first look finds it still being computed, as it usually is.
      if (set.polls++ === 0) return { Status: 'CREATE_PENDING', ExecutionStatus: 'UNAVAILABLE' };
      return { Status: set.status, StatusReason: set.reason, ExecutionStatus: set.status === 'FAILED' ? 'UNAVAILABLE' : 'AVAILABLE' };
    });
    this.cfn.on(DeleteChangeSetCommand).callsFake(async (input) => {
      log('DeleteChangeSet');
      this.changeSets.delete(input.ChangeSetName!);
      return {};
    });
    this.cfn.on(ExecuteChangeSetCommand).callsFake(async (input) => {
      log('ExecuteChangeSet');
      const set = this.changeSets.get(input.ChangeSetName!)!;
      const stack = this.stacks.get(set.stack)!;
      this.plan(stack, set.template, set.parameters);
      return {};
    });
    this.cfn.on(DescribeStackEventsCommand).callsFake(async (input) => {
      log('DescribeStackEvents');
      const stack = this.stacks.get(input.StackName);
      if (!stack) throw Object.assign(new Error(`Stack [${input.StackName}] does not exist`), { name: 'ValidationError' });
      for (const event of stack.pending.splice(0, 3)) {
        stack.events.unshift(event);
        if (event.LogicalResourceId === stack.name) stack.status = event.ResourceStatus!;
      }
      if (stack.status === 'DELETE_COMPLETE' && stack.pending.length === 0) this.stacks.delete(stack.name);
      return { StackEvents: stack.events };
    });
    this.cfn.on(DeleteStackCommand).callsFake(async (input) => {
      log(`DeleteStack:${input.StackName}`);
      const stack = this.stacks.get(input.StackName!);
      if (!stack) return {};
      const resources = resourcesOf(stack.template).reverse();
      const failure = this.failures.get(stack.name);
      this.failures.delete(stack.name);
      if (failure) {
        // CloudFormation deletes what it can, then stops at the resource it could not delete.
        const failedType = resources.find(([id]) => id === failure.logicalId)?.[1] ?? 'AWS::Unknown';
        stack.pending.push(
          this.event(stack, stack.name, 'AWS::CloudFormation::Stack', 'DELETE_IN_PROGRESS', 'User Initiated'),
          this.event(stack, failure.logicalId, failedType, 'DELETE_IN_PROGRESS'),
          this.event(stack, failure.logicalId, failedType, 'DELETE_FAILED', failure.reason),
          this.event(stack, stack.name, 'AWS::CloudFormation::Stack', 'DELETE_FAILED', `The following resource(s) failed to delete: [${failure.logicalId}].`),
        );
        return {};
      }
      stack.pending.push(
        this.event(stack, stack.name, 'AWS::CloudFormation::Stack', 'DELETE_IN_PROGRESS', 'User Initiated'),
        ...resources.flatMap(([id, type]) => [this.event(stack, id, type, 'DELETE_IN_PROGRESS'), this.event(stack, id, type, type === 'AWS::S3::Bucket' ? 'DELETE_SKIPPED' : 'DELETE_COMPLETE')]),
        this.event(stack, stack.name, 'AWS::CloudFormation::Stack', 'DELETE_COMPLETE'),
      );
      return {};
    });
  }

  private plan(stack: FakeStack, template: string, parameters: Record<string, string>): void {
    const creating = stack.status === 'REVIEW_IN_PROGRESS';
    const verb = creating ? 'CREATE' : 'UPDATE';
    const resources = resourcesOf(template);
    const failure = this.failures.get(stack.name);
    this.failures.delete(stack.name);
    const ev = (id: string, type: string, status: string, reason?: string) => this.event(stack, id, type, status, reason);
    const events = [ev(stack.name, 'AWS::CloudFormation::Stack', `${verb}_IN_PROGRESS`, 'User Initiated')];
    if (!failure) {
      for (const [id, type] of resources) events.push(ev(id, type, `${verb}_IN_PROGRESS`), ev(id, type, `${verb}_COMPLETE`));
      if (!creating) events.push(ev(stack.name, 'AWS::CloudFormation::Stack', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'));
      events.push(ev(stack.name, 'AWS::CloudFormation::Stack', `${verb}_COMPLETE`));
      stack.template = template;
      stack.parameters = parameters;
      stack.outputs = outputsOf(stack.name, template);
      // The stack's buckets exist from now on (empty), as CloudFormation leaves them.
      for (const [key, name] of Object.entries(stack.outputs)) if (key.endsWith('BucketName') && !this.buckets.has(name)) this.buckets.set(name, new Map());
    } else {
      const started = resources.slice(0, 4);
      for (const [id, type] of started) events.push(ev(id, type, `${verb}_IN_PROGRESS`));
      const failedType = resources.find(([id]) => id === failure.logicalId)?.[1] ?? 'AWS::Unknown';
      events.push(ev(failure.logicalId, failedType, `${verb}_FAILED`, failure.reason));
      for (const [id, type] of started.filter(([id]) => id !== failure.logicalId)) events.push(ev(id, type, `${verb}_FAILED`, `Resource ${creating ? 'creation' : 'update'} cancelled`));
      events.push(ev(stack.name, 'AWS::CloudFormation::Stack', creating ? 'ROLLBACK_IN_PROGRESS' : 'UPDATE_ROLLBACK_IN_PROGRESS', `The following resource(s) failed to ${creating ? 'create' : 'update'}: [${failure.logicalId}]. Rollback requested by user.`));
      for (const [id, type] of started) events.push(ev(id, type, creating ? 'DELETE_COMPLETE' : 'UPDATE_COMPLETE'));
      events.push(ev(stack.name, 'AWS::CloudFormation::Stack', creating ? 'ROLLBACK_COMPLETE' : 'UPDATE_ROLLBACK_COMPLETE'));
    }
    stack.pending.push(...events);
  }

  private installS3(): void {
    const log = (name: string) => this.calls.push(`s3:${name}`);
    this.s3.on(HeadBucketCommand).callsFake(async (input) => {
      log('HeadBucket');
      if (!this.buckets.has(input.Bucket!)) throw notFound('Not Found');
      return {};
    });
    this.s3.on(CreateBucketCommand).callsFake(async (input) => {
      log(`CreateBucket:${input.Bucket}:${input.CreateBucketConfiguration?.LocationConstraint ?? ''}`);
      this.buckets.set(input.Bucket!, new Map());
      return {};
    });
    this.s3.on(PutPublicAccessBlockCommand).callsFake(async (input) => {
      log(`PutPublicAccessBlock:${Object.values(input.PublicAccessBlockConfiguration ?? {}).every(Boolean)}`);
      return {};
    });
    this.s3.on(PutBucketEncryptionCommand).callsFake(async (input) => {
      log(`PutBucketEncryption:${input.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm}`);
      return {};
    });
    this.s3.on(HeadObjectCommand).callsFake(async (input) => {
      log('HeadObject');
      if (!this.buckets.get(input.Bucket!)?.has(input.Key!)) throw notFound('Not Found');
      return {};
    });
    this.s3.on(PutObjectCommand).callsFake(async (input) => {
      log(`PutObject:${input.Key}`);
      const bucket = this.buckets.get(input.Bucket!);
      if (!bucket) throw Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' });
      bucket.set(input.Key!, (input.Body as Buffer).length);
      this.bodies.set(`${input.Bucket}/${input.Key}`, Buffer.from(input.Body as Buffer | string).toString('utf8'));
      return {};
    });
    this.s3.on(ListObjectVersionsCommand).callsFake(async (input) => {
      log(`ListObjectVersions:${input.Bucket}`);
      const bucket = this.buckets.get(input.Bucket!);
      if (!bucket) throw Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' });
      return { Versions: [...bucket.keys()].slice(0, input.MaxKeys ?? 1000).map((Key) => ({ Key, VersionId: 'null' })), IsTruncated: false };
    });
    this.s3.on(PutBucketPolicyCommand).callsFake(async (input) => {
      log(`PutBucketPolicy:${input.Bucket}`);
      if (!this.buckets.has(input.Bucket!)) throw Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' });
      JSON.parse(input.Policy!);
      this.bucketPolicies.set(input.Bucket!, input.Policy!);
      return {};
    });
    this.s3.on(ListObjectsV2Command).callsFake(async (input) => {
      log(`ListObjectsV2:${input.Bucket}:${input.Prefix ?? ''}`);
      const bucket = this.buckets.get(input.Bucket!);
      if (!bucket) throw Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' });
      const keys = [...bucket.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort().slice(0, input.MaxKeys ?? 1000);
      return { Contents: keys.map((Key) => ({ Key, Size: bucket.get(Key) })), KeyCount: keys.length, IsTruncated: false };
    });
    this.s3.on(DeleteObjectsCommand).callsFake(async (input) => {
      log(`DeleteObjects:${input.Bucket}`);
      for (const o of input.Delete?.Objects ?? []) this.buckets.get(input.Bucket!)?.delete(o.Key!);
      return { Deleted: input.Delete?.Objects };
    });
    this.s3.on(DeleteBucketCommand).callsFake(async (input) => {
      log(`DeleteBucket:${input.Bucket}`);
      this.buckets.delete(input.Bucket!);
      return {};
    });
  }
}

function resourcesOf(template: string): Array<[string, string]> {
  const parsed = JSON.parse(template || '{"Resources":{}}') as { Resources: Record<string, { Type: string }> };
  return Object.entries(parsed.Resources).map(([id, r]) => [id, r.Type]);
}

/** Output values as AWS would make them: generated bucket names, the API endpoint, the CloudFront domain. */
function outputsOf(stackName: string, template: string): Record<string, string> {
  const parsed = JSON.parse(template) as { Outputs?: Record<string, { Value: unknown }>; Resources?: Record<string, { Properties?: Record<string, unknown> }> };
  const lower = stackName.toLowerCase();
  // Ref of a resource given its name (a function, a CodeBuild project) is that name.
  const named = (value: unknown): string | undefined => {
    const id = (value as { Ref?: unknown })?.Ref;
    const props = typeof id === 'string' ? parsed.Resources?.[id]?.Properties : undefined;
    const name = props?.['FunctionName'] ?? props?.['Name'];
    return typeof name === 'string' ? name : undefined;
  };
  const values: Record<string, string> = {
    WebhookApiUrl: 'https://a1b2c3d4e5.execute-api.ap-southeast-1.amazonaws.com',
    ArtifactsBucketName: `${lower}-artifactsbucket-1a2b3c`,
    AssetsBucketName: `${lower}-assetsbucket-4d5e6f`,
    CacheBucketName: `${lower}-cachebucket-7g8h9i`,
    BuildQueueUrl: `https://sqs.ap-southeast-1.amazonaws.com/${ACCOUNT}/${stackName}-builds`,
    SiteUrl: 'https://d111111abcdef8.cloudfront.net',
  };
  return Object.fromEntries(Object.entries(parsed.Outputs ?? {}).map(([key, output]) => [key, typeof output.Value === 'string' ? output.Value : (values[key] ?? named(output.Value) ?? `${lower}-${key}`)]));
}
