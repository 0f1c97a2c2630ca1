import { AnchorError } from '../../src/core/errors.js';
import { FUNCTION_TIMEOUT_SECONDS } from '../../src/core/function-limits.js';
import { LOG_RETENTION_DAYS, allow, domainOfUrl, getAtt, join, logGroup, ref, serviceRole, sub, type CfnValue, type Resource, type Template } from './cfn.js';
import { artifactFolder, buildCacheFolder, assertProjectFitsAws, assertStage, buildLogGroupName, githubTokenParameter, projectResourceName } from '../../src/adapters/aws/resource-names.js';
import { DEFAULT_BEHAVIOURS, MAX_BEHAVIOURS, sortBehaviours, type Behaviour, type Origin } from './project-behaviours.js';
import { edgeFunctionCode, placeholderCode } from './project-code.js';
import { FUNCTION_WRAPPER, invokeModeOf } from '../../src/core/opennext-output.js';
import { ORIGIN_SECRET_HEADER } from '../../src/core/origin-guard-wire.js';
import { isrResources, serverIsrStatements } from './project-isr.js';
import { DOMAIN_CONDITIONS, DOMAIN_PARAMETERS, distributionDomains } from './project-domains.js';

export interface ProjectTemplateInput {
  stage: string;
  project: string;
  /** Platform outputs the project's roles and origins refer to. */
  platform: { artifactsBucket: string; assetsBucket: string; cacheBucket: string };
  /** Must match the architecture sharp was installed for by OpenNext (arm64 unless configured otherwise). */
  architecture?: 'arm64' | 'x86_64';
  serverMemory?: number;
  imageMemory?: number;
  behaviours?: readonly Behaviour[];
  logRetentionDays?: number;
  priceClass?: 'PriceClass_100' | 'PriceClass_200' | 'PriceClass_All';
}

/** AWS-managed CloudFront policies (fixed ids, the same in every account). */
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';
/** Headers Next.js varies on (App Router RSC requests), so CloudFront never mixes a page with its RSC payload. */
const NEXT_CACHE_HEADERS = ['accept', 'rsc', 'next-router-prefetch', 'next-router-state-tree', 'next-url', 'x-prerender-revalidate'];
/** Set by the CloudFront Function to the live deployment: in the cache key, so each deploy or rollback is a fresh key. */
export const DEPLOYMENT_CACHE_HEADER = 'x-anchor-deployment';

export const PROJECT_OUTPUTS = {
  SiteUrl: 'https:// address of the site (CloudFront)',
  DistributionId: 'CloudFront distribution',
  ServerFunctionName: 'Lambda server function (alias live)',
  ImageFunctionName: 'Lambda image function (alias live)',
  ServerFunctionUrl: 'Server Function URL (answers only requests carrying CloudFront’s origin secret)',
  ImageFunctionUrl: 'Image Function URL (answers only requests carrying CloudFront’s origin secret)',
  KeyValueStoreArn: 'KeyValueStore holding the live asset prefix',
  BuildRoleArn: 'Role for this project’s builds (StartBuild serviceRoleOverride)',
} as const;

export type ProjectOutputs = Record<keyof typeof PROJECT_OUTPUTS, string>;

function checkInput(input: ProjectTemplateInput): void {
  assertStage(input.stage);
  assertProjectFitsAws(input.stage, input.project);
  const memory = input.serverMemory ?? 1024;
  if (!Number.isInteger(memory) || memory < 1024 || memory > 10_240) {
    throw new AnchorError({ code: 'SERVER_MEMORY_INVALID', kind: 'usage', message: `Server memory ${memory} MB is outside 1024–10240 MB.`, hint: 'Server-side rendering needs at least 1024 MB; pass a whole number of MB up to 10240.' });
  }
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(input.logRetentionDays ?? 30)) {
    throw new AnchorError({ code: 'LOG_RETENTION_INVALID', kind: 'usage', message: `${input.logRetentionDays} days is not a retention CloudWatch Logs accepts.`, hint: `Use one of ${LOG_RETENTION_DAYS.join(', ')}.` });
  }
  if ((input.behaviours ?? DEFAULT_BEHAVIOURS).length > MAX_BEHAVIOURS) {
    throw new AnchorError({ code: 'TOO_MANY_BEHAVIOURS', kind: 'usage', message: `The site needs ${input.behaviours?.length} CloudFront behaviours; a distribution allows ${MAX_BEHAVIOURS}.`, hint: 'Move public files into fewer top-level folders (each becomes one behaviour).' });
  }
}

