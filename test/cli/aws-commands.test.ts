import { randomUUID } from 'node:crypto';
import { buildSucceeded, uploadBuildOutput } from '../aws/build-uploads.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudFrontKeyValueStoreClient, PutKeyCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { LambdaClient, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { interceptLocalhostDns } from 'fauxqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeDeployHandler } from '../../infra/handlers/deploy.js';
import { makeOrchestratorHandler } from '../../infra/handlers/orchestrator.js';
import { artifactKey } from '../../src/adapters/aws/resource-names.js';
import { createAwsPorts, type AwsPlatform } from '../../src/adapters/aws/create-aws-ports.js';
import { createPlatformOutputs, S3RVER_CREDENTIALS, startDynamoDbLocal, startFauxqs, startS3rver, TEST_REGION, type Emulator } from '../aws/emulators.js';
import { livePrefix, mockCloudWatchLogs, mockKeyValueStore, mockLambda, mockSsm } from '../aws/sdk-mocks.js';
import { runCli, tempHome } from './run-cli.js';

/**
 * The operator commands on an aws platform, run in-process as a user runs them: the CLI makes its
 * own SDK clients from the region in platform.json. DynamoDB, SQS and S3 reach DynamoDB Local,
 * fauxqs and s3rver through AWS_ENDPOINT_URL_*; Lambda, CodeBuild, CloudWatch Logs, SSM, CloudFront
 * KVS and CloudFormation answer from the in-memory stand-ins of sdk-mocks.ts (every client of
 * those classes forwards to one stand-in, so the CLI and the handlers see the same state). The
 * pipeline between `deploy` and `live` runs through the real handler factories.
 */
const KVS_ARN = 'arn:aws:cloudfront::111122223333:key-value-store/7d1e0c4a-2b3c-4d5e-8f90-abcdefabcdef';
const SERVER = 'anchor-dev-shop-server';
const IMAGE = 'anchor-dev-shop-image';
const SITE = 'https://d111111abcdef8.cloudfront.net';
// s3rver accepts only its own key pair, and DynamoDB Local keeps one database per access key: one pair for all.
const CREDENTIALS = S3RVER_CREDENTIALS;

let dynamo: Emulator, sqs: Emulator, s3: Emulator;
let dynamoApi: DynamoDBClient, sqsApi: SQSClient, s3Api: S3Client;
let restoreDns: () => void = () => undefined;
const savedEnv: Record<string, string | undefined> = {};
const TEST_ENV: Record<string, string> = {
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  AWS_EC2_METADATA_DISABLED: 'true',
};

beforeAll(async () => {
  [dynamo, sqs, s3] = await Promise.all([startDynamoDbLocal(), startFauxqs(), startS3rver()]);
  Object.assign(TEST_ENV, { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ENDPOINT_URL_SQS: sqs.endpoint, AWS_ENDPOINT_URL_S3: s3.endpoint });
  for (const [key, value] of Object.entries(TEST_ENV)) {
    savedEnv[key] = process.env[key];
    process.env[key] = value;
  }
  // fauxqs names queues http://sqs.<region>.localhost:<port>/…, and the SQS client sends to the queue
  // URL's host when its endpoint came from the environment: *.localhost must reach loopback
  // (RFC 6761; systemd-resolved does it, plain glibc does not).
  restoreDns = interceptLocalhostDns();
  dynamoApi = new DynamoDBClient({ endpoint: dynamo.endpoint, region: TEST_REGION, credentials: CREDENTIALS });
  sqsApi = new SQSClient({ endpoint: sqs.endpoint, region: TEST_REGION, credentials: CREDENTIALS });
  s3Api = new S3Client({ endpoint: s3.endpoint, region: TEST_REGION, credentials: CREDENTIALS, forcePathStyle: true });
});

afterAll(async () => {
  restoreDns();
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  for (const c of [dynamoApi, sqsApi, s3Api]) c?.destroy();
  await Promise.all([dynamo?.stop(), sqs?.stop(), s3?.stop()]);
});

interface World {
  home: ReturnType<typeof tempHome>;
  outputs: Record<string, string>;
  /** The handlers' ports (the Lambda functions'), on the same emulators and stand-ins as the CLI. */
  handlers: AwsPlatform;
  lambda: ReturnType<typeof mockLambda>;
  kvs: ReturnType<typeof mockKeyValueStore>;
  logs: ReturnType<typeof mockCloudWatchLogs>;
  ssm: ReturnType<typeof mockSsm>;
}

let w: World;

