import { createHmac, randomUUID } from 'node:crypto';
import { buildSucceeded, uploadBuildOutput } from './build-uploads.js';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CodeBuildClient, ListBuildsForProjectCommand, StartBuildCommand } from '@aws-sdk/client-codebuild';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeDeployHandler } from '../../infra/handlers/deploy.js';
import { makeOrchestratorHandler } from '../../infra/handlers/orchestrator.js';
import { makeWebhookHandler } from '../../infra/handlers/webhook.js';
import { artifactKey } from '../../src/adapters/aws/resource-names.js';
import { createAwsPorts, type AwsPlatform } from '../../src/adapters/aws/create-aws-ports.js';
import { downloadZip } from '../../src/adapters/aws/s3-zip.js';
import { listZip, readZipEntry } from '../../src/adapters/aws/zip-archive.js';
import type { Project } from '../../src/core/project.js';
import { rollback } from '../../src/core/use-cases/rollback.js';
import { applyRetention } from '../../src/core/use-cases/retention.js';
import { platformTemplate } from '../../infra/stack/platform-template.js';
import { asStackRole } from '../fakes/s3-role.js';
import { createPlatformOutputs, dynamoClient, s3Client, sqsClient, startDynamoDbLocal, startFauxqs, startS3rver, TEST_CREDENTIALS, TEST_REGION, type Emulator } from './emulators.js';
import { livePrefix, mockCloudWatchLogs, mockKeyValueStore, mockLambda, mockSsm } from './sdk-mocks.js';

/**
 * The whole pipeline on the aws adapters, across the three Lambda handlers: a signed webhook →
 * DynamoDB Local (queued) → fauxqs (SQS) → orchestrator → CodeBuild (mocked) → the build's zip in
 * s3rver → EventBridge success event → deploy → live. Lambda, CloudFront KVS, CloudWatch Logs,
 * SSM and CloudFormation are aws-sdk-client-mock stand-ins (sdk-mocks.ts).
 */
const KVS_ARN = 'arn:aws:cloudfront::111122223333:key-value-store/7d1e0c4a-2b3c-4d5e-8f90-abcdefabcdef';
const SECRET = 'webhook-secret-for-tests';
const SERVER = 'anchor-dev-shop-server';
const IMAGE = 'anchor-dev-shop-image';

let dynamo: Emulator, sqs: Emulator, s3: Emulator;
let dynamoApi: DynamoDBClient, sqsApi: SQSClient, s3Api: S3Client;

beforeAll(async () => {
  [dynamo, sqs, s3] = await Promise.all([startDynamoDbLocal(), startFauxqs(), startS3rver()]);
  dynamoApi = dynamoClient(dynamo.endpoint);
  sqsApi = sqsClient(sqs.endpoint);
  s3Api = s3Client(s3.endpoint);
});

afterAll(async () => {
  for (const c of [dynamoApi, sqsApi, s3Api]) c?.destroy();
  await Promise.all([dynamo?.stop(), sqs?.stop(), s3?.stop()]);
});

interface World {
  platform: AwsPlatform;
  project: Project;
  outputs: Record<string, string>;
  lambda: ReturnType<typeof mockLambda>;
  kvs: ReturnType<typeof mockKeyValueStore>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the stub's types are the union of every CodeBuild command
  codebuild: AwsStub<any, any, any>;
}

let w: World;

