import { LOG_RETENTION_DAYS, getAtt, ref, type CfnValue, type Output, type Template } from './cfn.js';
import { assertStage } from '../../src/adapters/aws/resource-names.js';
import type { AssetReader } from './assets-policy.js';
import { domainResources } from './platform-domains.js';
import { apiResources } from './platform-api.js';
import { DEFAULT_BUILD_IMAGE, pipelineResources } from './platform-pipeline.js';
import type { HandlerName } from '../../src/adapters/aws/resource-names.js';
import { storageResources } from './platform-storage.js';
import { AnchorError } from '../../src/core/errors.js';

export interface PlatformTemplateInput {
  stage: string;
  /** The bootstrap bucket `anchor init` uploaded the handler zips to (`--print-template` passes a Fn::Sub of it). */
  handlerBucket: CfnValue;
  handlerKeys: Record<HandlerName, string>;
  /** CloudWatch Logs retention for every log group of the platform (default 30). */
  logRetentionDays?: number;
  /** Architecture of the platform's own handlers (default arm64: cheaper, and they are plain JS). */
  handlerArchitecture?: 'arm64' | 'x86_64';
  /**
   * CodeBuild image; it must provide the Node version below through runtime-versions, and run on
   * the CPU of the project functions (arm64 by default), since a build's native modules are for
   * the machine that built them.
   */
  buildImage?: string;
  /** CodeBuild compute type (default BUILD_GENERAL1_SMALL, 4 GB; larger apps need BUILD_GENERAL1_MEDIUM or LARGE). */
  buildComputeType?: string;
  nodeVersion?: number;
  /** The projects' distributions, each allowed to read its own assets prefix (the saved config's DistributionId outputs). */
  assetReaders?: readonly AssetReader[];
  /** The dashboard build in the bootstrap bucket (`dashboard/<sha256>/`) the API function serves; none: it says the dashboard is not uploaded. */
  dashboardPrefix?: string;
}

/** Outputs the CLI saves into the platform config: names only, so it can build the aws adapters. */
export const PLATFORM_OUTPUTS = {
  Stage: 'The stage this platform was created for',
  ProjectsTableName: 'DynamoDB table of projects',
  DeploymentsTableName: 'DynamoDB table of deployments, sequences and live pointers',
  EnvVarsTableName: 'DynamoDB table of environment variables',
  DeliveriesTableName: 'DynamoDB table of webhook delivery ids (TTL)',
  ArtifactsBucketName: 'S3 bucket of build artifacts (kept by core retention, no expiry by age)',
  AssetsBucketName: 'S3 bucket of static assets, served through CloudFront',
  CacheBucketName: 'S3 bucket of the ISR cache',
  BuildQueueUrl: 'SQS build queue',
  BuildDeadLetterQueueUrl: 'SQS dead-letter queue of builds that failed 3 times',
  BuildProjectName: 'CodeBuild project',
  BuildLogGroupName: 'CloudWatch Logs group of builds',
  WebhookApiUrl: 'Base URL of the webhook API; GitHub posts to <url>/webhook/<projectId>',
  WebhookFunctionName: 'Lambda webhook handler',
  OrchestratorFunctionName: 'Lambda build orchestrator',
  DeployFunctionName: 'Lambda deployer',
  DeployFailureQueueUrl: 'SQS queue of deploy events that failed for good (OnFailure), drained by the reconciler',
  DomainsTableName: 'DynamoDB table of custom domains and their certificates',
  AccessTableName: 'DynamoDB table of owners, API tokens (SHA-256 only), dashboard sessions and sign-in codes',
} as const;

export type PlatformOutputs = Record<keyof typeof PLATFORM_OUTPUTS, string>;

export function platformTemplate(input: PlatformTemplateInput): Template {
  assertStage(input.stage);
  const logRetentionDays = input.logRetentionDays ?? 30;
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    throw new AnchorError({
      code: 'LOG_RETENTION_INVALID',
      kind: 'usage',
      message: `${logRetentionDays} days is not a retention CloudWatch Logs accepts.`,
      hint: `Use one of ${LOG_RETENTION_DAYS.join(', ')}.`,
    });
  }
  const values: Record<keyof typeof PLATFORM_OUTPUTS, Output['Value']> = {
    Stage: input.stage,
    ProjectsTableName: ref('ProjectsTable'),
    DeploymentsTableName: ref('DeploymentsTable'),
    EnvVarsTableName: ref('EnvVarsTable'),
    DeliveriesTableName: ref('DeliveriesTable'),
    ArtifactsBucketName: ref('ArtifactsBucket'),
    AssetsBucketName: ref('AssetsBucket'),
    CacheBucketName: ref('CacheBucket'),
    BuildQueueUrl: ref('BuildQueue'),
    BuildDeadLetterQueueUrl: ref('BuildDeadLetterQueue'),
    BuildProjectName: ref('BuildProject'),
    BuildLogGroupName: ref('BuildLogGroup'),
    WebhookApiUrl: getAtt('WebhookApi', 'ApiEndpoint'),
    WebhookFunctionName: ref('WebhookFunction'),
    OrchestratorFunctionName: ref('OrchestratorFunction'),
    DeployFunctionName: ref('DeployFunction'),
    DeployFailureQueueUrl: ref('DeployFailureQueue'),
    DomainsTableName: ref('DomainsTable'),
    AccessTableName: ref('AccessTable'),
  };
  const pipeline = {
    stage: input.stage,
    handlerBucket: input.handlerBucket,
    handlerKeys: input.handlerKeys,
    logRetentionDays,
    handlerArchitecture: input.handlerArchitecture ?? 'arm64',
    buildImage: input.buildImage ?? DEFAULT_BUILD_IMAGE,
    buildComputeType: input.buildComputeType ?? 'BUILD_GENERAL1_SMALL',
    nodeVersion: input.nodeVersion ?? 22,
  } as const;
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `anchor platform (${input.stage}): state, build pipeline and webhook API`,
    Resources: {
      ...storageResources(input.stage, input.assetReaders ?? []),
      ...pipelineResources(pipeline),
      ...domainResources(pipeline),
      ...apiResources({ ...pipeline, dashboardPrefix: input.dashboardPrefix }),
    },
    Outputs: Object.fromEntries(Object.entries(PLATFORM_OUTPUTS).map(([key, description]) => [key, { Description: description, Value: values[key as keyof typeof PLATFORM_OUTPUTS] }])),
  };
}