/** Every client the CLI makes of this class sends to `target` (an aws-sdk-client-mock'ed instance). */
function forwardSends(clientClass: { prototype: { send: unknown } }, target: { send: unknown }): void {
  const send = target.send as (...args: unknown[]) => unknown;
  vi.spyOn(clientClass.prototype as { send: (...args: unknown[]) => unknown }, 'send').mockImplementation((...args: unknown[]) => send.apply(target, args));
}

beforeEach(async () => {
  const outputs = {
    ...(await createPlatformOutputs({ dynamo: dynamoApi, sqs: sqsApi, s3: s3Api })),
    WebhookApiUrl: 'https://a1b2c3d4e5.execute-api.ap-southeast-1.amazonaws.com',
  };
  const codebuild = new CodeBuildClient({ region: TEST_REGION, credentials: CREDENTIALS });
  mockClient(codebuild).on(StartBuildCommand).callsFake(() => ({ build: { id: `anchor-dev-build:${randomUUID()}` } }));
  const cloudformation = new CloudFormationClient({ region: TEST_REGION, credentials: CREDENTIALS });
  mockClient(cloudformation).on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'anchor-dev-project-shop', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'KeyValueStoreArn', OutputValue: KVS_ARN }] }] });
  const lambda = mockLambda({ functions: [SERVER, IMAGE] });
  const kvs = mockKeyValueStore(KVS_ARN);
  const logs = mockCloudWatchLogs();
  const ssm = mockSsm();
  // The stage's origin secret, as `anchor init --aws` leaves it.
  ssm.parameters.set('/anchor/dev/origin-secret', { value: 'ab'.repeat(32), type: 'SecureString' });
  forwardSends(CodeBuildClient, codebuild);
  forwardSends(CloudFormationClient, cloudformation);
  forwardSends(LambdaClient, lambda.client);
  forwardSends(CloudFrontKeyValueStoreClient, kvs.client);
  forwardSends(CloudWatchLogsClient, logs.client);
  forwardSends(SSMClient, ssm.client);

  const handlers = await createAwsPorts({
    region: TEST_REGION,
    stage: 'dev',
    outputs,
    clients: { dynamodb: dynamoApi, sqs: sqsApi, s3: s3Api, lambda: lambda.client, codebuild, kvs: kvs.client, cloudformation, logs: logs.client, ssm: ssm.client },
    logStream: { write: () => true },
  });
  const createdAt = new Date().toISOString();
  await handlers.ports.projects.create({
    id: 'p_shop',
    name: 'shop',
    repo: { kind: 'github', owner: 'acme', name: 'shop', url: 'https://github.com/acme/shop.git' },
    branch: 'main',
    root: '',
    webhookSecret: await handlers.ports.secrets.seal('webhook-secret-for-tests'),
    previousWebhookSecret: null,
    githubHookId: null,
    createdAt,
  });

  // The platform as `anchor init --aws` and `projects add` leave it in ANCHOR_HOME.
  const home = tempHome();
  const dir = join(home.dir, '.anchor', 'platforms', 'aws');
  mkdirSync(dir, { recursive: true });
  const config = { name: 'aws', backend: 'aws', dir, createdAt, updatedAt: createdAt, region: TEST_REGION, stage: 'dev', account: '111122223333', outputs, bootstrapBucket: 'anchor-bootstrap-111122223333-ap-southeast-1', projects: { shop: { SiteUrl: SITE, ServerFunctionName: SERVER, ImageFunctionName: IMAGE, KeyValueStoreArn: KVS_ARN } } };
  writeFileSync(join(dir, 'platform.json'), JSON.stringify(config));
  writeFileSync(join(home.dir, '.anchor', 'config.json'), JSON.stringify({ defaultPlatform: 'aws' }));
  w = { home, outputs, handlers, lambda, kvs, logs, ssm };
});

afterEach(async () => {
  vi.restoreAllMocks();
  await w?.handlers.close();
  w?.home.cleanup();
});

const cli = (...args: string[]) => runCli(args, { home: w.home.dir });

async function scan(table: string): Promise<Record<string, unknown>[]> {
  const { Items } = await dynamoApi.send(new ScanCommand({ TableName: table }));
  return (Items ?? []) as Record<string, unknown>[];
}

