import { describe, expect, it } from 'vitest';
import type { CfnValue, PolicyStatement, Template } from '../../infra/stack/cfn.js';
import { platformTemplate } from '../../infra/stack/platform-template.js';
import { projectTemplate } from '../../infra/stack/project-template.js';

/**
 * Each platform role against the SDK calls its handler's adapters make (src/adapters/aws/*),
 * evaluated the way IAM would: the template's resources resolved to ARNs of a made-up account,
 * actions and resources matched with IAM wildcards, conditions checked against the request.
 * A call missing here is an AccessDenied on the first real deploy, which no emulator shows.
 */

const REGION = 'ap-southeast-1';
const ACCOUNT = '111122223333';
const STAGE = 'dev';
const template = platformTemplate({
  stage: STAGE,
  handlerBucket: 'anchor-bootstrap',
  handlerKeys: { webhook: 'handlers/w.zip', orchestrator: 'handlers/o.zip', deploy: 'handlers/d.zip', domains: 'handlers/m.zip', api: 'handlers/a.zip' },
});

/** The name or ARN CloudFormation would give a resource of the platform stack. */
function physical(t: Template, id: string, attribute: 'Ref' | 'Arn'): string {
  const resource = t.Resources[id];
  if (!resource) throw new Error(`no resource ${id}`);
  const p = resource.Properties ?? {};
  const name = String(p['TableName'] ?? p['QueueName'] ?? p['LogGroupName'] ?? p['Name'] ?? p['BucketName'] ?? id.toLowerCase());
  if (attribute === 'Ref') return name;
  switch (resource.Type) {
    case 'AWS::DynamoDB::Table':
      return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${name}`;
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`;
    case 'AWS::CodeBuild::Project':
      return `arn:aws:codebuild:${REGION}:${ACCOUNT}:project/${name}`;
    default:
      throw new Error(`no ARN for ${resource.Type}`);
  }
}

function resolve(t: Template, value: CfnValue): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if ('Ref' in value) return physical(t, value.Ref as string, 'Ref');
    if ('Fn::GetAtt' in value) return physical(t, (value['Fn::GetAtt'] as [string, string])[0], 'Arn');
    if ('Fn::Sub' in value && typeof value['Fn::Sub'] === 'string') {
      return value['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (name === 'AWS::Partition') return 'aws';
        if (name === 'AWS::Region') return REGION;
        if (name === 'AWS::AccountId') return ACCOUNT;
        if (name === 'AWS::URLSuffix') return 'amazonaws.com';
        const [id, attribute] = name.split('.');
        return physical(t, id!, attribute === 'Arn' ? 'Arn' : 'Ref');
      });
    }
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

const wildcard = (pattern: string, flags = '') => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, flags);