beforeEach(async () => {
  const outputs = await createPlatformOutputs({ dynamo: dynamoApi, sqs: sqsApi, s3: s3Api });
  const codebuildClient = new CodeBuildClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS });
  const codebuild = mockClient(codebuildClient);
  codebuild.on(StartBuildCommand).callsFake(() => ({ build: { id: `anchor-dev-build:${randomUUID()}` } }));
  // A retried job asks CodeBuild for a build of its deployment first (none here: every StartBuild of these tests is refused or forgotten).
  codebuild.on(ListBuildsForProjectCommand).resolves({ ids: [] });
  const cloudformation = new CloudFormationClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS });
  mockClient(cloudformation).on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'anchor-dev-project-shop', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'KeyValueStoreArn', OutputValue: KVS_ARN }] }] });
  const lambda = mockLambda({ functions: [SERVER, IMAGE] });
  const kvs = mockKeyValueStore(KVS_ARN);
  // The handlers' S3 as the deploy function's role sees it: a missing key is 403 unless the role may list there.
  const roleS3 = s3Client(s3.endpoint);
  asStackRole(roleS3, platformTemplate({ stage: 'dev', handlerBucket: 'h', handlerKeys: { webhook: 'w', orchestrator: 'o', deploy: 'd', domains: 'n', api: 'a' } }), 'DeployRole', {
    ArtifactsBucket: outputs['ArtifactsBucketName']!,
    AssetsBucket: outputs['AssetsBucketName']!,
    CacheBucket: outputs['CacheBucketName']!,
  });
  const platform = await createAwsPorts({
    region: TEST_REGION,
    stage: 'dev',
    outputs,
    clients: { dynamodb: dynamoApi, sqs: sqsApi, s3: roleS3, lambda: lambda.client, codebuild: codebuildClient, kvs: kvs.client, cloudformation, logs: mockCloudWatchLogs().client, ssm: mockSsm({ originSecretOf: 'dev' }).client },
    logStream: { write: () => true },
  });
  const project: Project = {
    id: 'p_shop',
    name: 'shop',
    repo: { kind: 'github', owner: 'acme', name: 'shop', url: 'https://github.com/acme/shop.git' },
    branch: 'main',
    root: '',
    webhookSecret: await platform.ports.secrets.seal(SECRET),
    previousWebhookSecret: null,
    githubHookId: null,
    createdAt: new Date().toISOString(),
  };
  await platform.ports.projects.create(project);
  const sealed = await platform.ports.secrets.seal('k-123');
  await platform.ports.envVars.set({ projectId: project.id, key: 'API_KEY', value: sealed, secret: true, targets: ['build', 'runtime'], valueBytes: 5, updatedAt: project.createdAt });
  w = { platform, project, outputs, lambda, kvs, codebuild };
});

afterEach(async () => {
  await w?.platform.close();
});

/** A push as API Gateway v2 hands it to the webhook function: base64 body, signed with the project's secret. */
function pushEvent(sha: string) {
  // GitHub names the repository in every push; anchor builds only pushes to the project's own.
  const repository = { full_name: 'acme/shop', clone_url: 'https://github.com/acme/shop.git' };
  const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: sha, head_commit: { id: sha, message: `Commit ${sha.slice(0, 7)}` }, pusher: { name: 'octocat' }, repository }));
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return {
    rawPath: `/webhook/${w.project.id}`,
    pathParameters: { projectId: w.project.id },
    headers: { 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signature, 'content-type': 'application/json' },
    body: body.toString('base64'),
    isBase64Encoded: true,
  };
}

/** What the SQS event source mapping hands the orchestrator: the messages fauxqs delivers. */
async function sqsBatch() {
  const { Messages } = await sqsApi.send(new ReceiveMessageCommand({ QueueUrl: w.outputs['BuildQueueUrl'], MaxNumberOfMessages: 10, VisibilityTimeout: 1800, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));
  return { Records: (Messages ?? []).map((m) => ({ messageId: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body, attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount }, eventSourceARN: 'arn:aws:sqs:ap-southeast-1:000000000000:anchor-dev-builds' })) };
}

/** The files of a zip stored in s3rver, as Lambda would unpack the function code it names. */
async function zipAt(location: string): Promise<Record<string, string>> {
  const zip = await downloadZip(s3Api, location);
  return Object.fromEntries(listZip(zip).map((entry) => [entry.name, readZipEntry(zip, entry).toString('utf8')]));
}

/** Push → queued → orchestrator starts the build → the build uploads → success event → deploy. */
async function pushAndDeploy(sha: string): Promise<{ deploymentId: string; outcome: string }> {
  const { ports } = w.platform;
  const accepted = await makeWebhookHandler(ports)(pushEvent(sha));
  expect(accepted.statusCode).toBe(202);
  const deploymentId = JSON.parse(accepted.body).deploymentId as string;
  expect((await ports.deployments.get(deploymentId))?.state).toBe('queued');

  const batch = await sqsBatch();
  expect(batch.Records.map((r) => JSON.parse(r.body ?? '{}').deploymentId)).toEqual([deploymentId]);
  expect(await makeOrchestratorHandler(ports)(batch)).toEqual({ batchItemFailures: [] });
  // The event source mapping deletes the messages of a batch that reported no failures.
  for (const r of batch.Records) await sqsApi.send(new DeleteMessageCommand({ QueueUrl: w.outputs['BuildQueueUrl'], ReceiptHandle: r.receiptHandle }));
  expect((await ports.deployments.get(deploymentId))?.state).toBe('building');

  await uploadBuildOutput(s3Api, w.outputs['ArtifactsBucketName'] ?? '', 'shop', deploymentId, sha.slice(0, 7));
  const artifactLocation = (project: string, id: string) => `s3://${w.outputs['ArtifactsBucketName']}/${artifactKey(project, id)}`;
  const result = await makeDeployHandler(ports, { artifactLocation })(buildSucceeded(deploymentId, sha));
  return { deploymentId, outcome: result.outcome };
}

