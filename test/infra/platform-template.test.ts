import { afterAll, describe, expect, it } from 'vitest';
import { platformTemplate, PLATFORM_OUTPUTS } from '../../infra/stack/platform-template.js';
import { TemplateValidator, describeDiagnostics } from '../../infra/stack/validate-template.js';
import type { CfnValue, PolicyStatement, Resource, Template } from '../../infra/stack/cfn.js';
import { AnchorError } from '../../src/core/errors.js';

const template = platformTemplate({
  stage: 'dev',
  handlerBucket: 'anchor-bootstrap-111122223333-ap-southeast-1',
  handlerKeys: { webhook: 'handlers/abc/webhook.zip', orchestrator: 'handlers/abc/orchestrator.zip', deploy: 'handlers/abc/deploy.zip', domains: 'handlers/abc/domains.zip', api: 'handlers/abc/api.zip' },
});

const validator = new TemplateValidator();
afterAll(() => validator.free());

const ofType = (t: Template, type: string): [string, Resource][] => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const props = (t: Template, id: string): Record<string, CfnValue> => {
  const resource = t.Resources[id];
  if (!resource?.Properties) throw new Error(`no resource ${id}`);
  return resource.Properties;
};
const statementsOf = (role: Resource): PolicyStatement[] =>
  (role.Properties?.['Policies'] as { PolicyDocument: { Statement: PolicyStatement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
const actionsOf = (role: Resource): string[] => statementsOf(role).flatMap((s) => s.Action.map((a) => a.toLowerCase()));

/** An action that could change a Lambda function, its code, versions, aliases or permissions. */
function couldWriteLambda(action: string): boolean {
  if (action === '*') return true;
  const [service, verb = ''] = action.split(':');
  if (service !== 'lambda') return false;
  return verb.includes('*') || /^(update|publish|create|delete|put|add|remove|tag|untag)/.test(verb);
}

describe('platform template', () => {
  it('passes AWS’s offline validator with no errors and no warnings', () => {
    const report = validator.validate(template, { name: 'platform.json' });
    expect(report.errors, describeDiagnostics(report.errors)).toEqual([]);
    expect(report.warnings, describeDiagnostics(report.warnings)).toEqual([]);
  }, 180_000);

  it('is caught by the validator when a property is wrong (the check is not vacuous)', () => {
    const broken = structuredClone(template);
    (broken.Resources['BuildQueue']!.Properties as Record<string, CfnValue>)['VisibilityTimeout'] = 999_999;
    delete (broken.Resources['ProjectsTable']!.Properties as Record<string, CfnValue>)['KeySchema'];
    const report = validator.validate(broken, { name: 'broken.json' });
    expect(report.errors.map((d) => d.entity?.logicalId).sort()).toEqual(['BuildQueue', 'ProjectsTable']);
  }, 180_000);

  it('dead-letters a build job after 3 receives, with a visibility of 1800 s', () => {
    const queue = props(template, 'BuildQueue');
    expect(queue['VisibilityTimeout']).toBe(1800);
    expect(queue['RedrivePolicy']).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['BuildDeadLetterQueue', 'Arn'] }, maxReceiveCount: 3 });
    expect(template.Resources['BuildDeadLetterQueue']?.Type).toBe('AWS::SQS::Queue');
    // The build may run as long as the job is invisible, no longer.
    expect(props(template, 'BuildProject')['TimeoutInMinutes']).toBe(30);
  });

  it('bills every table on demand and expires webhook deliveries by TTL', () => {
    const tables = ofType(template, 'AWS::DynamoDB::Table');
    expect(tables.map(([id]) => id).sort()).toEqual(['AccessTable', 'DeliveriesTable', 'DeploymentsTable', 'DomainsTable', 'EnvVarsTable', 'ProjectsTable']);
    for (const [, table] of tables) expect(table.Properties?.['BillingMode']).toBe('PAY_PER_REQUEST');
    expect(props(template, 'DeliveriesTable')['TimeToLiveSpecification']).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(props(template, 'DeploymentsTable')['GlobalSecondaryIndexes']).toEqual([
      { IndexName: 'byProject', KeySchema: [{ AttributeName: 'projectId', KeyType: 'HASH' }, { AttributeName: 'sequence', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
    ]);
  });

  it('never expires an object by age (retention decides what goes; a kept rollback target keeps its artifact), only unfinished uploads', () => {
    for (const id of ['ArtifactsBucket', 'AssetsBucket', 'CacheBucket']) {
      const rules = (props(template, id)['LifecycleConfiguration'] as { Rules: Record<string, CfnValue>[] }).Rules;
      expect(rules.filter((r) => 'ExpirationInDays' in r || 'ExpirationDate' in r || 'NoncurrentVersionExpiration' in r), id).toEqual([]);
      expect(rules, id).toContainEqual(expect.objectContaining({ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }));
    }
  });

  it('blocks public access and encrypts every bucket, and refuses plain HTTP', () => {
    const buckets = ofType(template, 'AWS::S3::Bucket');
    expect(buckets.map(([id]) => id).sort()).toEqual(['ArtifactsBucket', 'AssetsBucket', 'CacheBucket']);
    for (const [id, bucket] of buckets) {
      expect(bucket.Properties?.['PublicAccessBlockConfiguration'], id).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      const sse = (bucket.Properties?.['BucketEncryption'] as { ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { SSEAlgorithm: string } }[] }).ServerSideEncryptionConfiguration;
      expect(['AES256', 'aws:kms']).toContain(sse[0]?.ServerSideEncryptionByDefault.SSEAlgorithm);
      const policy = ofType(template, 'AWS::S3::BucketPolicy').find(([, p]) => JSON.stringify(p.Properties?.['Bucket']) === JSON.stringify({ Ref: id }));
      expect(JSON.stringify(policy?.[1]), id).toContain('aws:SecureTransport');
    }
  });

  it('gives the build role no Lambda write action and no wildcard action', () => {
    const role = template.Resources['BuildRole']!;
    const actions = actionsOf(role);
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) {
      expect(couldWriteLambda(action), action).toBe(false);
      expect(action.includes('*'), action).toBe(false);
    }
    expect(statementsOf(role).every((s) => s.Effect === 'Allow')).toBe(true);
    // It writes build artifacts only, and reads only project env secrets of this stage.
    const puts = statementsOf(role).filter((s) => s.Action.includes('s3:PutObject'));
    expect(puts.map((s) => s.Resource)).toEqual([[{ 'Fn::Sub': '${ArtifactsBucket.Arn}/builds/*' }]]);
    const ssm = statementsOf(role).filter((s) => s.Action.some((a) => a.startsWith('ssm:')));
    expect(JSON.stringify(ssm.map((s) => s.Resource))).toContain('parameter/anchor/dev/*/env/*');
  });

  it('lets only the deploy role change functions and aliases, and only the project functions', () => {
    const writers = ofType(template, 'AWS::IAM::Role').filter(([, role]) => actionsOf(role).some(couldWriteLambda)).map(([id]) => id);
    expect(writers).toEqual(['DeployRole']);
    const deployStatements = statementsOf(template.Resources['DeployRole']!).filter((s) => s.Action.some((a) => couldWriteLambda(a.toLowerCase())));
    const resources = JSON.stringify(deployStatements.map((s) => s.Resource));
    expect(resources).toContain('function:anchor-dev-*-server');
    expect(resources).not.toContain('function:anchor-dev-webhook');
    expect(resources).not.toMatch(/"\*"/);
  });

  it('runs every handler on nodejs22.x with a log group that has a retention', () => {
    const functions = ofType(template, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(5);
    for (const [id, fn] of functions) {
      expect(fn.Properties?.['Runtime'], id).toBe('nodejs22.x');
      const logGroupId = ((fn.Properties?.['LoggingConfig'] as { LogGroup: { Ref: string } }).LogGroup).Ref;
      expect(template.Resources[logGroupId]?.Properties?.['RetentionInDays'], id).toBe(30);
    }
    for (const [id, group] of ofType(template, 'AWS::Logs::LogGroup')) expect(group.Properties?.['RetentionInDays'], id).toBeGreaterThan(0);
  });

  it('wires the pipeline: webhook route, queue → orchestrator with partial batch failures, build end → deploy', () => {
    expect(props(template, 'WebhookRoute')['RouteKey']).toBe('POST /webhook/{projectId}');
    expect(props(template, 'WebhookIntegration')['PayloadFormatVersion']).toBe('2.0');
    const mapping = props(template, 'OrchestratorQueueMapping');
    expect(mapping['FunctionResponseTypes']).toEqual(['ReportBatchItemFailures']);
    expect(mapping['EventSourceArn']).toEqual({ 'Fn::GetAtt': ['BuildQueue', 'Arn'] });
    const pattern = props(template, 'BuildStateRule')['EventPattern'] as { $or: Array<Record<string, CfnValue>> };
    // A build's end, and its checkout (only then do older builds of the project stop).
    expect(pattern.$or.map((p) => p['detail-type'])).toEqual([['CodeBuild Build State Change'], ['CodeBuild Build Phase Change']]);
    for (const p of pattern.$or) expect(p['detail']).toMatchObject({ 'project-name': [{ Ref: 'BuildProject' }] });
    expect(pattern.$or[1]?.['detail']).toMatchObject({ 'completed-phase': ['PRE_BUILD'], 'completed-phase-status': ['SUCCEEDED'] });
    expect(props(template, 'BuildProject')['Environment']).toMatchObject({ ComputeType: 'BUILD_GENERAL1_SMALL' });
  });

  it('outputs every name the CLI needs', () => {
    expect(Object.keys(template.Outputs).sort()).toEqual(Object.keys(PLATFORM_OUTPUTS).sort());
    expect(template.Outputs['WebhookApiUrl']?.Value).toEqual({ 'Fn::GetAtt': ['WebhookApi', 'ApiEndpoint'] });
  });

  it('is plain JSON: serialising it loses nothing', () => {
    expect(JSON.parse(JSON.stringify(template))).toEqual(template);
  });

  it('refuses a stage that cannot be part of AWS names, saying what to use', () => {
    const attempt = () => platformTemplate({ stage: 'Prod_1', handlerBucket: 'b', handlerKeys: { webhook: 'w', orchestrator: 'o', deploy: 'd', domains: 'm', api: 'a' } });
    expect(attempt).toThrow(AnchorError);
    expect(attempt).toThrow(/Stage "Prod_1" is not valid/);
  });
});