/** The messages on the build queue, as the SQS event source mapping hands them to the orchestrator. */
async function sqsBatch() {
  const { Messages } = await sqsApi.send(new ReceiveMessageCommand({ QueueUrl: w.outputs['BuildQueueUrl'], MaxNumberOfMessages: 10, VisibilityTimeout: 1800, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
  return { Records: (Messages ?? []).map((m) => ({ messageId: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body, attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount } })) };
}

/** `anchor deploy shop`, then the queue → orchestrator → CodeBuild → success event → deploy handler. */
async function deployThroughPipeline(sha: string): Promise<{ deploymentId: string; outcome: string }> {
  const queued = await cli('deploy', 'shop', '--json');
  expect(queued.code, queued.stderr).toBe(0);
  const deploymentId = queued.json<{ deploymentId: string }>().deploymentId;
  return { deploymentId, outcome: await runPipeline(await sqsBatch(), sha) };
}

/** The queued job through the orchestrator (the build starts), the build's uploads, and the deploy handler. */
async function runPipeline(batch: Awaited<ReturnType<typeof sqsBatch>>, sha: string): Promise<string> {
  const { ports } = w.handlers;
  expect(batch.Records).toHaveLength(1);
  const deploymentId = (JSON.parse(batch.Records[0]?.body ?? '{}') as { deploymentId: string }).deploymentId;
  expect(await makeOrchestratorHandler(ports)(batch)).toEqual({ batchItemFailures: [] });
  for (const r of batch.Records) await sqsApi.send(new DeleteMessageCommand({ QueueUrl: w.outputs['BuildQueueUrl'], ReceiptHandle: r.receiptHandle }));
  await uploadBuildOutput(s3Api, w.outputs['ArtifactsBucketName'] ?? '', 'shop', deploymentId, sha.slice(0, 7));
  const artifactLocation = (project: string, id: string) => `s3://${w.outputs['ArtifactsBucketName']}/${artifactKey(project, id)}`;
  const result = await makeDeployHandler(ports, { artifactLocation })(buildSucceeded(deploymentId, sha));
  return result.outcome;
}

describe('projects and env on an aws platform', () => {
  it('projects ls / show read the project from DynamoDB Local', async () => {
    const ls = await cli('projects', 'ls', '--json');
    expect(ls.code, ls.stderr).toBe(0);
    expect(JSON.stringify(ls.json())).toContain('"shop"');
    const show = await cli('projects', 'show', 'shop', '--json');
    expect(show.code, show.stderr).toBe(0);
    expect(show.json()).toMatchObject({ id: 'p_shop', name: 'shop' });
  });

  it('env set (plain and --secret), env ls and env pull: the secret is sealed in SSM and never shown or stored in plaintext', async () => {
    const plain = await cli('env', 'set', 'shop', 'NEXT_PUBLIC_API=https://api.example.com');
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('Set NEXT_PUBLIC_API');
    const secret = await cli('env', 'set', 'shop', 'DB_PASSWORD=hunter2-very-secret', '--secret', '--json');
    expect(secret.code, secret.stderr).toBe(0);
    expect(secret.json()).toMatchObject({ project: 'shop', key: 'DB_PASSWORD', secret: true, created: true });
    expect(secret.stdout).not.toContain('hunter2');

    // Sealed as an SSM SecureString under the stage's path; DynamoDB Local holds only its reference.
    const sealed = [...w.ssm.parameters.entries()].filter(([, p]) => p.value.includes('hunter2-very-secret'));
    expect(sealed).toHaveLength(1);
    expect(sealed[0]?.[0]).toMatch(/^\/anchor\/dev\/secrets\//);
    expect(sealed[0]?.[1].type).toBe('SecureString');
    const items = await scan(w.outputs['EnvVarsTableName']!);
    expect(items).toHaveLength(2);
    expect(JSON.stringify(items)).not.toContain('hunter2');
    expect(JSON.stringify(items)).toContain('https://api.example.com');

    const ls = await cli('env', 'ls', 'shop');
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(/DB_PASSWORD\s+\S+\s+secret/);
    expect(ls.stdout).toMatch(/NEXT_PUBLIC_API\s+https:\/\/api\.example\.com\s+plain/);
    expect(ls.stdout + ls.stderr).not.toContain('hunter2');
    const lsJson = await cli('env', 'ls', 'shop', '--json');
    expect(lsJson.json()).toMatchObject([
      { key: 'DB_PASSWORD', value: null, secret: true },
      { key: 'NEXT_PUBLIC_API', value: 'https://api.example.com', secret: false },
    ]);
    expect(lsJson.stdout).not.toContain('hunter2');

    writeFileSync(join(w.home.dir, '.env.local'), 'LOCAL_ONLY=1\n');
    const pull = await cli('env', 'pull', 'shop', '--json');
    expect(pull.code, pull.stderr).toBe(0);
    expect(pull.json()).toMatchObject({ added: ['NEXT_PUBLIC_API'], keptLocal: ['LOCAL_ONLY'], secretsNotPulled: ['DB_PASSWORD'] });
    const file = readFileSync(join(w.home.dir, '.env.local'), 'utf8');
    expect(file).toContain('NEXT_PUBLIC_API=https://api.example.com');
    expect(file).toContain('LOCAL_ONLY=1');
    expect(file).not.toContain('hunter2');
  });
});

describe('deploy, deployments, logs and rollback on an aws platform', () => {
  it('deploy queues a deployment in DynamoDB Local and a build job on the fauxqs queue', async () => {
    const result = await cli('deploy', 'shop');
    expect(result.code, result.stderr).toBe(0);
    const id = /Queued (d_[0-9a-z]+) \(main\)/.exec(result.stdout)?.[1];
    expect(id).toBeDefined();
    expect(result.stdout).toContain(`anchor logs ${id} --follow`);
    const items = await scan(w.outputs['DeploymentsTableName']!);
    expect(items.map((i) => [(i['id'] as { S: string } | undefined)?.S, (i['state'] as { S: string } | undefined)?.S])).toContainEqual([id, 'queued']);
    const batch = await sqsBatch();
    expect(batch.Records.map((r) => JSON.parse(r.body ?? '{}'))).toEqual([{ deploymentId: id, projectId: 'p_shop' }]);
  });

  it('a deploy driven to live: deployments ls/show tell it with its phases, logs prints the CloudWatch lines, logs --follow exits 0', async () => {
    const { deploymentId, outcome } = await deployThroughPipeline('a1b2c3d4e5f60718293a4b5c6d7e8f9012345678');
    expect(outcome).toBe('live');

    const ls = await cli('deployments', 'ls', 'shop', '--json');
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.json()).toMatchObject({ live: deploymentId, deployments: [{ id: deploymentId, state: 'live' }] });
    const show = await cli('deployments', 'show', deploymentId, '--json');
    expect(show.code, show.stderr).toBe(0);
    const shown = show.json<{ state: string; isLive: boolean; commitSha: string; trigger: { kind: string }; phases: { phase: string; ms: number | null }[]; lastLines: string[] }>();
    expect(shown).toMatchObject({ state: 'live', isLive: true, commitSha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', trigger: { kind: 'manual' } });
    expect(shown.phases.map((p) => p.phase)).toEqual(['queued', 'building', 'built', 'deploying', 'live']);
    expect(shown.phases.slice(0, -1).every((p) => typeof p.ms === 'number' && p.ms >= 0)).toBe(true);
    expect(shown.lastLines.length).toBeGreaterThan(0);

    // The lines are the ones in CloudWatch Logs, in the deployment's own stream.
    const stream = w.logs.streams.get(`/anchor/dev/builds\0${deploymentId}/anchor`);
    const written = (stream ?? []).map((e) => (JSON.parse(e.message) as { text: string }).text);
    expect(written).toContain('Deploy of main requested from the CLI.');
    const logs = await cli('logs', deploymentId);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout.trimEnd().split('\n')).toEqual(written);

    const followed = await cli('logs', deploymentId, '--follow');
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toContain('Deploy of main requested from the CLI.');
    expect(followed.stdout + followed.stderr).toContain(`${deploymentId} is live: ${SITE}`);
    const followedJson = await cli('logs', deploymentId, '--follow', '--json');
    const events = followedJson.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; state?: string; url?: string });
    expect(events.at(-1)).toEqual({ type: 'end', deploymentId, state: 'live', reason: null, url: SITE });

    const human = await cli('deployments', 'ls', 'shop');
    expect(human.stdout).toMatch(new RegExp(`${deploymentId} ●\\s+live`));
    // Lambda runs the functions: no process state to tell, and their logs are CloudWatch's, named.
    expect(ls.json<{ deployments: Array<{ runtime: unknown }> }>().deployments[0]?.runtime).toBeNull();
    const runtimeLogs = await cli('logs', 'shop', '--runtime');
    expect(runtimeLogs.code).toBe(2);
    expect(runtimeLogs.stderr).toContain('/aws/lambda/anchor-dev-shop-server');
  });

  it('deploy --follow prints the lines as the pipeline writes them and exits 0 once live', async () => {
    const following = cli('deploy', 'shop', '--follow');
    // The job reaches the queue while the command is still following; the pipeline runs meanwhile.
    let batch = await sqsBatch();
    while (batch.Records.length === 0) batch = await sqsBatch();
    const deploymentId = (JSON.parse(batch.Records[0]?.body ?? '{}') as { deploymentId: string }).deploymentId;
    expect(await runPipeline(batch, '6666666666666666666666666666666666666666')).toBe('live');

    const result = await following;
    expect(result.code, result.stderr).toBe(0);
    const stream = w.logs.streams.get(`/anchor/dev/builds\0${deploymentId}/anchor`) ?? [];
    const written = stream.map((e) => (JSON.parse(e.message) as { text: string }).text);
    expect(written.length).toBeGreaterThan(2);
    expect(result.stdout.trimEnd().split('\n')).toEqual(written);
    expect(result.stdout + result.stderr).toContain(`${deploymentId} is live: ${SITE}`);
  });

  it('logs --follow of a deployment that fails exits 7 with the reason; the live site is untouched', async () => {
    const first = await deployThroughPipeline('3333333333333333333333333333333333333333');
    w.lambda.smoke.status = 500;
    const second = await deployThroughPipeline('4444444444444444444444444444444444444444');
    expect([first.outcome, second.outcome]).toEqual(['live', 'not-live']);

    const followed = await cli('logs', second.deploymentId, '--follow');
    expect(followed.code).toBe(7);
    expect(followed.stderr).toContain(`Deployment ${second.deploymentId} failed`);
    expect(followed.stderr).toContain('GET / answered 500');
    expect(livePrefix(w.kvs, 'shop')).toBe(`shop/${first.deploymentId}`);
  });

  it('rollback refuses with exit 4 while only one deployment was ever live', async () => {
    const refusedEarly = await cli('rollback', 'shop');
    expect(refusedEarly.code).toBe(4);
    expect(refusedEarly.stderr).toContain('no live deployment');

    const { deploymentId } = await deployThroughPipeline('5555555555555555555555555555555555555555');
    const result = await cli('rollback', 'shop');
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('nothing to roll back to');
    expect(result.stderr).toContain('anchor deployments ls shop');
    expect(livePrefix(w.kvs, 'shop')).toBe(`shop/${deploymentId}`);
  });

  it('rollback --json flips alias (with the RevisionId it read) and asset pointer back; the live pointer in DynamoDB Local follows', async () => {
    const first = await deployThroughPipeline('1111111111111111111111111111111111111111');
    const second = await deployThroughPipeline('2222222222222222222222222222222222222222');
    expect([first.outcome, second.outcome]).toEqual(['live', 'live']);
    const aliasBefore = { ...w.lambda.functions.get(SERVER)!.alias };
    const versionsBefore = w.lambda.functions.get(SERVER)!.versions.length;
    const updatesBefore = w.lambda.mock.commandCalls(UpdateAliasCommand).length;
    const putKeysBefore = w.kvs.mock.commandCalls(PutKeyCommand).length;

    const result = await cli('rollback', 'shop', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ project: 'shop', from: second.deploymentId, to: first.deploymentId, serverRunning: true });

    const updates = w.lambda.mock.commandCalls(UpdateAliasCommand).slice(updatesBefore).map((c) => c.args[0].input);
    const serverUpdate = updates.find((u) => u.FunctionName === SERVER);
    expect(serverUpdate).toMatchObject({ FunctionVersion: '2', RevisionId: aliasBefore.RevisionId });
    expect(w.lambda.functions.get(SERVER)?.alias.FunctionVersion).toBe('2');
    expect(w.lambda.functions.get(SERVER)?.versions.length).toBe(versionsBefore); // nothing rebuilt or published
    expect(w.kvs.mock.commandCalls(PutKeyCommand).slice(putKeysBefore).map((c) => c.args[0].input)).toMatchObject([{ Key: 'shop', Value: expect.stringContaining(`"p":"shop/${first.deploymentId}"`) }]);
    expect(livePrefix(w.kvs, 'shop')).toBe(`shop/${first.deploymentId}`);
    expect((await w.handlers.ports.deployments.getLive('p_shop'))?.deploymentId).toBe(first.deploymentId);
    expect((await w.handlers.ports.deployments.get(second.deploymentId))?.state).toBe('retired');

    const ls = await cli('deployments', 'ls', 'shop', '--json');
    expect(ls.json()).toMatchObject({ live: first.deploymentId });
    const human = await cli('rollback', 'shop', second.deploymentId);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`${second.deploymentId} is live again (was ${first.deploymentId}); no rebuild.`);
    expect(human.stdout).toContain(SITE);
    expect(livePrefix(w.kvs, 'shop')).toBe(`shop/${second.deploymentId}`);
  });
});
