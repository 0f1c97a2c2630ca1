import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CfnValue, PolicyStatement, Template } from '../../infra/stack/cfn.js';
import { projectTemplate } from '../../infra/stack/project-template.js';
import { LambdaFunctionHost } from '../../src/adapters/aws/lambda-function-host.js';
import { revalidationQueueName, tagTableName } from '../../src/adapters/aws/resource-names.js';
import { sampleBuild } from '../e2e/sample-build.js';
import { FakeLambda } from '../fakes/aws-lambda.js';

/**
 * ISR on AWS, from the template to the bundle: the tag table, the revalidation queue and its
 * consumer exist and are wired; the server function's variables that OpenNext's AWS overrides
 * read in the built sample app (templates/sample-app with anchor's default config) are all set by
 * the function host, and name resources the server role may use.
 */
const platform = { artifactsBucket: 'anchor-dev-artifacts', assetsBucket: 'anchor-dev-assets', cacheBucket: 'anchor-dev-cache' };
const template = projectTemplate({ stage: 'dev', project: 'shop', platform });
const props = (t: Template, id: string): Record<string, CfnValue> => t.Resources[id]?.Properties ?? {};
const statements = (role: string): PolicyStatement[] => ((props(template, role)['Policies'] as { PolicyDocument: { Statement: PolicyStatement[] } }[]) ?? []).flatMap((p) => p.PolicyDocument.Statement);
const grants = (role: string, action: string, resource: CfnValue): boolean =>
  statements(role).some((s) => [s.Action].flat().includes(action) && [s.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(resource)));

describe('ISR resources in the project stack', () => {
  it('keeps tags in an on-demand DynamoDB table with the keys OpenNext’s dynamodb overrides use', () => {
    expect(props(template, 'TagTable')).toMatchObject({
      TableName: tagTableName('dev', 'shop'),
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'tag', KeyType: 'HASH' },
        { AttributeName: 'path', KeyType: 'RANGE' },
      ],
    });
    // Nothing with provisioned capacity or a fixed monthly price.
    expect(JSON.stringify(template)).not.toMatch(/ProvisionedThroughput|ReservedConcurrentExecutions|ProvisionedConcurrency/);
  });

  it('feeds a FIFO revalidation queue to the consumer function, with a FIFO dead-letter queue after a few tries', () => {
    expect(props(template, 'RevalidationQueue')).toMatchObject({ QueueName: revalidationQueueName('dev', 'shop'), FifoQueue: true, RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['RevalidationDeadLetterQueue', 'Arn'] }, maxReceiveCount: 3 } });
    expect(props(template, 'RevalidationDeadLetterQueue')).toMatchObject({ FifoQueue: true });
    expect(String(props(template, 'RevalidationDeadLetterQueue')['QueueName'])).toMatch(/\.fifo$/);
    expect(props(template, 'RevalidationEventSource')).toMatchObject({ EventSourceArn: { 'Fn::GetAtt': ['RevalidationQueue', 'Arn'] }, FunctionName: { Ref: 'RevalidationFunction' } });
    // The visibility timeout outlasts the consumer, or a message in work would be handed out twice.
    expect(Number(props(template, 'RevalidationQueue')['VisibilityTimeout'])).toBeGreaterThanOrEqual(Number(props(template, 'RevalidationFunction')['Timeout']));
    // The consumer may take from its queue, and nothing else of the project.
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) expect(grants('RevalidationRole', action, { 'Fn::GetAtt': ['RevalidationQueue', 'Arn'] }), action).toBe(true);
    expect(JSON.stringify(statements('RevalidationRole'))).not.toMatch(/dynamodb|s3:/);
  });

  it('lets the server, and only the server, use the tag table and send to the queue', () => {
    for (const action of ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query']) expect(grants('ServerRole', action, { 'Fn::GetAtt': ['TagTable', 'Arn'] }), action).toBe(true);
    expect(grants('ServerRole', 'sqs:SendMessage', { 'Fn::GetAtt': ['RevalidationQueue', 'Arn'] })).toBe(true);
    expect(JSON.stringify(statements('ImageRole'))).not.toMatch(/TagTable|RevalidationQueue/);
  });
});

