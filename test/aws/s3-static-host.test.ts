import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFrontKeyValueStoreClient, ConflictException, DescribeKeyValueStoreCommand, PutKeyCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Artifacts } from '../../src/adapters/aws/s3-artifacts.js';
import { S3StaticHost } from '../../src/adapters/aws/s3-static-host.js';
import { listZip, readZipEntry } from '../../src/adapters/aws/zip-archive.js';
import type { ArtifactInfo } from '../../src/core/ports/artifacts.js';
import { createBucket, s3Client, startS3rver, TEST_CREDENTIALS, type Emulator } from './emulators.js';

let s3: Emulator;
let api: S3Client;
let scratch: string;
let artifact: ArtifactInfo;
let artifactsBucket: string;

const KVS_ARN = 'arn:aws:cloudfront::111122223333:key-value-store/0f9a7e2b-5d7c-4c1e-9a8b-123456789abc';
const BIG = 6 * 1024 * 1024;
const PUBLIC_NAMES = ['favicon.ico', 'images', 'robots.txt'];

const files: Record<string, string | Buffer> = {
  'open-next.output.json': '{}',
  'server-functions/default/index.mjs': 'export const handler = () => 1;',
  'assets/_next/static/chunks/main-3f2a1b.js': 'console.log("main")',
  'assets/_next/static/css/app-9c8d7e.css': 'body{margin:0}',
  'assets/_next/static/media/hero-5e6f7a.bin': Buffer.alloc(BIG, 7),
  'assets/favicon.ico': 'ico',
  'assets/images/logo.svg': '<svg/>',
  'assets/robots.txt': 'User-agent: *',
  'cache/BUILD123/index.cache': '{"type":"app"}',
};

