import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../src/adapters/aws/dynamo-document.js';
import { DynamoDeliveries } from '../../src/adapters/aws/dynamo-deliveries.js';
import { DynamoDeployments } from '../../src/adapters/aws/dynamo-deployments.js';
import { DynamoEnvVars } from '../../src/adapters/aws/dynamo-env-vars.js';
import { DynamoProjects } from '../../src/adapters/aws/dynamo-projects.js';
import { CloudWatchBuildLogs } from '../../src/adapters/aws/cloudwatch-build-logs.js';
import { SsmSecretBox } from '../../src/adapters/aws/ssm-secret-box.js';
import { S3Artifacts } from '../../src/adapters/aws/s3-artifacts.js';
import { S3StaticHost } from '../../src/adapters/aws/s3-static-host.js';
import { assetPrefix } from '../../src/adapters/aws/resource-names.js';
import { downloadZip } from '../../src/adapters/aws/s3-zip.js';
import { SqsJobQueue } from '../../src/adapters/aws/sqs-job-queue.js';
import { listZip, readZipEntry } from '../../src/adapters/aws/zip-archive.js';
import { createBucket, createBuildQueues, createPlatformTables, dynamoClient, s3Client, sqsClient, startDynamoDbLocal, startFauxqs, startS3rver, type Emulator } from '../aws/emulators.js';
import { mockCloudWatchLogs, mockKeyValueStore, mockSsm } from '../aws/sdk-mocks.js';
import { describeBuildLogsContract } from './build-logs.contract.js';
import { describeSecretBoxContract } from './secret-box.contract.js';
import { describeArtifactsContract } from './artifacts.contract.js';
import { describeDeliveriesContract } from './deliveries.contract.js';
import { describeDeploymentsContract } from './deployments.contract.js';
import { describeEnvVarsContract } from './env-vars.contract.js';
import { describeProjectsContract } from './projects.contract.js';
import { describeStaticHostContract } from './static-host.contract.js';
import { describeAccessContract } from './access.contract.js';
import { DynamoAccess } from '../../src/adapters/aws/dynamo-access.js';

/**
 * The contract suites against the aws adapters: DynamoDB Local and fauxqs, started once for this
 * file; every test gets tables and queues of its own.
 */
let dynamo: Emulator;
let sqs: Emulator;
let s3: Emulator;
let s3Api: S3Client;
let dynamoApi: DynamoDBClient;
let sqsApi: SQSClient;

beforeAll(async () => {
  [dynamo, sqs, s3] = await Promise.all([startDynamoDbLocal(), startFauxqs(), startS3rver()]);
  dynamoApi = dynamoClient(dynamo.endpoint);
  sqsApi = sqsClient(sqs.endpoint);
  s3Api = s3Client(s3.endpoint);
  console.info(`emulators ready: DynamoDB Local ${dynamo.startMs} ms, fauxqs ${sqs.startMs} ms, s3rver ${s3.startMs} ms`);
});

afterAll(async () => {
  dynamoApi?.destroy();
  sqsApi?.destroy();
  s3Api?.destroy();
  await Promise.all([dynamo?.stop(), sqs?.stop(), s3?.stop()]);
});

async function tables() {
  const names = await createPlatformTables(dynamoApi);
  const doc = documentClient(dynamoApi);
  const envVars = new DynamoEnvVars({ doc, table: names.envVars });
  return { doc, names, envVars, projects: new DynamoProjects({ doc, table: names.projects, envVars }), cleanup: async () => {} };
}

describeAccessContract('DynamoAccess', async () => {
  const t = await tables();
  return { access: new DynamoAccess({ doc: t.doc, table: t.names.access }), cleanup: t.cleanup };
});

describeProjectsContract('DynamoProjects', async () => {
  const t = await tables();
  return { projects: t.projects, envVars: t.envVars, cleanup: t.cleanup };
});

describeDeploymentsContract('DynamoDeployments', async () => {
  const t = await tables();
  return { deployments: new DynamoDeployments({ doc: t.doc, table: t.names.deployments }), projects: t.projects, cleanup: t.cleanup };
});

