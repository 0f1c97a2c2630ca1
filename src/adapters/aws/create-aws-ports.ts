import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { artifactKey, buildCacheFolder, projectStackName, tagTableName } from './resource-names.js';
import { AnchorError } from '../../core/errors.js';
import { DeploymentReporter } from '../../core/deployment-reporter.js';
import type { Builder, Ports, RepoHooks, RepoStatuses } from '../../core/ports/index.js';
import { reportingDeployments } from '../../core/reporting-deployments.js';
import { lazyRepoStatuses } from '../github/lazy-repo-statuses.js';
import type { Access } from '../../core/ports/access.js';
import { DynamoAccess } from './dynamo-access.js';
import { RandomIds } from '../system/random-ids.js';
import { StreamLogger } from '../system/stream-logger.js';
import { SystemClock } from '../system/system-clock.js';
import { CloudWatchBuildLogs } from './cloudwatch-build-logs.js';
import { CodeBuildBuilder } from './codebuild-builder.js';
import { DynamoDeliveries } from './dynamo-deliveries.js';
import { documentClient } from './dynamo-document.js';
import { DynamoDeployments } from './dynamo-deployments.js';
import { DynamoEnvVars } from './dynamo-env-vars.js';
import { DynamoProjects } from './dynamo-projects.js';
import { keyValueStoreClient } from './key-value-store-client.js';
import { LambdaFunctionHost } from './lambda-function-host.js';
import { LambdaFunctionStates } from './lambda-function-states.js';
import { LambdaRuntimeLogs } from './lambda-runtime-logs.js';
import { S3Artifacts } from './s3-artifacts.js';
import { acceptedOriginSecrets } from './origin-secret.js';
import { S3StaticHost } from './s3-static-host.js';
import { SqsDeployFailures } from './sqs-deploy-failures.js';
import { SqsJobQueue } from './sqs-job-queue.js';
import { SsmRepoTokens } from './ssm-repo-tokens.js';
import { givenOrMade } from './given-clients.js';
import { SsmSecretBox } from './ssm-secret-box.js';

/**
 * The SDK clients the port adapters use: made here unless given. Not the CLI's lazy `AwsClients`
 * (src/cli/aws-clients.ts), which makes the few clients provisioning needs on first use.
 */
export interface AwsPortClients {
  dynamodb: DynamoDBClient;
  s3: S3Client;
  sqs: SQSClient;
  lambda: LambdaClient;
  codebuild: CodeBuildClient;
  logs: CloudWatchLogsClient;
  ssm: SSMClient;
  kvs: CloudFrontKeyValueStoreClient;
  cloudformation: CloudFormationClient;
}

export interface AwsPlatformOptions {
  region: string;
  stage: string;
  /** The platform stack's outputs (PLATFORM_OUTPUTS in infra/stack/platform-template.ts), as the CLI saved them or the handler env gives them. */
  outputs: Record<string, string>;
  /** Clients to use instead of new ones (tests point them at emulators; callers may share theirs). Given clients are not destroyed by `close`. */
  clients?: Partial<AwsPortClients>;
  githubToken?: string;
  githubApiUrl?: string;
  logStream?: { write(chunk: string): unknown };
  /**
   * Report deployments on GitHub (the handlers do; the CLI does not): the platform's URL, and
   * how calls are retried (tests shorten the waits).
   */
  reporting?: { platformUrl: string; attempts?: number; firstDelayMs?: number; statuses?: RepoStatuses };
}

export interface AwsPlatform {
  ports: Omit<Ports, 'builder'> & { builder: Builder };
  /** The deploy function's OnFailure destination, drained by the reconciler. */
  deployFailures: SqsDeployFailures;
  /** Waits (at most `ms`) for GitHub reports still under way: a Lambda handler calls it before it returns. */
  drainReports(ms: number): Promise<boolean>;
  /** Owners and API tokens; null for a platform stack made before they existed (init --aws again adds the table). */
  access: Access | null;
  close(): Promise<void>;
}