beforeAll(async () => {
  s3 = await startS3rver();
  api = s3Client(s3.endpoint);
  scratch = await mkdtemp(join(tmpdir(), 'anchor-static-host-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(scratch, path, '..'), { recursive: true });
    await writeFile(join(scratch, path), content);
  }
  artifactsBucket = await createBucket(api, 'artifacts');
  artifact = await new S3Artifacts({ s3: api, bucket: artifactsBucket, projectOf: async () => 'shop' }).store('d_1', { kind: 'directory', path: scratch });
});

afterAll(async () => {
  api?.destroy();
  await s3?.stop();
  await rm(scratch, { recursive: true, force: true });
});

function kvsClient() {
  const client = new CloudFrontKeyValueStoreClient({ region: 'us-east-1', credentials: TEST_CREDENTIALS });
  return { client, mock: mockClient(client) };
}

async function host(assetsBucket: string, cacheBucket?: string) {
  const kvs = kvsClient();
  return { kvs, host: new S3StaticHost({ s3: api, assetsBucket, ...(cacheBucket ? { cacheBucket } : {}), kvs: kvs.client, keyValueStoreArn: async () => KVS_ARN, concurrency: 4, multipartBytes: 5 * 1024 * 1024 }) };
}

describe('S3StaticHost on s3rver', () => {
  let assetsBucket: string;
  beforeEach(async () => {
    assetsBucket = await createBucket(api, 'assets');
  });

  it('publishes assets under the deployment\'s own prefix with content-type and cache-control', async () => {
    const { host: h } = await host(assetsBucket);

    const stats = await h.publish('shop', 'd_1', artifact);

    expect(stats).toEqual({ files: 6, uploaded: 6, skipped: 0 });
    const head = (key: string) => api.send(new HeadObjectCommand({ Bucket: assetsBucket, Key: key }));
    const js = await head('shop/d_1/_next/static/chunks/main-3f2a1b.js');
    expect(js.ContentType).toBe('application/javascript; charset=utf-8');
    expect(js.CacheControl).toBe('public,max-age=31536000,immutable');
    const svg = await head('shop/d_1/images/logo.svg');
    expect(svg.ContentType).toBe('image/svg+xml');
    expect(svg.CacheControl).toBe('public,max-age=0,s-maxage=31536000,must-revalidate');
    expect((await head('shop/d_1/favicon.ico')).ContentType).toBe('image/x-icon');
    // The big file went up in parts and arrived whole.
    const big = await api.send(new GetObjectCommand({ Bucket: assetsBucket, Key: 'shop/d_1/_next/static/media/hero-5e6f7a.bin' }));
    expect(Buffer.from(await (big.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).equals(Buffer.alloc(BIG, 7))).toBe(true);
  });

  it('a second publish of the same build uploads no content-hashed file again', async () => {
    const { host: h } = await host(assetsBucket);
    await h.publish('shop', 'd_1', artifact);

    const again = await h.publish('shop', 'd_1', artifact);

    expect(again).toEqual({ files: 6, uploaded: 3, skipped: 3 });
  });

  it('seeds the ISR cache under the project prefix once, never overwriting what revalidation wrote', async () => {
    const cacheBucket = await createBucket(api, 'cache');
    const { host: h } = await host(assetsBucket, cacheBucket);

    await h.publish('shop', 'd_1', artifact);

    const entry = await api.send(new GetObjectCommand({ Bucket: cacheBucket, Key: 'shop/BUILD123/index.cache' }));
    expect(await (entry.Body as { transformToString(): Promise<string> }).transformToString()).toBe('{"type":"app"}');
  });

  it('activate points the KeyValueStore at the deployment, conditional on the ETag it read, retrying a conflict', async () => {
    const { host: h, kvs } = await host(assetsBucket);
    kvs.mock.on(DescribeKeyValueStoreCommand).resolvesOnce({ ETag: 'etag-1', KvsARN: KVS_ARN, Created: new Date() }).resolves({ ETag: 'etag-2', KvsARN: KVS_ARN, Created: new Date() });
    kvs.mock
      .on(PutKeyCommand)
      .rejectsOnce(new ConflictException({ message: 'changed', $metadata: {} }))
      .resolves({ ETag: 'etag-3', ItemCount: 1, TotalSizeInBytes: 10 });

    await h.publish('shop', 'd_2', artifact);
    await h.activate('shop', 'd_2');

    const puts = kvs.mock.commandCalls(PutKeyCommand).map((c) => c.args[0].input);
    // The value names the deployment's top-level public files, which the CloudFront Function routes to the assets bucket.
    const value = JSON.stringify({ p: 'shop/d_2', f: PUBLIC_NAMES });
    expect(puts).toEqual([
      { KvsARN: KVS_ARN, Key: 'shop', Value: value, IfMatch: 'etag-1' },
      { KvsARN: KVS_ARN, Key: 'shop', Value: value, IfMatch: 'etag-2' },
    ]);
  });

  it('refuses, before uploading anything, a deployment whose public names do not fit the KeyValueStore', async () => {
    const { host: h } = await host(assetsBucket);
    const crowded = await mkdtemp(join(tmpdir(), 'anchor-crowded-'));
    await mkdir(join(crowded, 'assets'), { recursive: true });
    for (let i = 0; i < 60; i++) await writeFile(join(crowded, 'assets', `a-rather-long-public-file-name-${i}.txt`), 'x');
    const stored = await new S3Artifacts({ s3: api, bucket: artifactsBucket, projectOf: async () => 'shop' }).store('d_3', { kind: 'directory', path: crowded });
    await rm(crowded, { recursive: true, force: true });

    await expect(h.publish('shop', 'd_3', stored)).rejects.toThrow(/public\/ folder has 60 top-level/);
    expect((await api.send(new ListObjectsV2Command({ Bucket: assetsBucket, Prefix: 'shop/d_3/' }))).KeyCount ?? 0).toBe(0);
  });
});


describe('S3Artifacts on s3rver: the function zips beside the artifact', () => {
  it('stores each function’s bundle as its own zip (index.mjs at the root) next to the artifact, and retention removes all of them', async () => {
    const bucket = await createBucket(api, 'artifacts');
    const artifacts = new S3Artifacts({ s3: api, bucket, projectOf: async () => 'shop' });
    const stored = await artifacts.store('d_9', { kind: 'directory', path: scratch });
    expect(stored.location).toBe(`s3://${bucket}/builds/shop/d_9/open-next.zip`);

    const zip = async (key: string) => {
      const { Body } = await api.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from(await Body!.transformToByteArray());
      return Object.fromEntries(listZip(bytes).map((e) => [e.name, readZipEntry(bytes, e).toString('utf8')]));
    };
    expect(await zip('builds/shop/d_9/server.zip')).toEqual({ 'index.mjs': 'export const handler = () => 1;' });
    // This build has no image optimisation function: no image zip, rather than an empty one.
    await expect(api.send(new HeadObjectCommand({ Bucket: bucket, Key: 'builds/shop/d_9/image.zip' }))).rejects.toThrow();

    await artifacts.remove('d_9');
    expect(await artifacts.get('d_9')).toBeNull();
    await expect(api.send(new HeadObjectCommand({ Bucket: bucket, Key: 'builds/shop/d_9/server.zip' }))).rejects.toThrow();
  });
});