describeEnvVarsContract('DynamoEnvVars', async () => {
  const t = await tables();
  return { envVars: t.envVars, projects: t.projects, cleanup: t.cleanup };
});

describeDeliveriesContract('DynamoDeliveries', async () => {
  const t = await tables();
  return { deliveries: new DynamoDeliveries({ doc: t.doc, table: t.names.deliveries }), cleanup: t.cleanup };
});

// SqsJobQueue only sends (Lambda's event source mapping receives), so it is held to that part:
// what it sends is what the orchestrator reads, and it gives a job as many tries as the redrive policy.
describe('JobQueue (send): SqsJobQueue', () => {
  it('sends each job as one message with its ids, and gives a job 3 tries', async () => {
    const queues = await createBuildQueues(sqsApi);
    const queue = new SqsJobQueue({ sqs: sqsApi, queueUrl: queues.queueUrl });
    await queue.send({ deploymentId: 'd_1', projectId: 'p_shop' });
    await queue.send({ deploymentId: 'd_2', projectId: 'p_shop' });

    const { Messages } = await sqsApi.send(new ReceiveMessageCommand({ QueueUrl: queues.queueUrl, MaxNumberOfMessages: 10 }));
    expect((Messages ?? []).map((m) => JSON.parse(m.Body ?? '')).sort((a, b) => a.deploymentId.localeCompare(b.deploymentId))).toEqual([
      { deploymentId: 'd_1', projectId: 'p_shop' },
      { deploymentId: 'd_2', projectId: 'p_shop' },
    ]);
    expect(queue.maxAttempts).toBe(3);
  });
});

describeArtifactsContract('S3Artifacts', async () => {
  const bucket = await createBucket(s3Api, 'artifacts');
  return {
    artifacts: new S3Artifacts({ s3: s3Api, bucket }),
    readFile: async (info, path) => {
      const zip = await downloadZip(s3Api, info.location);
      const entry = listZip(zip).find((e) => e.name === path && e.kind === 'file');
      return entry ? readZipEntry(zip, entry).toString('utf8') : null;
    },
    cleanup: async () => {},
  };
});

describeBuildLogsContract('CloudWatchBuildLogs (aws-sdk-client-mock)', async () => {
  const { client, mock } = mockCloudWatchLogs();
  return { logs: new CloudWatchBuildLogs({ logs: client, group: '/anchor/test/builds' }), cleanup: async () => void mock.restore() };
});

describeSecretBoxContract('SsmSecretBox (aws-sdk-client-mock)', async () => {
  const { client, mock } = mockSsm();
  return { box: new SsmSecretBox({ ssm: client, path: '/anchor/test/secrets/' }), cleanup: async () => void mock.restore() };
});

describeStaticHostContract('S3StaticHost (s3rver; KeyValueStore through aws-sdk-client-mock)', async () => {
  const [artifactsBucket, assetsBucket] = [await createBucket(s3Api, 'artifacts'), await createBucket(s3Api, 'assets')];
  const artifacts = new S3Artifacts({ s3: s3Api, bucket: artifactsBucket });
  const kvs = mockKeyValueStore('arn:aws:cloudfront::111122223333:key-value-store/contract');
  const object = async (key: string) => {
    const found = await s3Api.send(new GetObjectCommand({ Bucket: assetsBucket, Key: key })).catch(() => null);
    return found?.Body ? found.Body.transformToString() : null;
  };
  return {
    host: new S3StaticHost({ s3: s3Api, assetsBucket, kvs: kvs.client, keyValueStoreArn: async () => 'arn:aws:cloudfront::111122223333:key-value-store/contract' }),
    store: (deploymentId, dir) => artifacts.store({ projectName: 'shop', deploymentId }, { kind: 'directory', path: dir }),
    published: (project, deploymentId, path) => object(`${assetPrefix(project, deploymentId)}/${path}`),
    // What the CloudFront Function does: the project's live prefix from the KeyValueStore value (liveAssetValue), then the object under it.
    served: async (project, path) => {
      const value = kvs.store.keys.get(project);
      return value === undefined ? null : object(`${(JSON.parse(value) as { p: string }).p}/${path}`);
    },
    cleanup: async () => void kvs.mock.restore(),
  };
});