/** `process.env` names read in each OpenNext override module of a bundled open-next.config.mjs (esbuild marks each module with its path). */
function envReadsByOverride(bundle: string): Map<string, Set<string>> {
  const reads = new Map<string, Set<string>>();
  const sections = bundle.split(/^\/\/ (node_modules\/@opennextjs\/aws\/dist\/[^\n]+)$/m);
  for (let i = 1; i < sections.length; i += 2) {
    const module = sections[i]!;
    if (!module.includes('/overrides/')) continue;
    const names = new Set<string>();
    const code = sections[i + 1] ?? '';
    for (const m of code.matchAll(/process\.env\.([A-Z0-9_]+)/g)) names.add(m[1]!);
    for (const m of code.matchAll(/\{([\sA-Z0-9_,]+)\}\s*=\s*process\.env/g)) for (const name of m[1]!.split(',')) if (name.trim()) names.add(name.trim());
    reads.set(module, names);
  }
  return reads;
}

/** Set by Lambda itself, by OpenNext's handler before an override runs, or read with a default when unset. */
const LAMBDA_SETS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION'];
const OPENNEXT_SETS = ['OPEN_NEXT_BUILD_ID'];
const TUNING_WITH_DEFAULTS = ['AWS_SDK_S3_MAX_ATTEMPTS', 'DYNAMO_BATCH_WRITE_COMMAND_CONCURRENCY'];

describe('the environment contract with the built bundle', () => {
  it('sets every variable the AWS overrides of the server bundle read, naming resources the server role may use', { timeout: 600_000 }, async () => {
    const { openNextDir } = await sampleBuild();
    const bundle = readFileSync(join(openNextDir, 'server-functions/default/open-next.config.mjs'), 'utf8');
    expect(readFileSync(join(openNextDir, 'server-functions/default/index.mjs'), 'utf8')).toContain('process.env.OPEN_NEXT_BUILD_ID=');
    const reads = envReadsByOverride(bundle);
    // The overrides anchor's config picks on AWS are in the bundle.
    for (const used of ['incrementalCache/s3-lite.js', 'tagCache/dynamodb-nextMode.js', 'queue/sqs-lite.js']) expect([...reads.keys()].some((m) => m.endsWith(used)), used).toBe(true);
    const needed = new Set([...reads].filter(([module]) => /(incrementalCache\/s3-lite|tagCache\/dynamodb|queue\/sqs)/.test(module)).flatMap(([, names]) => [...names]));
    expect(needed).toContain('CACHE_DYNAMO_TABLE');
    expect(needed).toContain('REVALIDATION_QUEUE_URL');

    const lambda = new FakeLambda({ functions: ['anchor-dev-shop-server', 'anchor-dev-shop-image'] });
    const host = new LambdaFunctionHost({ lambda: lambda.client, stage: 'dev', region: 'ap-southeast-1', cacheBucket: platform.cacheBucket, assetsBucket: platform.assetsBucket, artifactsBucket: platform.artifactsBucket, buildQueueUrl: 'https://sqs.ap-southeast-1.amazonaws.com/111122223333/anchor-dev-build', originSecrets: async () => ['0123456789abcdef0123456789abcdef'], sleep: async () => {} });
    await host.publish({ projectName: 'shop', deploymentId: 'd_1', artifact: { deploymentId: 'd_1', location: 's3://anchor-dev-artifacts/builds/shop/d_1/open-next.zip', bytes: 1 }, env: {} });
    const env = lambda.functions.get('anchor-dev-shop-server')!.config.env;
    const unset = [...needed].filter((name) => !(name in env) && ![...LAMBDA_SETS, ...OPENNEXT_SETS, ...TUNING_WITH_DEFAULTS].includes(name));
    expect(unset, 'read by an AWS override, set by nobody').toEqual([]);

    // What the variables name is what the stack creates and the server role may use.
    expect(env['CACHE_DYNAMO_TABLE']).toBe(props(template, 'TagTable')['TableName']);
    expect(env['REVALIDATION_QUEUE_URL']).toBe(`https://sqs.ap-southeast-1.amazonaws.com/111122223333/${String(props(template, 'RevalidationQueue')['QueueName'])}`);
    expect(env['REVALIDATION_QUEUE_REGION']).toBe('ap-southeast-1');
    expect(env['CACHE_BUCKET_REGION']).toBe('ap-southeast-1');
    expect(grants('ServerRole', 'dynamodb:BatchGetItem', { 'Fn::GetAtt': ['TagTable', 'Arn'] })).toBe(true);
    expect(grants('ServerRole', 'sqs:SendMessage', { 'Fn::GetAtt': ['RevalidationQueue', 'Arn'] })).toBe(true);
    const serverEnv = ((props(template, 'ServerFunction')['Environment'] as { Variables: Record<string, CfnValue> }).Variables);
    expect(Object.keys(serverEnv)).toEqual(expect.arrayContaining(['CACHE_DYNAMO_TABLE', 'REVALIDATION_QUEUE_URL', 'REVALIDATION_QUEUE_REGION']));
  });
});