const REQUIRED_OUTPUTS = [
  'ProjectsTableName',
  'DeploymentsTableName',
  'EnvVarsTableName',
  'DeliveriesTableName',
  'ArtifactsBucketName',
  'AssetsBucketName',
  'CacheBucketName',
  'BuildQueueUrl',
  'BuildProjectName',
  'BuildLogGroupName',
] as const;

/**
 * The aws backend's composition root: the only place its adapters are constructed. Clients are
 * made here from the region alone (the SDK finds credentials itself), unless given.
 */
export async function createAwsPorts(options: AwsPlatformOptions): Promise<AwsPlatform> {
  const outputs = requireOutputs(options.outputs);
  const { clients: c, own } = portClients(options);
  const region = options.region;
  const doc = documentClient(c.dynamodb);
  const envVars = new DynamoEnvVars({ doc, table: outputs.EnvVarsTableName });
  const projects = new DynamoProjects({ doc, table: outputs.ProjectsTableName, envVars });
  const deployments = new DynamoDeployments({ doc, table: outputs.DeploymentsTableName });

  const stackOutput = stackOutputs(c, options.stage);

  const buildLogs = new CloudWatchBuildLogs({ logs: c.logs, group: outputs.BuildLogGroupName });
  const ports: AwsPlatform['ports'] = {
    projects,
    deployments,
    envVars,
    deliveries: new DynamoDeliveries({ doc, table: outputs.DeliveriesTableName }),
    queue: new SqsJobQueue({ sqs: c.sqs, queueUrl: outputs.BuildQueueUrl }),
    builder: new CodeBuildBuilder({ codebuild: c.codebuild, ssm: c.ssm, stage: options.stage, buildProject: outputs.BuildProjectName, logGroup: outputs.BuildLogGroupName, artifactLocation: (project, id) => `s3://${outputs.ArtifactsBucketName}/${artifactKey(project, id)}`, cacheLocation: (project) => `${outputs.ArtifactsBucketName}/${buildCacheFolder(project)}` }),
    logs: buildLogs,
    artifacts: new S3Artifacts({ s3: c.s3, bucket: outputs.ArtifactsBucketName }),
    staticHost: new S3StaticHost({
      s3: c.s3,
      assetsBucket: outputs.AssetsBucketName,
      cacheBucket: outputs.CacheBucketName,
      kvs: c.kvs,
      keyValueStoreArn: (project) => stackOutput(project, 'KeyValueStoreArn'),
      tagCache: { dynamodb: c.dynamodb, table: (project) => tagTableName(options.stage, project) },
    }),
    functions: new LambdaFunctionHost({
      lambda: c.lambda,
      stage: options.stage,
      region,
      cacheBucket: outputs.CacheBucketName,
      assetsBucket: outputs.AssetsBucketName,
      artifactsBucket: outputs.ArtifactsBucketName,
      buildQueueUrl: outputs.BuildQueueUrl,
      originSecrets: (project) => acceptedOriginSecrets(c.ssm, options.stage, project),
    }),
    functionStates: new LambdaFunctionStates(),
    runtimeLogs: new LambdaRuntimeLogs({ stage: options.stage }),
    secrets: new SsmSecretBox({ ssm: c.ssm, path: `/anchor/${options.stage}/secrets/` }),
    repoHooks: lazyRepoHooks(options),
    repoTokens: new SsmRepoTokens({ ssm: c.ssm, stage: options.stage }),
    clock: new SystemClock(),
    ids: new RandomIds(),
    logger: new StreamLogger(options.logStream ?? process.stderr),
  };
  const drainReports = reportOnGitHub(ports, deployments, (project) => stackOutput(project, 'SiteUrl'), options);
  return {
    ports,
    deployFailures: new SqsDeployFailures({ sqs: c.sqs, queueUrl: options.outputs['DeployFailureQueueUrl'] || `${outputs.BuildQueueUrl}-failed-deploys` }),
    drainReports,
    access: options.outputs['AccessTableName'] ? new DynamoAccess({ doc, table: options.outputs['AccessTableName'] }) : null,
    close: async () => {
      buildLogs.close();
      for (const made of own) made.destroy();
    },
  };
}

