import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeFunctionCommand, GetCachePolicyCommand, GetDistributionCommand, type CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { GetKeyCommand, type CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { BatchGetProjectsCommand, type CodeBuildClient } from '@aws-sdk/client-codebuild';
import { GetRolePolicyCommand, ListRolePoliciesCommand, type IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionCommand, GetFunctionUrlConfigCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { HeadBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { errorMessage } from '../../../../core/errors.js';
import type { FunctionKind } from '../../../../core/opennext-output.js';
import { platformFunctionName, platformStackName, projectResourceName, projectStackName } from '../../resource-names.js';
import { parsePolicyDocument, type PolicyStatement } from './iam-policy.js';
import { awsErrorNamed, isS3NotFound } from '../../aws-errors.js';

/**
 * What `anchor doctor` reads of an aws platform, with read-only calls only (README lists the
 * permissions). Each piece is read on its own: one that cannot be read (gone, or not allowed)
 * becomes `{ error }` and the checks say so, instead of hiding the others.
 */
export type Read<T> = { value: T } | { error: string; name: string };

export interface AccountClients {
  cloudFormation: CloudFormationClient;
  lambda: LambdaClient;
  cloudFront: CloudFrontClient;
  keyValueStore: CloudFrontKeyValueStoreClient;
  iam: IAMClient;
  codeBuild: CodeBuildClient;
  s3: S3Client;
}

export interface StackRead {
  name: string;
  status: string;
  reason: string | null;
}

export interface LiveFunctionRead {
  name: string;
  /** What alias `live` resolves to: a version number, or `$LATEST`. */
  version: string;
  description: string;
  architectures: string[];
  env: Record<string, string>;
}

export interface BehaviourRead {
  pattern: string;
  origin: string;
  cachePolicyId: string | null;
  viewerRequestFunctions: string[];
}

export interface DistributionRead {
  id: string;
  status: string;
  enabled: boolean;
  behaviours: BehaviourRead[];
}

export interface EdgeFunctionRead {
  name: string;
  arn: string;
  status: string;
  keyValueStores: string[];
}

export interface ProjectRead {
  project: string;
  stack: Read<StackRead>;
  functions: Record<FunctionKind, { name: string; live: Read<LiveFunctionRead>; invokeMode: Read<string> }>;
  kvsArn: string | null;
  /** The KVS value for the project; null when the key is absent (nothing deployed yet). */
  kvsValue: Read<string | null>;
  distribution: Read<DistributionRead>;
  /** Headers in each cache policy's key, by policy id. */
  cachePolicies: Record<string, Read<string[]>>;
  edgeFunctionName: string;
  edgeFunction: Read<EdgeFunctionRead>;
}

/** The dashboard build the API function serves (its environment) and whether that build's manifest is in the bucket. */
export interface DashboardRead {
  functionName: string;
  bucket: string;
  /** '' when none was uploaded. */
  prefix: string;
  manifest: boolean;
}

export interface PlatformRead {
  stack: Read<StackRead>;
  dashboard: Read<DashboardRead>;
  buckets: Record<string, Read<true>>;
  buildImage: Read<{ image: string; type: string }>;
  deployRole: Read<{ arn: string; statements: PolicyStatement[] }>;
  projects: ProjectRead[];
}

export interface PlatformToRead {
  stage: string;
  outputs: Record<string, string>;
  projects: Record<string, Record<string, string>>;
}

async function read<T>(call: () => Promise<T>): Promise<Read<T>> {
  try {
    return { value: await call() };
  } catch (error) {
    return { error: errorMessage(error), name: (error as { name?: string })?.name ?? 'Error' };
  }
}

export async function readPlatform(clients: AccountClients, platform: PlatformToRead): Promise<PlatformRead> {
  const { outputs } = platform;
  const buckets: Record<string, Read<true>> = {};
  for (const key of ['ArtifactsBucketName', 'AssetsBucketName', 'CacheBucketName']) {
    const bucket = outputs[key] ?? '';
    buckets[bucket || key] = await read(async () => (await clients.s3.send(new HeadBucketCommand({ Bucket: bucket })), true as const));
  }
  const projects: ProjectRead[] = [];
  for (const [project, projectOutputs] of Object.entries(platform.projects)) projects.push(await readProject(clients, platform.stage, project, projectOutputs));
  return {
    stack: await read(() => readStack(clients.cloudFormation, platformStackName(platform.stage))),
    dashboard: await read(() => readDashboard(clients, platformFunctionName(platform.stage, 'api'))),
    buckets,
    buildImage: await read(() => readBuildImage(clients.codeBuild, outputs['BuildProjectName'] ?? `anchor-${platform.stage}-build`)),
    deployRole: await read(() => readFunctionRole(clients, outputs['DeployFunctionName'] ?? platformFunctionName(platform.stage, 'deploy'))),
    projects,
  };
}

async function readDashboard(clients: AccountClients, functionName: string): Promise<DashboardRead> {
  const env = (await clients.lambda.send(new GetFunctionCommand({ FunctionName: functionName }))).Configuration?.Environment?.Variables ?? {};
  const bucket = env['ANCHOR_DASHBOARD_BUCKET'] ?? '';
  const prefix = env['ANCHOR_DASHBOARD_PREFIX'] ?? '';
  if (!bucket || !prefix) return { functionName, bucket, prefix: '', manifest: false };
  try {
    await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}manifest.json` }));
    return { functionName, bucket, prefix, manifest: true };
  } catch (error) {
    if (isS3NotFound(error)) return { functionName, bucket, prefix, manifest: false };
    throw error;
  }
}

async function readStack(cfn: CloudFormationClient, name: string): Promise<StackRead> {
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  if (!stack) throw Object.assign(new Error(`Stack ${name} does not exist`), { name: 'ValidationError' });
  return { name, status: stack.StackStatus ?? 'UNKNOWN', reason: stack.StackStatusReason ?? null };
}

async function readBuildImage(codeBuild: CodeBuildClient, name: string): Promise<{ image: string; type: string }> {
  const found = (await codeBuild.send(new BatchGetProjectsCommand({ names: [name] }))).projects?.[0];
  if (!found?.environment) throw Object.assign(new Error(`CodeBuild project ${name} does not exist`), { name: 'ResourceNotFoundException' });
  return { image: found.environment.image ?? '', type: found.environment.type ?? '' };
}

/** The role a function runs as, and the statements of its inline policies (anchor's roles have no managed ones). */
async function readFunctionRole(clients: AccountClients, functionName: string): Promise<{ arn: string; statements: PolicyStatement[] }> {
  const arn = (await clients.lambda.send(new GetFunctionCommand({ FunctionName: functionName }))).Configuration?.Role ?? '';
  const roleName = arn.split('/').pop() ?? '';
  const statements: PolicyStatement[] = [];
  let marker: string | undefined;
  do {
    const page = await clients.iam.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
    for (const policyName of page.PolicyNames ?? []) {
      const policy = await clients.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
      statements.push(...parsePolicyDocument(policy.PolicyDocument ?? '{}'));
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return { arn, statements };
}

async function readProject(clients: AccountClients, stage: string, project: string, outputs: Record<string, string>): Promise<ProjectRead> {
  const functions = {} as ProjectRead['functions'];
  for (const kind of ['server', 'image'] as const) {
    const name = outputs[kind === 'server' ? 'ServerFunctionName' : 'ImageFunctionName'] ?? projectResourceName(stage, project, kind);
    functions[kind] = {
      name,
      live: await read(() => readLiveFunction(clients.lambda, name)),
      invokeMode: await read(async () => (await clients.lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: name, Qualifier: 'live' }))).InvokeMode ?? 'BUFFERED'),
    };
  }
  const kvsArn = outputs['KeyValueStoreArn'] ?? null;
  const distribution = await read(() => readDistribution(clients.cloudFront, outputs['DistributionId'] ?? ''));
  const cachePolicies: Record<string, Read<string[]>> = {};
  if ('value' in distribution) {
    for (const id of new Set(distribution.value.behaviours.map((b) => b.cachePolicyId).filter((id): id is string => id !== null))) {
      cachePolicies[id] = await read(async () => {
        const config = (await clients.cloudFront.send(new GetCachePolicyCommand({ Id: id }))).CachePolicy?.CachePolicyConfig;
        const headers = config?.ParametersInCacheKeyAndForwardedToOrigin?.HeadersConfig;
        return headers?.HeaderBehavior === 'whitelist' ? (headers.Headers?.Items ?? []).map((h) => h.toLowerCase()) : [];
      });
    }
  }
  return {
    project,
    stack: await read(() => readStack(clients.cloudFormation, projectStackName(stage, project))),
    functions,
    kvsArn,
    kvsValue: kvsArn === null ? { value: null } : await read(() => readKey(clients.keyValueStore, kvsArn, project)),
    distribution,
    cachePolicies,
    edgeFunctionName: projectResourceName(stage, project, 'edge'),
    edgeFunction: await read(() => readEdgeFunction(clients.cloudFront, projectResourceName(stage, project, 'edge'))),
  };
}

async function readLiveFunction(lambda: LambdaClient, name: string): Promise<LiveFunctionRead> {
  const config = (await lambda.send(new GetFunctionCommand({ FunctionName: name, Qualifier: 'live' }))).Configuration;
  return {
    name,
    version: config?.Version ?? '$LATEST',
    description: config?.Description ?? '',
    architectures: config?.Architectures ?? ['x86_64'],
    env: config?.Environment?.Variables ?? {},
  };
}

async function readKey(kvs: CloudFrontKeyValueStoreClient, arn: string, key: string): Promise<string | null> {
  try {
    return (await kvs.send(new GetKeyCommand({ KvsARN: arn, Key: key }))).Value ?? null;
  } catch (error) {
    if (awsErrorNamed(error, 'ResourceNotFoundException')) return null;
    throw error;
  }
}

async function readDistribution(cloudFront: CloudFrontClient, id: string): Promise<DistributionRead> {
  const distribution = (await cloudFront.send(new GetDistributionCommand({ Id: id }))).Distribution;
  const config = distribution?.DistributionConfig;
  const behaviour = (pattern: string, b: { TargetOriginId?: string; CachePolicyId?: string; FunctionAssociations?: { Items?: { EventType?: string; FunctionARN?: string }[] } } | undefined): BehaviourRead => ({
    pattern,
    origin: b?.TargetOriginId ?? '',
    cachePolicyId: b?.CachePolicyId ?? null,
    viewerRequestFunctions: (b?.FunctionAssociations?.Items ?? []).filter((f) => f.EventType === 'viewer-request').map((f) => f.FunctionARN ?? ''),
  });
  return {
    id,
    status: distribution?.Status ?? 'UNKNOWN',
    enabled: config?.Enabled ?? false,
    behaviours: [behaviour('*', config?.DefaultCacheBehavior), ...(config?.CacheBehaviors?.Items ?? []).map((b) => behaviour(b.PathPattern ?? '', b))],
  };
}

async function readEdgeFunction(cloudFront: CloudFrontClient, name: string): Promise<EdgeFunctionRead> {
  const summary = (await cloudFront.send(new DescribeFunctionCommand({ Name: name, Stage: 'LIVE' }))).FunctionSummary;
  return {
    name,
    arn: summary?.FunctionMetadata?.FunctionARN ?? '',
    status: summary?.Status ?? 'UNKNOWN',
    keyValueStores: (summary?.FunctionConfig?.KeyValueStoreAssociations?.Items ?? []).map((k) => k.KeyValueStoreARN ?? ''),
  };
}