function siteFunction(input: ProjectTemplateInput, kind: 'server' | 'image', memory: number, env: Record<string, CfnValue>): Record<string, Resource> {
  const Kind = kind === 'server' ? 'Server' : 'Image';
  const name = projectResourceName(input.stage, input.project, kind);
  return {
    [`${Kind}LogGroup`]: logGroup(`/aws/lambda/${name}`, input.logRetentionDays ?? 30),
    [`${Kind}Function`]: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: name,
        Description: `anchor ${input.project}: ${kind === 'server' ? 'server-side rendering' : 'image optimisation'}. Code is replaced by each deploy.`,
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Architectures: [input.architecture ?? 'arm64'],
        MemorySize: memory,
        Timeout: FUNCTION_TIMEOUT_SECONDS[kind],
        Role: getAtt(`${Kind}Role`, 'Arn'),
        Code: { ZipFile: placeholderCode(input.project, invokeModeOf(FUNCTION_WRAPPER[kind]) === 'RESPONSE_STREAM' ? 'stream' : 'buffered') },
        LoggingConfig: { LogGroup: ref(`${Kind}LogGroup`), LogFormat: 'JSON' },
        Environment: { Variables: env },
      },
    },
    [`${Kind}PlaceholderVersion`]: {
      Type: 'AWS::Lambda::Version',
      Properties: { FunctionName: ref(`${Kind}Function`), Description: 'Placeholder: no deployment yet' },
    },
    // Deploys move this alias with UpdateAlias, outside CloudFormation. A stack update passes the
    // current version back in (<Kind>LiveVersion) so it never moves the site back to the placeholder.
    [`${Kind}Alias`]: {
      Type: 'AWS::Lambda::Alias',
      Properties: {
        FunctionName: ref(`${Kind}Function`),
        Name: 'live',
        FunctionVersion: { 'Fn::If': [`Has${Kind}LiveVersion`, ref(`${Kind}LiveVersion`), getAtt(`${Kind}PlaceholderVersion`, 'Version')] },
      },
    },
    // AuthType NONE: origin access control cannot sign a browser's POST body and overwrites the
    // viewer's Authorization. CloudFront adds the project's origin secret instead, and the origin
    // guard in front of the app refuses any request without it (src/adapters/aws/origin-secret.ts).
    [`${Kind}Url`]: {
      Type: 'AWS::Lambda::Url',
      DependsOn: [`${Kind}Alias`],
      Properties: {
        TargetFunctionArn: ref(`${Kind}Function`),
        Qualifier: 'live',
        AuthType: 'NONE',
        // As the wrapper each function is built with answers (core/opennext-output.ts).
        InvokeMode: invokeModeOf(FUNCTION_WRAPPER[kind]),
      },
    },
    // A URL with AuthType NONE needs both statements (for URLs created since Oct 2025); they allow the URL only, never a direct Invoke.
    [`${Kind}UrlPermission`]: {
      Type: 'AWS::Lambda::Permission',
      Properties: { FunctionName: ref(`${Kind}Alias`), Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' },
    },
    [`${Kind}UrlInvokePermission`]: {
      Type: 'AWS::Lambda::Permission',
      Properties: { FunctionName: ref(`${Kind}Alias`), Action: 'lambda:InvokeFunction', Principal: '*', InvokedViaFunctionUrl: true },
    },
  };
}

function cacheBehaviour(origin: Origin, pattern?: string): Record<string, CfnValue> {
  const target = { server: 'server', image: 'image', assets: 'assets' }[origin];
  return {
    ...(pattern ? { PathPattern: pattern } : {}),
    TargetOriginId: target,
    ViewerProtocolPolicy: 'redirect-to-https',
    Compress: true,
    AllowedMethods: origin === 'server' ? ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'] : ['GET', 'HEAD', 'OPTIONS'],
    CachedMethods: ['GET', 'HEAD'],
    CachePolicyId: origin === 'assets' ? CACHING_OPTIMIZED : ref(origin === 'server' ? 'ServerCachePolicy' : 'ImageCachePolicy'),
    ...(origin === 'assets' ? {} : { OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER }),
    FunctionAssociations: [{ EventType: 'viewer-request', FunctionARN: getAtt('EdgeFunction', 'FunctionARN') }],
  };
}

function cachePolicy(name: string, ttl: { default: number }, headers: string[], cookies: 'all' | 'none'): Resource {
  return {
    Type: 'AWS::CloudFront::CachePolicy',
    Properties: {
      CachePolicyConfig: {
        Name: name,
        DefaultTTL: ttl.default,
        MinTTL: 0,
        MaxTTL: 31_536_000,
        ParametersInCacheKeyAndForwardedToOrigin: {
          EnableAcceptEncodingGzip: true,
          EnableAcceptEncodingBrotli: true,
          CookiesConfig: { CookieBehavior: cookies },
          HeadersConfig: { HeaderBehavior: 'whitelist', Headers: headers },
          QueryStringsConfig: { QueryStringBehavior: 'all' },
        },
      },
    },
  };
}