/** A project stack's outputs, as the adapters need them: they do not change while it lives, so each is read once (a failed read again). */
function stackOutputs(c: AwsPortClients, stage: string) {
  const outputs = new Map<string, Promise<string>>();
  const stackOutput = (project: string, key: 'KeyValueStoreArn' | 'SiteUrl'): Promise<string> => {
    const id = `${project}\n${key}`;
    let value = outputs.get(id);
    if (!value) {
      value = projectOutput(c.cloudformation, projectStackName(stage, project), key);
      value.catch(() => outputs.delete(id));
      outputs.set(id, value);
    }
    return value;
  };
  return stackOutput;
}

/** With `reporting`, every state change is reported on GitHub in the background; returns how to wait for what is left. */
function reportOnGitHub(ports: AwsPlatform['ports'], deployments: DynamoDeployments, siteUrl: (project: string) => Promise<string>, options: AwsPlatformOptions): AwsPlatform['drainReports'] {
  if (!options.reporting) return async () => true;
  const { platformUrl, statuses, ...retries } = options.reporting;
  const reporter = new DeploymentReporter(
    { ...ports, statuses: statuses ?? lazyRepoStatuses(options.githubApiUrl) },
    {
      platformUrl: () => platformUrl,
      siteUrl: (project) => siteUrl(project.name).catch(() => null),
      ...retries,
    },
  );
  ports.deployments = reportingDeployments(deployments, reporter);
  return (ms) => reporter.drain(ms);
}

/** The clients given, and the others made here (`own`: destroyed by close). */
function portClients(options: AwsPlatformOptions): { clients: AwsPortClients; own: { destroy(): void }[] } {
  const { client, own } = givenOrMade<AwsPortClients>(options.clients);
  const region = options.region;
  const clients = {
    dynamodb: client('dynamodb', () => new DynamoDBClient({ region })),
    s3: client('s3', () => new S3Client({ region })),
    sqs: client('sqs', () => new SQSClient({ region })),
    lambda: client('lambda', () => new LambdaClient({ region })),
    codebuild: client('codebuild', () => new CodeBuildClient({ region })),
    logs: client('logs', () => new CloudWatchLogsClient({ region })),
    ssm: client('ssm', () => new SSMClient({ region })),
    kvs: client('kvs', () => keyValueStoreClient()),
    cloudformation: client('cloudformation', () => new CloudFormationClient({ region })),
  };
  return { clients, own };
}

/** GitHub's webhooks API, loaded on first use (most handlers never add a project). */
function lazyRepoHooks(options: Pick<AwsPlatformOptions, 'githubToken' | 'githubApiUrl'>): RepoHooks {
  return {
    ensurePushHook: async (input) => {
      const [{ Octokit }, { OctokitRepoHooks }] = await Promise.all([import('@octokit/rest'), import('../github/octokit-repo-hooks.js')]);
      const octokit = new Octokit({ auth: options.githubToken, ...(options.githubApiUrl ? { baseUrl: options.githubApiUrl } : {}), log: { debug() {}, info() {}, warn() {}, error() {} } });
      return new OctokitRepoHooks({ octokit }).ensurePushHook(input);
    },
  };
}

function requireOutputs(outputs: Record<string, string>): Record<(typeof REQUIRED_OUTPUTS)[number], string> {
  const missing = REQUIRED_OUTPUTS.filter((key) => !outputs[key]);
  if (missing.length > 0) {
    throw new AnchorError({
      code: 'PLATFORM_OUTPUTS_MISSING',
      kind: 'usage',
      message: `The aws platform's saved stack outputs lack ${missing.join(', ')}.`,
      hint: 'Run "anchor init --aws" again to update the platform and save its outputs.',
    });
  }
  return outputs as Record<(typeof REQUIRED_OUTPUTS)[number], string>;
}

/** One output of a project stack (its KeyValueStore, its distribution). */
export async function projectOutput(cloudformation: CloudFormationClient, stack: string, key: string): Promise<string> {
  const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stack }));
  const value = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  if (!value) {
    throw new AnchorError({ code: 'PROJECT_STACK_OUTPUT_MISSING', kind: 'external', message: `The project stack ${stack} has no output ${key}.`, hint: 'Run "anchor projects add" again for this project to update its stack.' });
  }
  return value;
}
