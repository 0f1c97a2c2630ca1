import { buildspec, BUILD_OVERRIDES } from './buildspec.js';
import { allow, getAtt, logGroup, ref, serviceRole, sub, type CfnValue, type PolicyStatement, type Resource } from './cfn.js';
import { buildLogGroupName, platformFunctionName, type HandlerName } from '../../src/adapters/aws/resource-names.js';
import { BUILD_QUEUE_VISIBILITY_SECONDS } from './platform-storage.js';

/**
 * Builds run on ARM (Graviton) by default, the CPU of the project functions: native modules in
 * the server bundle and sharp are then built for the CPU they run on. ARM is also the cheaper
 * side of both (CodeBuild arm1.small and Lambda arm64 cost less per minute / GB-second than
 * their x86 counterparts).
 */
export const DEFAULT_BUILD_IMAGE = 'aws/codebuild/amazonlinux-aarch64-standard:3.0';

/** The CPU a CodeBuild image runs on (CodeBuild's ARM images are the aarch64 ones). */
export const buildImageArch = (image: string): 'arm64' | 'x64' => (image.includes('aarch64') ? 'arm64' : 'x64');

export interface PipelineInput {
  stage: string;
  handlerBucket: CfnValue;
  handlerKeys: Record<HandlerName, string>;
  logRetentionDays: number;
  handlerArchitecture: 'arm64' | 'x86_64';
  buildImage: string;
  buildComputeType: string;
  nodeVersion: number;
}

/**
 * The environment every platform handler gets. infra/handlers/env.ts reads exactly these names.
 * Only names and non-secret identifiers: handlers fetch secrets from SSM themselves.
 */
export const HANDLER_ENV = {
  ANCHOR_STAGE: 'stage',
  ANCHOR_PROJECTS_TABLE: 'ProjectsTable',
  ANCHOR_DEPLOYMENTS_TABLE: 'DeploymentsTable',
  ANCHOR_ENV_VARS_TABLE: 'EnvVarsTable',
  ANCHOR_DELIVERIES_TABLE: 'DeliveriesTable',
  ANCHOR_ARTIFACTS_BUCKET: 'ArtifactsBucket',
  ANCHOR_ASSETS_BUCKET: 'AssetsBucket',
  ANCHOR_CACHE_BUCKET: 'CacheBucket',
  ANCHOR_BUILD_QUEUE_URL: 'BuildQueue',
  ANCHOR_BUILD_PROJECT: 'BuildProject',
  ANCHOR_BUILD_LOG_GROUP: 'BuildLogGroup',
  ANCHOR_DOMAINS_TABLE: 'DomainsTable',
  /** The platform's URL: GitHub deployment statuses link to the dashboard under it. */
  ANCHOR_PLATFORM_URL: 'WebhookApi',
  ANCHOR_ACCESS_TABLE: 'AccessTable',
} as const;

/** One JSON line per webhook request (HTTP API access log variables; a request's headers are not among them). */
export const WEBHOOK_ACCESS_LOG = {
  requestId: '$context.requestId',
  time: '$context.requestTime',
  path: '$context.path',
  status: '$context.status',
  bytes: '$context.dataProcessed',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
} as const;

export const arn = (service: string, resource: string, global = false): CfnValue =>
  sub(`arn:\${AWS::Partition}:${service}:${global ? '' : '${AWS::Region}'}:\${AWS::AccountId}:${resource}`);

export const tableArns = (...ids: string[]): CfnValue[] => ids.flatMap((id) => [getAtt(id, 'Arn'), sub(`\${${id}.Arn}/index/*`)]);
export const writeLogs = (logGroupId: string): PolicyStatement => allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [sub(`\${${logGroupId}.Arn}`)], 'WriteOwnLogs');
/** Writing a deployment's own lines (pipeline steps, deploy phase) into the build log group, beside CodeBuild's. */
const writeDeploymentLogs = (): PolicyStatement => allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [sub('${BuildLogGroup.Arn}')], 'WriteDeploymentLogs');
/**
 * SecureString parameters use the account's aws/ssm key: KMS is reached only through SSM
 * (kms:ViaService), never directly, so these grants open nothing outside Parameter Store.
 */