describe('the pipeline on the aws adapters', () => {
  it('takes a push to live: DynamoDB, SQS, CodeBuild (secrets by reference), assets in S3, versions, alias with its RevisionId, KVS', async () => {
    const { deploymentId, outcome } = await pushAndDeploy('a1b2c3d4e5f60718293a4b5c6d7e8f9012345678');

    expect(outcome).toBe('live');
    const deployment = await w.platform.ports.deployments.get(deploymentId);
    expect(deployment).toMatchObject({ state: 'live', commitSha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678', commitMessage: 'Commit a1b2c3d' });
    expect(deployment?.transitions.map((t) => t.state)).toEqual(['queued', 'building', 'built', 'deploying', 'live']);
    expect(await w.platform.ports.deployments.getLive('p_shop')).toMatchObject({ deploymentId, revision: 1 });

    const build = w.codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input;
    expect(build?.environmentVariablesOverride).toContainEqual({ name: 'API_KEY', value: '/anchor/dev/shop/env/API_KEY', type: 'PARAMETER_STORE' });
    expect(JSON.stringify(build)).not.toContain('k-123');

    const js = await s3Api.send(new HeadObjectCommand({ Bucket: w.outputs['AssetsBucketName'], Key: `shop/${deploymentId}/_next/static/chunks/main-1a2b3c.js` }));
    expect(js).toMatchObject({ ContentType: 'application/javascript; charset=utf-8', CacheControl: 'public,max-age=31536000,immutable' });
    const ico = await s3Api.send(new HeadObjectCommand({ Bucket: w.outputs['AssetsBucketName'], Key: `shop/${deploymentId}/favicon.ico` }));
    expect(ico.CacheControl).toBe('public,max-age=0,s-maxage=31536000,must-revalidate');

    const server = w.lambda.functions.get(SERVER);
    expect(server?.alias.FunctionVersion).toBe('2');
    // Each function runs its own bundle (index.mjs at the root), not the whole `.open-next/`, behind the origin guard the build writes beside it.
    const image = w.lambda.functions.get(IMAGE);
    expect(server?.versions[1]).toMatchObject({ Description: `anchor ${deploymentId}`, code: `s3://${w.outputs['ArtifactsBucketName']}/builds/shop/${deploymentId}/server.zip` });
    expect(image?.versions[1]).toMatchObject({ Description: `anchor ${deploymentId}`, code: `s3://${w.outputs['ArtifactsBucketName']}/builds/shop/${deploymentId}/image.zip` });
    expect(server?.config.handler).toBe('anchor-origin-guard.handler');
    expect(image?.config.handler).toBe('anchor-origin-guard.handler');
    expect(server?.config.env['ANCHOR_ORIGIN_SECRETS']).toMatch(/^[0-9a-f]{32}$/);
    expect(await zipAt(server!.versions[1]!.code)).toEqual({ 'index.mjs': "export const handler = () => 'a1b2c3d';" });
    expect(Object.keys(await zipAt(image!.versions[1]!.code)).sort()).toEqual(['index.mjs', 'node_modules/sharp/package.json']);
    // The image function's loader (OpenNext s3-lite) finds this deployment's public files where the deploy put them.
    const imageEnv = image!.versions[1]!.env;
    expect(imageEnv).toMatchObject({ BUCKET_NAME: w.outputs['AssetsBucketName'], BUCKET_KEY_PREFIX: `shop/${deploymentId}` });
    expect(imageEnv).not.toHaveProperty('API_KEY');
    await s3Api.send(new HeadObjectCommand({ Bucket: imageEnv['BUCKET_NAME'], Key: `${imageEnv['BUCKET_KEY_PREFIX']}/favicon.ico` }));
    expect(server?.versions[1]?.env).toMatchObject({ API_KEY: 'k-123', ANCHOR_RUNTIME: 'aws', CACHE_BUCKET_NAME: w.outputs['CacheBucketName'], CACHE_BUCKET_KEY_PREFIX: 'shop/' });
    // The alias update carried the RevisionId the placeholder alias had when it was read.
    const updates = w.lambda.mock.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input);
    expect(updates.map((u) => [u.FunctionName, u.FunctionVersion, u.RevisionId])).toEqual([
      [SERVER, '2', 'rev-2'],
      [IMAGE, '2', 'rev-4'],
    ]);
    expect(livePrefix(w.kvs, 'shop')).toBe(`shop/${deploymentId}`);
    // The CloudFront Function routes the deployment's public files to the assets bucket by these names.
    expect(JSON.parse(w.kvs.store.keys.get('shop')!).f).toContain('favicon.ico');
  });

  it('rolls back by flipping alias and asset pointer to the retained deployment, publishing nothing new', async () => {
    const first = await pushAndDeploy('1111111111111111111111111111111111111111');
    const second = await pushAndDeploy('2222222222222222222222222222222222222222');
    expect([first.outcome, second.outcome]).toEqual(['live', 'live']);
    expect(livePrefix(w.kvs, 'shop')).toBe(`shop/${second.deploymentId}`);
    const versionsBefore = w.lambda.functions.get(SERVER)?.versions.length;

    const result = await rollback(w.platform.ports, { project: 'shop' });

    expect(result).toMatchObject({ from: second.deploymentId, to: first.deploymentId });
    expect((await w.platform.ports.deployments.get(first.deploymentId))?.state).toBe('live');
    expect((await w.platform.ports.deployments.get(second.deploymentId))?.state).toBe('retired');
    expect(w.lambda.functions.get(SERVER)?.alias.FunctionVersion).toBe('2');
    expect(w.lambda.functions.get(IMAGE)?.alias.FunctionVersion).toBe('2');
    expect(w.lambda.functions.get(SERVER)?.versions.length).toBe(versionsBefore);
    expect(livePrefix(w.kvs, 'shop')).toBe(`shop/${first.deploymentId}`);
  });

  it('a deploy that fails its smoke test leaves alias and asset pointer where they were', async () => {
    const first = await pushAndDeploy('3333333333333333333333333333333333333333');
    w.lambda.smoke.status = 500;
    const aliasBefore = { ...w.lambda.functions.get(SERVER)?.alias };

    const second = await pushAndDeploy('4444444444444444444444444444444444444444');

    expect(second.outcome).toBe('not-live');
    const failed = await w.platform.ports.deployments.get(second.deploymentId);
    expect(failed?.state).toBe('failed');
    expect(failed?.reason).toContain('GET / answered 500');
    expect(w.lambda.functions.get(SERVER)?.alias).toEqual(aliasBefore);
    expect(livePrefix(w.kvs, 'shop')).toBe(`shop/${first.deploymentId}`);
    expect((await w.platform.ports.deployments.getLive('p_shop'))?.deploymentId).toBe(first.deploymentId);
  });

  it('a job that fails every try ends in the DLQ, with its deployment failed and the reason', async () => {
    w.codebuild.on(StartBuildCommand).rejects(Object.assign(new Error('Rate exceeded for StartBuild'), { name: 'AccountLimitExceededException' }));
    const { ports } = w.platform;
    const accepted = await makeWebhookHandler(ports)(pushEvent('5555555555555555555555555555555555555555'));
    const deploymentId = JSON.parse(accepted.body).deploymentId as string;

    for (let attempt = 1; attempt <= 3; attempt++) {
      const batch = await sqsBatch();
      const record = batch.Records[0];
      expect(record?.attributes.ApproximateReceiveCount).toBe(String(attempt));
      const response = await makeOrchestratorHandler(ports)(batch);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record?.messageId }]);
      // The event source mapping: a reported batch item failure makes the message visible again.
      await sqsApi.send(new ChangeMessageVisibilityCommand({ QueueUrl: w.outputs['BuildQueueUrl'], ReceiptHandle: record?.receiptHandle, VisibilityTimeout: 0 }));
    }

    // SQS's redrive policy (maxReceiveCount 3) moves it to the DLQ instead of a fourth delivery.
    expect((await sqsBatch()).Records).toEqual([]);
    const { Messages } = await sqsApi.send(new ReceiveMessageCommand({ QueueUrl: w.outputs['BuildDeadLetterQueueUrl'], MaxNumberOfMessages: 10 }));
    expect((Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}'))).toEqual([{ deploymentId, projectId: 'p_shop' }]);
    const failed = await ports.deployments.get(deploymentId);
    expect(failed?.state).toBe('failed');
    expect(failed?.reason).toContain('Rate exceeded for StartBuild');
  });

  it('retention deletes the Lambda versions, assets, ISR cache and artifact of the deployments it drops; live and the rollback target keep theirs', async () => {
    const ids: string[] = [];
    // d3's Next build id (the sha's first 7 here) is d1's: its ISR cache prefix is shared and must stay.
    for (const sha of ['1'.repeat(40), '2'.repeat(40), `1111111${'3'.repeat(33)}`, '4'.repeat(40)]) ids.push((await pushAndDeploy(sha)).deploymentId);
    const [d1, d2, d3, d4] = ids as [string, string, string, string];
    const { ports } = w.platform;
    const versionOf = (fn: string, id: string) => w.lambda.functions.get(fn)?.versions.find((v) => v.Description === `anchor ${id}`)?.Version;
    const objects = async (bucket: string, prefix: string) => (await s3Api.send(new ListObjectsV2Command({ Bucket: w.outputs[bucket], Prefix: prefix }))).KeyCount ?? 0;
    for (const id of ids) expect(versionOf(SERVER, id), id).toBeDefined();

    // Keep 1: d4 is live (and the newest), d3 the rollback target; d1 and d2 go.
    expect((await applyRetention(ports, 'p_shop', 1)).sort()).toEqual([d1, d2].sort());

    for (const fn of [SERVER, IMAGE]) {
      expect([d1, d2].map((id) => versionOf(fn, id))).toEqual([undefined, undefined]);
      expect(versionOf(fn, d3)).toBeDefined();
      expect(w.lambda.functions.get(fn)?.alias.FunctionVersion).toBe(versionOf(fn, d4));
    }
    expect([await objects('AssetsBucketName', `shop/${d1}/`), await objects('AssetsBucketName', `shop/${d2}/`)]).toEqual([0, 0]);
    expect(await objects('AssetsBucketName', `shop/${d3}/`)).toBeGreaterThan(0);
    // The ISR cache each build seeded, under its Next build id: d2's goes, d1's stays for d3 that shares it.
    expect(await objects('CacheBucketName', 'shop/2222222/')).toBe(0);
    expect([await objects('CacheBucketName', 'shop/1111111/'), await objects('CacheBucketName', 'shop/4444444/')]).toEqual([1, 1]);
    expect([await ports.artifacts.get({ projectName: 'shop', deploymentId: d1 }), await ports.artifacts.get({ projectName: 'shop', deploymentId: d2 })]).toEqual([null, null]);
    expect(livePrefix(w.kvs, 'shop')).toBe(`shop/${d4}`);
    // What was kept is what rollback promises: d3 comes back, publishing nothing new.
    expect((await rollback(ports, { project: 'shop' })).to).toBe(d3);
    expect(w.lambda.functions.get(SERVER)?.alias.FunctionVersion).toBe(versionOf(SERVER, d3));
  });

  it('retention passes over deployments that never uploaded an artifact (real S3 answers 403 for them unless the role may list)', async () => {
    w.codebuild.on(StartBuildCommand).rejectsOnce(Object.assign(new Error('Rate exceeded for StartBuild'), { name: 'AccountLimitExceededException' }));
    const { ports } = w.platform;
    const accepted = await makeWebhookHandler(ports)(pushEvent('6666666666666666666666666666666666666666'));
    const never = JSON.parse(accepted.body).deploymentId as string;
    await ports.deployments.transition(never, ['queued'], 'failed', new Date().toISOString(), { reason: 'gave up' });

    expect(await ports.artifacts.get({ projectName: 'shop', deploymentId: never })).toBeNull();
    await expect(applyRetention(ports, 'p_shop', 0)).resolves.toEqual([]);
  });
});