// size-check: data (the project's CloudFormation template)
export function projectTemplate(input: ProjectTemplateInput): Template {
  checkInput(input);
  const { stage, project, platform } = input;
  const name = (suffix: Parameters<typeof projectResourceName>[2]) => projectResourceName(stage, project, suffix);
  const behaviours = sortBehaviours(input.behaviours ?? DEFAULT_BEHAVIOURS);
  const code = edgeFunctionCode(project, behaviours);
  // No origin access control: CloudFront sends the origin secret (replacing any header of that name a viewer sent).
  const lambdaOrigin = (kind: 'server' | 'image') => ({
    Id: kind,
    DomainName: domainOfUrl(getAtt(`${kind === 'server' ? 'Server' : 'Image'}Url`, 'FunctionUrl')),
    OriginCustomHeaders: [{ HeaderName: ORIGIN_SECRET_HEADER, HeaderValue: ref('OriginSecret') }],
    CustomOriginConfig: { OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'], OriginReadTimeout: 30 },
  });

  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `anchor project ${project} (${stage}): site functions, CloudFront and the live asset pointer`,
    Parameters: {
      ServerLiveVersion: { Type: 'String', Default: '', AllowedPattern: '^[0-9]*$', Description: 'Version the live alias points at (empty: the placeholder)' },
      ImageLiveVersion: { Type: 'String', Default: '', AllowedPattern: '^[0-9]*$', Description: 'Version the live alias points at (empty: the placeholder)' },
      OriginSecret: { Type: 'String', NoEcho: true, AllowedPattern: '^[0-9a-f]{32}$', Description: 'The origin header CloudFront sends the functions (derived from the stage secret in SSM by projects add)' },
      ...DOMAIN_PARAMETERS,
    },
    Conditions: {
      HasServerLiveVersion: { 'Fn::Not': [{ 'Fn::Equals': [ref('ServerLiveVersion'), ''] }] },
      HasImageLiveVersion: { 'Fn::Not': [{ 'Fn::Equals': [ref('ImageLiveVersion'), ''] }] },
      ...DOMAIN_CONDITIONS,
    },
    Resources: {
      ServerRole: serviceRole({
        service: 'lambda.amazonaws.com',
        policies: {
          server: [
            allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [getAtt('ServerLogGroup', 'Arn')], 'WriteOwnLogs'),
            allow(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], [sub(`arn:\${AWS::Partition}:s3:::${platform.cacheBucket}/${project}/*`)], 'IsrCache'),
            { ...allow(['s3:ListBucket'], [sub(`arn:\${AWS::Partition}:s3:::${platform.cacheBucket}`)], 'ListIsrCache'), Condition: { StringLike: { 's3:prefix': `${project}/*` } } },
            ...serverIsrStatements(),
          ],
        },
      }),
      ImageRole: serviceRole({
        service: 'lambda.amazonaws.com',
        policies: {
          image: [
            allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [getAtt('ImageLogGroup', 'Arn')], 'WriteOwnLogs'),
            allow(['s3:GetObject'], [sub(`arn:\${AWS::Partition}:s3:::${platform.assetsBucket}/${project}/*`)], 'ReadOwnAssets'),
          ],
        },
      }),
      ...siteFunction(input, 'server', input.serverMemory ?? 1024, {
        CACHE_BUCKET_NAME: platform.cacheBucket,
        CACHE_BUCKET_KEY_PREFIX: `${project}/`,
        CACHE_BUCKET_REGION: ref('AWS::Region'),
        CACHE_DYNAMO_TABLE: ref('TagTable'),
        REVALIDATION_QUEUE_URL: ref('RevalidationQueue'),
        REVALIDATION_QUEUE_REGION: ref('AWS::Region'),
      }),
      ...isrResources({ stage, project, logRetentionDays: input.logRetentionDays ?? 30, architecture: input.architecture ?? 'arm64' }),
      ...siteFunction(input, 'image', input.imageMemory ?? 1536, {
        BUCKET_NAME: platform.assetsBucket,
        BUCKET_KEY_PREFIX: `${project}/`,
      }),

      // This project's builds: write only its own artifact prefix, read only its own secrets.
      BuildRole: serviceRole({
        service: 'codebuild.amazonaws.com',
        roleName: name('build'),
        policies: {
          build: [
            allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${buildLogGroupName(stage)}:*`)], 'WriteBuildLogs'),
            allow(['s3:PutObject'], [sub(`arn:\${AWS::Partition}:s3:::${platform.artifactsBucket}/${artifactFolder(project, '*')}`)], 'WriteOwnArtifacts'),
            // CodeBuild's cache of this project's builds (StartBuild's cacheOverride), and no other project's.
            allow(['s3:GetObject', 's3:PutObject'], [sub(`arn:\${AWS::Partition}:s3:::${platform.artifactsBucket}/${buildCacheFolder(project)}/*`)], 'OwnBuildCache'),
            allow(['s3:GetBucketLocation', 's3:GetBucketAcl'], [sub(`arn:\${AWS::Partition}:s3:::${platform.artifactsBucket}`)], 'FindBuildCacheBucket'),
            allow(['ssm:GetParameters'], [sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/anchor/${stage}/${project}/env/*`)], 'ReadOwnSecrets'),
            // Its GitHub token (a private repository's clone), and no other project's.
            allow(['ssm:GetParameters'], [sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${githubTokenParameter(stage, project)}`)], 'ReadOwnGitHubToken'),
          ],
        },
      }),

      LiveAssetStore: {
        Type: 'AWS::CloudFront::KeyValueStore',
        Properties: { Name: name('kvs'), Comment: `Live asset prefix of ${project}` },
      },
      EdgeFunction: {
        Type: 'AWS::CloudFront::Function',
        Properties: {
          Name: name('edge'),
          AutoPublish: true,
          // Fn::Join rather than Fn::Sub: the code must not have its `${…}` read as substitutions.
          FunctionCode: join('', [code.before, getAtt('LiveAssetStore', 'Id'), code.after]),
          FunctionConfig: {
            Comment: `anchor ${project}: live asset prefix and x-forwarded-host`,
            Runtime: 'cloudfront-js-2.0',
            KeyValueStoreAssociations: [{ KeyValueStoreARN: getAtt('LiveAssetStore', 'Arn') }],
          },
        },
      },
      AssetsOriginAccessControl: {
        Type: 'AWS::CloudFront::OriginAccessControl',
        Properties: { OriginAccessControlConfig: { Name: name('s3-oac'), OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' } },
      },
      // The viewer's Authorization reaches the server only through the cache policy (CloudFront
      // refuses it in an origin request policy), which also keeps visitors' answers apart.
      ServerCachePolicy: cachePolicy(name('server-cache'), { default: 0 }, [...NEXT_CACHE_HEADERS, DEPLOYMENT_CACHE_HEADER, 'authorization'], 'all'),
      ImageCachePolicy: cachePolicy(name('image-cache'), { default: 86_400 }, ['accept', DEPLOYMENT_CACHE_HEADER], 'none'),
      Distribution: {
        Type: 'AWS::CloudFront::Distribution',
        Properties: {
          DistributionConfig: {
            Enabled: true,
            Comment: `anchor ${stage} ${project}`,
            HttpVersion: 'http2and3',
            IPV6Enabled: true,
            PriceClass: input.priceClass ?? 'PriceClass_200',
            Origins: [
              lambdaOrigin('server'),
              lambdaOrigin('image'),
              {
                Id: 'assets',
                DomainName: sub(`${platform.assetsBucket}.s3.\${AWS::Region}.\${AWS::URLSuffix}`),
                OriginAccessControlId: getAtt('AssetsOriginAccessControl', 'Id'),
                S3OriginConfig: { OriginAccessIdentity: '' },
              },
            ],
            DefaultCacheBehavior: cacheBehaviour('server'),
            CacheBehaviors: behaviours.map((b) => cacheBehaviour(b.origin, b.pattern)),
            ...distributionDomains(),
          },
        },
      },
    },
    Outputs: Object.fromEntries(
      Object.entries({
        SiteUrl: sub('https://${Distribution.DomainName}'),
        DistributionId: ref('Distribution'),
        ServerFunctionName: ref('ServerFunction'),
        ImageFunctionName: ref('ImageFunction'),
        ServerFunctionUrl: getAtt('ServerUrl', 'FunctionUrl'),
        ImageFunctionUrl: getAtt('ImageUrl', 'FunctionUrl'),
        KeyValueStoreArn: getAtt('LiveAssetStore', 'Arn'),
        BuildRoleArn: getAtt('BuildRole', 'Arn'),
      } satisfies Record<keyof typeof PROJECT_OUTPUTS, CfnValue>).map(([key, value]) => [key, { Description: PROJECT_OUTPUTS[key as keyof typeof PROJECT_OUTPUTS], Value: value }]),
    ),
  };
}