const kmsThroughSsm = (actions: string[]): PolicyStatement => ({
  ...allow(actions, [arn('kms', 'key/*')], 'KmsThroughSsm'),
  Condition: { StringEquals: { 'kms:ViaService': sub('ssm.${AWS::Region}.amazonaws.com') } },
});
const TABLE_RW = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem'];

export function handlerFunction(input: PipelineInput, name: HandlerName, roleId: string, logGroupId: string, sizing: { memory: number; timeout: number; tmp?: number }): Resource {
  return {
    Type: 'AWS::Lambda::Function',
    Properties: {
      FunctionName: platformFunctionName(input.stage, name),
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Architectures: [input.handlerArchitecture],
      Code: { S3Bucket: input.handlerBucket, S3Key: input.handlerKeys[name] },
      Role: getAtt(roleId, 'Arn'),
      MemorySize: sizing.memory,
      Timeout: sizing.timeout,
      ...(sizing.tmp ? { EphemeralStorage: { Size: sizing.tmp } } : {}),
      LoggingConfig: { LogGroup: ref(logGroupId), LogFormat: 'JSON' },
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          ...Object.fromEntries(Object.entries(HANDLER_ENV).map(([key, id]) => [key, id === 'stage' ? input.stage : id === 'WebhookApi' ? getAtt('WebhookApi', 'ApiEndpoint') : ref(id)])),
        },
      },
    },
  };
}

