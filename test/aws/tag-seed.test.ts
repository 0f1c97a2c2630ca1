import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, GetItemCommand, ScanCommand, UpdateItemCommand, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectTemplate } from '../../infra/stack/project-template.js';
import { TAG_SEED_FILE } from '../../src/adapters/aws/dynamo-tag-seed.js';
import { S3Artifacts } from '../../src/adapters/aws/s3-artifacts.js';
import { S3StaticHost } from '../../src/adapters/aws/s3-static-host.js';
import type { ArtifactInfo } from '../../src/core/ports/artifacts.js';
import { sampleBuild } from '../e2e/sample-build.js';
import { createBucket, dynamoClient, s3Client, startDynamoDbLocal, startS3rver, type Emulator } from './emulators.js';
import { mockKeyValueStore } from './sdk-mocks.js';

/**
 * The tag cache is seeded at deploy from the sample app's real `.open-next/dynamodb-provider`
 * (templates/sample-app built by OpenNext), into a table made from the project template's own
 * TagTable definition in DynamoDB Local.
 */
let dynamo: Emulator;
let s3: Emulator;
let ddb: DynamoDBClient;
let api: S3Client;
let scratch: string;
let artifact: ArtifactInfo;
let seed: { tag: { S: string }; path: { S: string } }[];

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynamoDbLocal(), startS3rver()]);
  ddb = dynamoClient(dynamo.endpoint);
  api = s3Client(s3.endpoint);
  const { openNextDir } = await sampleBuild();
  scratch = mkdtempSync(join(tmpdir(), 'anchor-tag-seed-'));
  // The parts publish reads: assets and the seed (the function bundles are not needed here).
  for (const part of ['assets', 'dynamodb-provider', 'open-next.output.json']) cpSync(join(openNextDir, part), join(scratch, part), { recursive: true });
  seed = JSON.parse(readFileSync(join(scratch, TAG_SEED_FILE), 'utf8')) as typeof seed;
  const bucket = await createBucket(api, 'artifacts');
  artifact = await new S3Artifacts({ s3: api, bucket }).store({ projectName: 'shop', deploymentId: 'd_1' }, { kind: 'directory', path: scratch });
}, 600_000);

afterAll(async () => {
  ddb?.destroy();
  api?.destroy();
  await Promise.all([dynamo?.stop(), s3?.stop()]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function createTagTable(name: string): Promise<void> {
  const definition = projectTemplate({ stage: 'dev', project: 'shop', platform: { artifactsBucket: 'a', assetsBucket: 'b', cacheBucket: 'c' } }).Resources['TagTable']?.Properties as unknown as CreateTableCommandInput;
  await ddb.send(new CreateTableCommand({ ...definition, TableName: name }));
}

const host = async (table: string) =>
  new S3StaticHost({ s3: api, assetsBucket: await createBucket(api, 'assets'), kvs: mockKeyValueStore('arn:kvs').client, keyValueStoreArn: async () => 'arn:kvs', tagCache: { dynamodb: ddb, table: () => table } });

describe('the tag cache seeded at deploy (DynamoDB Local)', () => {
  it('writes every item of the build’s seed, and a retried deploy never undoes a revalidation', async () => {
    expect(seed.length).toBeGreaterThan(0);
    await createTagTable('anchor-dev-shop-tags');
    const h = await host('anchor-dev-shop-tags');

    await h.publish('shop', 'd_1', artifact);

    const items = (await ddb.send(new ScanCommand({ TableName: 'anchor-dev-shop-tags' }))).Items ?? [];
    expect(items.map((i) => `${i['tag']?.S} ${i['path']?.S}`).sort()).toEqual(seed.map((i) => `${i.tag.S} ${i.path.S}`).sort());
    const key = { tag: seed[0]!.tag, path: seed[0]!.path };
    await ddb.send(new UpdateItemCommand({ TableName: 'anchor-dev-shop-tags', Key: key, UpdateExpression: 'SET revalidatedAt = :t', ExpressionAttributeValues: { ':t': { N: '1765000000000' } } }));

    await h.publish('shop', 'd_1', artifact);

    expect((await ddb.send(new GetItemCommand({ TableName: 'anchor-dev-shop-tags', Key: key }))).Item?.['revalidatedAt']?.N).toBe('1765000000000');
  });

  it('publishes a project whose stack predates ISR (no tag table) without failing', async () => {
    const h = await host('anchor-dev-old-tags');
    await expect(h.publish('shop', 'd_1', artifact)).resolves.toMatchObject({ files: expect.any(Number) });
  });
});