interface Call {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

function allows(t: Template, statements: PolicyStatement[], call: Call): boolean {
  return statements.some((s) => {
    if (s.Effect !== 'Allow') return false;
    if (!s.Action.some((a) => wildcard(a, 'i').test(call.action))) return false;
    const resources = (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map((r) => resolve(t, r));
    if (!resources.some((r) => wildcard(r).test(call.resource))) return false;
    for (const [operator, entries] of Object.entries(s.Condition ?? {})) {
      for (const [key, expected] of Object.entries(entries)) {
        const actual = call.context?.[key];
        if (actual === undefined) return false;
        const values = (Array.isArray(expected) ? expected : [expected]).map((v) => resolve(t, v));
        const match = operator === 'StringEquals' ? values.includes(actual) : operator === 'StringLike' ? values.some((v) => wildcard(v).test(actual)) : false;
        if (!match) return false;
      }
    }
    return true;
  });
}

const statementsOf = (t: Template, roleId: string): PolicyStatement[] =>
  (t.Resources[roleId]?.Properties?.['Policies'] as { PolicyDocument: { Statement: PolicyStatement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);

// Resources the calls touch (names from the template, ids made up).
const table = (id: string) => physical(template, id, 'Arn');
const tableIndex = (id: string, index: string) => `${table(id)}/index/${index}`;
const object = (bucketId: string, key: string) => `${physical(template, bucketId, 'Arn')}/${key}`;
const bucket = (bucketId: string) => physical(template, bucketId, 'Arn');
const buildLogStream = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical(template, 'BuildLogGroup', 'Ref')}:log-stream:d_01/anchor`;
const sealedSecret = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/anchor/${STAGE}/secrets/0f6e1bd2-4a5b-4c1d-9e8f-0123456789ab`;
const buildSecret = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/anchor/${STAGE}/shop/env/STRIPE_KEY`;
const ssmKey = { resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, context: { 'kms:ViaService': `ssm.${REGION}.amazonaws.com` } };
const fn = (kind: 'server' | 'image', qualifier?: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:anchor-${STAGE}-shop-${kind}${qualifier ? `:${qualifier}` : ''}`;
const projectStack = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/anchor-${STAGE}-project-shop/5b9a3e40-0000-11ef-9e8f-0a1b2c3d4e5f`;
const kvs = `arn:aws:cloudfront::${ACCOUNT}:key-value-store/0f6e1bd2-4a5b-4c1d-9e8f-0123456789ab`;

const logLines: Call[] = [
  { action: 'logs:CreateLogStream', resource: buildLogStream },
  { action: 'logs:PutLogEvents', resource: buildLogStream },
];
const openSealed: Call[] = [
  { action: 'ssm:GetParameter', resource: sealedSecret },
  { action: 'kms:Decrypt', ...ssmKey },
];
const deploymentsRw = (verbs: string[]): Call[] => verbs.map((v) => ({ action: `dynamodb:${v}`, resource: table('DeploymentsTable') }));

const certificate = `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/0f6e1bd2-4a5b-4c1d-9e8f-0123456789ab`;
const stageTagged = { 'aws:ResourceTag/anchor:stage': STAGE };
const distribution = `arn:aws:cloudfront::${ACCOUNT}:distribution/E1SHOPEXAMPLE`;
const hostedZone = 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ';

/** Per role: the calls its handler makes, adapter by adapter. */
const CALLS: Record<'WebhookRole' | 'OrchestratorRole' | 'DeployRole' | 'DomainsRole', Record<string, Call[]>> = {
  WebhookRole: {
    'DynamoProjects.getById': [{ action: 'dynamodb:Query', resource: tableIndex('ProjectsTable', 'byId') }],
    DynamoDeliveries: [
      { action: 'dynamodb:GetItem', resource: table('DeliveriesTable') },
      { action: 'dynamodb:PutItem', resource: table('DeliveriesTable') },
    ],
    DynamoDeployments: [...deploymentsRw(['GetItem', 'PutItem', 'UpdateItem']), { action: 'dynamodb:Query', resource: tableIndex('DeploymentsTable', 'byProject') }],
    'SqsJobQueue.send': [{ action: 'sqs:SendMessage', resource: physical(template, 'BuildQueue', 'Arn') }],
    'SsmSecretBox.open (webhook secret)': openSealed,
    'CloudWatchBuildLogs.append (queued line)': logLines,
  },
  OrchestratorRole: {
    'DynamoProjects.getById': [{ action: 'dynamodb:Query', resource: tableIndex('ProjectsTable', 'byId') }, { action: 'dynamodb:GetItem', resource: table('ProjectsTable') }],
    DynamoDeployments: [...deploymentsRw(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']), { action: 'dynamodb:Query', resource: tableIndex('DeploymentsTable', 'byProject') }],
    'DynamoEnvVars.list': [{ action: 'dynamodb:Query', resource: table('EnvVarsTable') }],
    'SsmSecretBox.open (build secrets)': openSealed,
    'CodeBuildBuilder.start': [
      { action: 'ssm:PutParameter', resource: buildSecret },
      { action: 'kms:Encrypt', ...ssmKey },
      { action: 'kms:GenerateDataKey', ...ssmKey },
      { action: 'codebuild:StartBuild', resource: physical(template, 'BuildProject', 'Arn') },
      { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/anchor-${STAGE}-shop-build`, context: { 'iam:PassedToService': 'codebuild.amazonaws.com' } },
    ],
    'CodeBuildBuilder.stop': [{ action: 'codebuild:StopBuild', resource: physical(template, 'BuildProject', 'Arn') }],
    'CloudWatchBuildLogs.append': logLines,
    'SQS event source mapping': ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'].map((v) => ({ action: `sqs:${v}`, resource: physical(template, 'BuildQueue', 'Arn') })),
  },
  DeployRole: {
    'DynamoProjects.getById': [{ action: 'dynamodb:Query', resource: tableIndex('ProjectsTable', 'byId') }],
    DynamoDeployments: [...deploymentsRw(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem']), { action: 'dynamodb:Query', resource: tableIndex('DeploymentsTable', 'byProject') }],
    'DynamoEnvVars.list': [{ action: 'dynamodb:Query', resource: table('EnvVarsTable') }],
    'SsmSecretBox.open (runtime secrets)': openSealed,
    'acceptedOriginSecrets (the guard’s values)': [
      { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/anchor/${STAGE}/origin-secret` },
      { action: 'ssm:GetParameter', resource: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/anchor/${STAGE}/origin-secret-previous` },
      { action: 'kms:Decrypt', ...ssmKey },
    ],
    'S3Artifacts (head, ranged reads, retention)': [
      { action: 's3:GetObject', resource: object('ArtifactsBucket', 'builds/shop/d_01/open-next.zip') },
      { action: 's3:GetObject', resource: object('ArtifactsBucket', 'builds/shop/d_01/server.zip') },
      { action: 's3:DeleteObject', resource: object('ArtifactsBucket', 'builds/shop/d_00/open-next.zip') },
    ],
    'S3StaticHost.publish': [
      { action: 's3:ListBucket', resource: bucket('AssetsBucket') },
      { action: 's3:PutObject', resource: object('AssetsBucket', 'shop/d_01/_next/static/chunks/main.js') },
      { action: 's3:AbortMultipartUpload', resource: object('AssetsBucket', 'shop/d_01/video.mp4') },
      { action: 's3:PutObject', resource: object('CacheBucket', 'shop/build-1/index.cache') },
      { action: 's3:PutObject', resource: object('AssetsBucket', 'shop/d_01/.anchor/own-static.json') },
      { action: 'dynamodb:PutItem', resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/anchor-${STAGE}-shop-tags` },
    ],
    'S3StaticHost.activate': [
      { action: 'cloudformation:DescribeStacks', resource: projectStack },
      { action: 'cloudfront-keyvaluestore:GetKey', resource: kvs },
      // The outgoing deployment's own static files, copied into the incoming one's prefix (CopyObject: read the source, write the copy).
      { action: 's3:GetObject', resource: object('AssetsBucket', 'shop/d_00/.anchor/own-static.json') },
      { action: 's3:GetObject', resource: object('AssetsBucket', 'shop/d_00/_next/static/chunks/page-aaaa11.js') },
      { action: 's3:PutObject', resource: object('AssetsBucket', 'shop/d_01/_next/static/chunks/page-aaaa11.js') },
      { action: 'cloudfront-keyvaluestore:DescribeKeyValueStore', resource: kvs },
      { action: 'cloudfront-keyvaluestore:PutKey', resource: kvs },
    ],
    LambdaFunctionHost: [
      ...['UpdateFunctionCode', 'UpdateFunctionConfiguration', 'GetFunctionConfiguration', 'PublishVersion', 'ListVersionsByFunction', 'GetAlias', 'UpdateAlias'].flatMap((v) => [
        { action: `lambda:${v}`, resource: fn('server') },
        { action: `lambda:${v}`, resource: fn('image') },
      ]),
      { action: 'lambda:UpdateFunctionCode', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:anchor-${STAGE}-shop-revalidation` },
      { action: 's3:GetObject', resource: object('ArtifactsBucket', 'builds/shop/d_01/revalidation.zip') },
      { action: 'lambda:InvokeFunction', resource: fn('server', '7') },
      { action: 'lambda:InvokeFunction', resource: fn('image', '7') },
    ],
    'CloudWatchBuildLogs.append (deploy phase)': logLines,
  },
  DomainsRole: {
    'DynamoProjects.list': [{ action: 'dynamodb:Scan', resource: table('ProjectsTable') }],
    DynamoDomains: ['GetItem', 'PutItem', 'DeleteItem', 'Scan'].map((v) => ({ action: `dynamodb:${v}`, resource: table('DomainsTable') })),
    'AcmCertificates.ensure': [
      { action: 'acm:RequestCertificate', resource: '*', context: { 'aws:RequestTag/anchor:stage': STAGE } },
      { action: 'acm:AddTagsToCertificate', resource: certificate, context: { 'aws:RequestTag/anchor:stage': STAGE } },
      { action: 'acm:DescribeCertificate', resource: certificate, context: stageTagged },
      { action: 'acm:DeleteCertificate', resource: certificate, context: stageTagged },
    ],
    CloudFrontDomainRouting: ['GetDistribution', 'GetDistributionConfig', 'UpdateDistribution', 'ListConflictingAliases', 'AssociateAlias'].map((v) => ({ action: `cloudfront:${v}`, resource: distribution })),
    Route53DnsZone: [
      { action: 'route53:ListHostedZonesByName', resource: '*' },
      { action: 'route53:ListResourceRecordSets', resource: hostedZone },
      { action: 'route53:ChangeResourceRecordSets', resource: hostedZone },
    ],
    'distribution of a project (stack output)': [{ action: 'cloudformation:DescribeStacks', resource: projectStack }],
    logs: [{ action: 'logs:PutLogEvents', resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/anchor-${STAGE}-domains:*` }],
  },
};

describe('platform roles against the calls their adapters make', () => {
  for (const [role, byAdapter] of Object.entries(CALLS)) {
    it(`${role} allows every call its handler makes`, () => {
      const statements = statementsOf(template, role);
      const refused = Object.entries(byAdapter).flatMap(([adapter, calls]) => calls.filter((c) => !allows(template, statements, c)).map((c) => `${adapter}: ${c.action} on ${c.resource}`));
      expect(refused).toEqual([]);
    });
  }

  it('the evaluation is not vacuous: what a role should not do is refused', () => {
    const deny: [string, Call][] = [
      ['WebhookRole', { action: 'lambda:UpdateFunctionCode', resource: fn('server') }],
      ['WebhookRole', { action: 'ssm:GetParameter', resource: buildSecret }],
      ['OrchestratorRole', { action: 'ssm:PutParameter', resource: sealedSecret }],
      ['OrchestratorRole', { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/anchor-${STAGE}-shop-build`, context: { 'iam:PassedToService': 'lambda.amazonaws.com' } }],
      // KMS only through SSM, never called directly.
      ['DeployRole', { action: 'kms:Decrypt', resource: ssmKey.resource }],
      ['DeployRole', { action: 'kms:Decrypt', resource: ssmKey.resource, context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } }],
      ['DeployRole', { action: 'cloudformation:DescribeStacks', resource: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/anchor-${STAGE}/5b9a3e40` }],
      ['DeployRole', { action: 'lambda:UpdateFunctionCode', resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:anchor-${STAGE}-deploy` }],
      ['DeployRole', { action: 's3:PutObject', resource: object('ArtifactsBucket', 'builds/shop/d_01/open-next.zip') }],
      // Only this stage's certificates: another stage's (or anyone else's) cannot be deleted or requested untagged.
      ['DomainsRole', { action: 'acm:DeleteCertificate', resource: certificate, context: { 'aws:ResourceTag/anchor:stage': 'prod' } }],
      ['DomainsRole', { action: 'acm:DeleteCertificate', resource: certificate }],
      ['DomainsRole', { action: 'acm:RequestCertificate', resource: '*' }],
      ['DomainsRole', { action: 'lambda:UpdateFunctionCode', resource: fn('server') }],
      ['DomainsRole', { action: 'dynamodb:PutItem', resource: table('DeploymentsTable') }],
    ];
    for (const [role, call] of deny) expect(allows(template, statementsOf(template, role), call), `${role}: ${call.action} on ${call.resource}`).toBe(false);
  });

  it('a project\'s build role reads and writes its own CodeBuild cache and no other project\'s', () => {
    const project = projectTemplate({
      stage: STAGE,
      project: 'shop',
      platform: { artifactsBucket: 'anchor-dev-artifacts', assetsBucket: 'anchor-dev-assets', cacheBucket: 'anchor-dev-cache' },
    });
    const statements = statementsOf(project, 'BuildRole');
    const key = (path: string) => `arn:aws:s3:::anchor-dev-artifacts/${path}`;
    for (const action of ['s3:GetObject', 's3:PutObject']) {
      expect(allows(project, statements, { action, resource: key('build-cache/shop/abc/npm.zip') }), `${action} own cache`).toBe(true);
      expect(allows(project, statements, { action, resource: key('build-cache/other/abc/npm.zip') }), `${action} another project's cache`).toBe(false);
      expect(allows(project, statements, { action, resource: key('build-cache/shopping/abc/npm.zip') }), `${action} a project named like it`).toBe(false);
    }
  });

  it('a build role, platform or project, still allows no Lambda call at all', () => {
    const project = projectTemplate({
      stage: STAGE,
      project: 'shop',
      platform: { artifactsBucket: 'anchor-dev-artifacts', assetsBucket: 'anchor-dev-assets', cacheBucket: 'anchor-dev-cache' },
    });
    for (const [t, role] of [[template, 'BuildRole'], [project, 'BuildRole']] as const) {
      const statements = statementsOf(t, role);
      for (const verb of ['UpdateFunctionCode', 'UpdateFunctionConfiguration', 'PublishVersion', 'UpdateAlias', 'CreateFunction', 'DeleteFunction', 'AddPermission', 'InvokeFunction']) {
        expect(allows(t, statements, { action: `lambda:${verb}`, resource: fn('server') }), `${role}: lambda:${verb}`).toBe(false);
      }
    }
  });
});