// size-check: data (CloudFormation resources)
export function pipelineResources(input: PipelineInput): Record<string, Resource> {
  const { stage } = input;
  const projectVersions = ['server', 'image'].map((kind) => arn('lambda', `function:anchor-${stage}-*-${kind}:*`));
  const projectFunctions = [...['server', 'image'].map((kind) => arn('lambda', `function:anchor-${stage}-*-${kind}`)), ...projectVersions];
  const secretParams = arn('ssm', `parameter/anchor/${stage}/*/env/*`);
  // SsmSecretBox: every sealed value (webhook secrets, secret env vars) lives here; the handlers open them.
  const openSealedSecrets = allow(['ssm:GetParameter'], [arn('ssm', `parameter/anchor/${stage}/secrets/*`)], 'OpenSealedSecrets');
  // Projects' GitHub tokens (SsmRepoTokens): a build's clone needs to know one exists, GitHub reports need it.
  const readGitHubTokens = allow(['ssm:GetParameter'], [arn('ssm', `parameter/anchor/${stage}/*/github-token`)], 'ReadGitHubTokens');
  const fn = (name: HandlerName) => `${name[0]!.toUpperCase()}${name.slice(1)}`;
  const logGroups = Object.fromEntries((['webhook', 'orchestrator', 'deploy'] as const).map((n) => [`${fn(n)}LogGroup`, logGroup(`/aws/lambda/${platformFunctionName(stage, n)}`, input.logRetentionDays)]));

  return {
    ...logGroups,
    BuildLogGroup: logGroup(buildLogGroupName(stage), input.logRetentionDays),

    // The build runs code from the repository: it gets the least. It may write build artifacts
    // (builds/…, the orchestrator narrows this further per project with the project stack's build
    // role) and read project secrets, and nothing in Lambda, DynamoDB, SQS or the other buckets.
    BuildRole: serviceRole({
      service: 'codebuild.amazonaws.com',
      roleName: `anchor-${stage}-build`,
      policies: {
        build: [
          writeLogs('BuildLogGroup'),
          allow(['s3:PutObject'], [sub('${ArtifactsBucket.Arn}/builds/*')], 'WriteBuildArtifacts'),
          allow(['ssm:GetParameters'], [secretParams], 'ReadProjectSecrets'),
        ],
      },
    }),
    BuildProject: {
      Type: 'AWS::CodeBuild::Project',
      Properties: {
        Name: `anchor-${stage}-build`,
        Description: 'Builds a Next.js app with OpenNext for anchor; started by the orchestrator.',
        ServiceRole: getAtt('BuildRole', 'Arn'),
        Source: { Type: 'NO_SOURCE', BuildSpec: buildspec({ nodeVersion: input.nodeVersion, functionArch: buildImageArch(input.buildImage) }) },
        Artifacts: { Type: 'NO_ARTIFACTS' },
        // The buildspec's cache paths go to S3; every build names its project's own folder
        // (StartBuild cacheOverride, build-cache/<project>), which only that project's build role
        // may read and write. This default folder is used by no build.
        Cache: { Type: 'S3', Location: sub('${ArtifactsBucket}/build-cache/_unused') },
        Environment: {
          Type: buildImageArch(input.buildImage) === 'arm64' ? 'ARM_CONTAINER' : 'LINUX_CONTAINER',
          ComputeType: input.buildComputeType,
          Image: input.buildImage,
          ImagePullCredentialsType: 'CODEBUILD',
          EnvironmentVariables: [
            { Name: 'ARTIFACTS_BUCKET', Type: 'PLAINTEXT', Value: ref('ArtifactsBucket') },
            ...BUILD_OVERRIDES.map((name) => ({ Name: name, Type: 'PLAINTEXT', Value: '' })),
          ],
        },
        TimeoutInMinutes: BUILD_QUEUE_VISIBILITY_SECONDS / 60,
        QueuedTimeoutInMinutes: 60,
        LogsConfig: { CloudWatchLogs: { Status: 'ENABLED', GroupName: ref('BuildLogGroup') } },
      },
    },

    WebhookRole: serviceRole({
      service: 'lambda.amazonaws.com',
      policies: {
        webhook: [
          writeLogs('WebhookLogGroup'),
          allow(TABLE_RW, tableArns('ProjectsTable', 'DeploymentsTable', 'DeliveriesTable'), 'Tables'),
          allow(['sqs:SendMessage'], [getAtt('BuildQueue', 'Arn')], 'Enqueue'),
          writeDeploymentLogs(),
          openSealedSecrets,
          readGitHubTokens,
          kmsThroughSsm(['kms:Decrypt']),
        ],
      },
    }),
    WebhookFunction: handlerFunction(input, 'webhook', 'WebhookRole', 'WebhookLogGroup', { memory: 512, timeout: 10 }),
    WebhookApi: {
      Type: 'AWS::ApiGatewayV2::Api',
      Properties: { Name: `anchor-${stage}-webhooks`, ProtocolType: 'HTTP', Description: 'GitHub webhooks for anchor projects.' },
    },
    WebhookIntegration: {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: { ApiId: ref('WebhookApi'), IntegrationType: 'AWS_PROXY', IntegrationUri: getAtt('WebhookFunction', 'Arn'), PayloadFormatVersion: '2.0', TimeoutInMillis: 10_000 },
    },
    WebhookRoute: {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: { ApiId: ref('WebhookApi'), RouteKey: 'POST /webhook/{projectId}', Target: sub('integrations/${WebhookIntegration}') },
    },
    WebhookAccessLogGroup: logGroup(`/anchor/${stage}/webhook-access`, input.logRetentionDays),
    WebhookStage: {
      Type: 'AWS::ApiGatewayV2::Stage',
      Properties: {
        ApiId: ref('WebhookApi'),
        StageName: '$default',
        AutoDeploy: true,
        // A delivery the function never sees (a push over Lambda's 6 MB invoke payload: API Gateway
        // answers 413/500 itself) still leaves a line here, naming the project and Lambda's error.
        AccessLogSettings: { DestinationArn: getAtt('WebhookAccessLogGroup', 'Arn'), Format: JSON.stringify(WEBHOOK_ACCESS_LOG) },
        // GitHub sends a handful of deliveries per push; this only stops a flood.
        DefaultRouteSettings: { ThrottlingBurstLimit: 50, ThrottlingRateLimit: 20 },
      },
    },
    WebhookInvokePermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        FunctionName: ref('WebhookFunction'),
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: sub('arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebhookApi}/*/POST/webhook/*'),
      },
    },

    OrchestratorRole: serviceRole({
      service: 'lambda.amazonaws.com',
      policies: {
        orchestrator: [
          writeLogs('OrchestratorLogGroup'),
          allow(TABLE_RW, tableArns('ProjectsTable', 'DeploymentsTable', 'EnvVarsTable'), 'Tables'),
          allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'], [getAtt('BuildQueue', 'Arn')], 'ConsumeBuildQueue'),
          // BatchGetBuilds / ListBuildsForProject: a retried job finds the build its earlier try started instead of starting another.
          allow(['codebuild:StartBuild', 'codebuild:StopBuild', 'codebuild:BatchGetBuilds', 'codebuild:ListBuildsForProject'], [getAtt('BuildProject', 'Arn')], 'RunBuilds'),
          writeDeploymentLogs(),
          openSealedSecrets,
          readGitHubTokens,
          // CodeBuildBuilder hands build secrets to CodeBuild as PARAMETER_STORE references it writes here first.
          allow(['ssm:PutParameter'], [secretParams], 'WriteBuildSecrets'),
          kmsThroughSsm(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']),
          // StartBuild's serviceRoleOverride: each project's build role (project stack) sees only its own secrets and prefix.
          { ...allow(['iam:PassRole'], [arn('iam', `role/anchor-${stage}-*-build`, true)], 'PassProjectBuildRoles'), Condition: { StringEquals: { 'iam:PassedToService': 'codebuild.amazonaws.com' } } },
        ],
      },
    }),
    OrchestratorFunction: handlerFunction(input, 'orchestrator', 'OrchestratorRole', 'OrchestratorLogGroup', { memory: 512, timeout: 300 }),
    OrchestratorQueueMapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        FunctionName: ref('OrchestratorFunction'),
        EventSourceArn: getAtt('BuildQueue', 'Arn'),
        BatchSize: 5,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      },
    },

    // The only role that may change functions and aliases, and only the project ones.
    DeployRole: serviceRole({
      service: 'lambda.amazonaws.com',
      policies: {
        deploy: [
          writeLogs('DeployLogGroup'),
          allow(TABLE_RW, tableArns('ProjectsTable', 'DeploymentsTable', 'EnvVarsTable'), 'Tables'),
          // Read to deploy (Lambda fetches UpdateFunctionCode's zip with the caller's rights), delete for retention.
          allow(['s3:GetObject', 's3:DeleteObject'], [sub('${ArtifactsBucket.Arn}/builds/*')], 'ReadAndExpireArtifacts'),
          // Without ListBucket, S3 answers 403 (not 404) for a missing key, and retention could not tell
          // "gone" from "forbidden". Not narrowed by s3:prefix: S3's check for that answer is not a
          // ListObjects request and carries no prefix, and the bucket holds only builds/ anyway.
          allow(['s3:ListBucket'], [getAtt('ArtifactsBucket', 'Arn')], 'ListArtifacts'),
          allow(['s3:PutObject', 's3:GetObject', 's3:ListBucket', 's3:DeleteObject', 's3:AbortMultipartUpload'], [getAtt('AssetsBucket', 'Arn'), sub('${AssetsBucket.Arn}/*'), getAtt('CacheBucket', 'Arn'), sub('${CacheBucket.Arn}/*')], 'PublishAssetsAndCache'),
          allow(['lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:PublishVersion', 'lambda:UpdateAlias', 'lambda:GetAlias', 'lambda:GetFunction', 'lambda:GetFunctionConfiguration', 'lambda:InvokeFunction', 'lambda:ListVersionsByFunction'], projectFunctions, 'ChangeProjectFunctions'),
          // Retention removes old versions; only qualified ARNs, so a whole function can never be deleted here.
          allow(['lambda:DeleteFunction'], projectVersions, 'DeleteOldVersions'),
          // The ISR consumer runs the live build's revalidation code (LambdaFunctionHost.activate); its code only.
          allow(['lambda:UpdateFunctionCode'], [arn('lambda', `function:anchor-${stage}-*-revalidation`)], 'SwitchRevalidationCode'),
          // The build's tag cache seed (dynamo-tag-seed.ts): conditional puts into each project's tag table.
          allow(['dynamodb:PutItem'], [arn('dynamodb', `table/anchor-${stage}-*-tags`)], 'SeedTagCache'),
          allow(['cloudfront-keyvaluestore:DescribeKeyValueStore', 'cloudfront-keyvaluestore:GetKey', 'cloudfront-keyvaluestore:PutKey'], [arn('cloudfront', 'key-value-store/*', true)], 'PointAssetPrefix'),
          // The reconciler settles a build whose end event was lost from its record, and stops the build of a deployment it gives up on.
          allow(['codebuild:BatchGetBuilds', 'codebuild:ListBuildsForProject', 'codebuild:StopBuild'], [getAtt('BuildProject', 'Arn')], 'ReadBuildResult'),
          allow(['dynamodb:Scan'], [getAtt('ProjectsTable', 'Arn')], 'ListProjects'),
          // SendMessage: Lambda sends the OnFailure record with the function's own role; the reconciler drains the queue.
          allow(['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage'], [getAtt('DeployFailureQueue', 'Arn')], 'DeployFailures'),
          // The project stack's outputs name its KeyValueStore (S3StaticHost.activate).
          allow(['cloudformation:DescribeStacks'], [arn('cloudformation', `stack/anchor-${stage}-project-*/*`)], 'ReadProjectStacks'),
          writeDeploymentLogs(),
          openSealedSecrets,
          // The stage's origin secret and, during a rotation, the previous one (origin-secret.ts): each version's guard accepts them.
          allow(['ssm:GetParameter'], [arn('ssm', `parameter/anchor/${stage}/origin-secret`), arn('ssm', `parameter/anchor/${stage}/origin-secret-previous`)], 'ReadOriginSecret'),
          readGitHubTokens,
          kmsThroughSsm(['kms:Decrypt']),
          allow(['sqs:SendMessage'], [getAtt('BuildQueue', 'Arn')], 'Requeue'),
        ],
      },
    }),
    DeployFunction: handlerFunction(input, 'deploy', 'DeployRole', 'DeployLogGroup', { memory: 1769, timeout: 900, tmp: 4096 }),
    BuildStateRule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Description: 'An anchor build checked out its commit, or ended: hand it to the deploy function.',
        State: 'ENABLED',
        EventPattern: {
          source: ['aws.codebuild'],
          $or: [
            { 'detail-type': ['CodeBuild Build State Change'], detail: { 'project-name': [ref('BuildProject')], 'build-status': ['SUCCEEDED', 'FAILED', 'STOPPED'] } },
            // Only now do older builds of the project stop (core supersede.ts).
            { 'detail-type': ['CodeBuild Build Phase Change'], detail: { 'project-name': [ref('BuildProject')], 'completed-phase': ['PRE_BUILD'], 'completed-phase-status': ['SUCCEEDED'] } },
          ],
        },
        Targets: [{ Id: 'deploy', Arn: getAtt('DeployFunction', 'Arn') }],
      },
    },
    DeployInvokePermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: { FunctionName: ref('DeployFunction'), Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: getAtt('BuildStateRule', 'Arn') },
    },
    ...reconcilerResources(stage),
  };
}

/** How often the reconciler runs (in the deploy function): settles what a lost event or a dead invocation left. */
export const RECONCILE_SCHEDULE = 'rate(10 minutes)';

/**
 * Stuck deployments (issue #11 item 10). EventBridge invokes the deploy function asynchronously:
 * after Lambda's two retries the event goes to the OnFailure queue, which the reconciler drains on
 * its schedule (no poller in between: an empty queue and a rule cost nothing). The same run
 * settles deployments in building/built/deploying past the build timeout from BatchGetBuilds.
 */
function reconcilerResources(stage: string): Record<string, Resource> {
  return {
    DeployFailureQueue: {
      Type: 'AWS::SQS::Queue',
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
      // Named after the build queue so a handler derives its URL from BuildQueueUrl.
      Properties: { QueueName: `anchor-${stage}-builds-failed-deploys`, MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true },
    },
    DeployEventInvokeConfig: {
      Type: 'AWS::Lambda::EventInvokeConfig',
      Properties: {
        FunctionName: ref('DeployFunction'),
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 21_600,
        DestinationConfig: { OnFailure: { Destination: getAtt('DeployFailureQueue', 'Arn') } },
      },
    },
    ...scheduledInvocation('Reconcile', 'reconcile', 'DeployFunction', RECONCILE_SCHEDULE, 'Settle anchor deployments whose build end was lost or whose deploy died.'),
  };
}

/** An EventBridge rule `<name>Schedule` that invokes a function on a schedule, and the permission it needs. */
export function scheduledInvocation(name: string, targetId: string, functionId: string, schedule: string, description: string): Record<string, Resource> {
  return {
    [`${name}Schedule`]: {
      Type: 'AWS::Events::Rule',
      Properties: { Description: description, ScheduleExpression: schedule, State: 'ENABLED', Targets: [{ Id: targetId, Arn: getAtt(functionId, 'Arn') }] },
    },
    [`${name}InvokePermission`]: {
      Type: 'AWS::Lambda::Permission',
      Properties: { FunctionName: ref(functionId), Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', SourceArn: getAtt(`${name}Schedule`, 'Arn') },
    },
  };
}
