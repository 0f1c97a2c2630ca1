import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFrontKeyValueStoreClient, ConflictException, DescribeKeyValueStoreCommand, PutKeyCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Artifacts } from '../../src/adapters/aws/s3-artifacts.js';
import { S3StaticHost } from '../../src/adapters/aws/s3-static-host.js';
import { listZip, readZipEntry } from '../../src/adapters/aws/zip-archive.js';
import type { ArtifactInfo } from '../../src/core/ports/artifacts.js';
import { createBucket, s3Client, startS3rver, TEST_CREDENTIALS, TEST_REGION, type Emulator } from './emulators.js';
import { startS3Proxy } from './s3-proxy.js';

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
  artifact = await new S3Artifacts({ s3: api, bucket: artifactsBucket }).store({ projectName: 'shop', deploymentId: 'd_1' }, { kind: 'directory', path: scratch });
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

  it('a refused upload fails the publish with S3\'s reason, writes no own-static list and flips nothing; publishing again completes it', async () => {
    let refusing = true;
    const proxy = await startS3Proxy(s3.endpoint, (req) => (refusing && req.method === 'PUT' && req.path.endsWith('/robots.txt') ? { status: 403, code: 'AccessDenied', message: 'Access Denied' } : null));
    const client = new S3Client({ endpoint: proxy.endpoint, region: TEST_REGION, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const kvs = kvsClient();
    const h = new S3StaticHost({ s3: client, assetsBucket, kvs: kvs.client, keyValueStoreArn: async () => KVS_ARN, concurrency: 4, multipartBytes: 5 * 1024 * 1024 });
    const listed = async () => ((await api.send(new ListObjectsV2Command({ Bucket: assetsBucket, Prefix: 'shop/d_4/' }))).Contents ?? []).map((o) => o.Key);
    try {
      await expect(h.publish('shop', 'd_4', artifact)).rejects.toMatchObject({ code: 'ASSET_UPLOAD_FAILED', message: `Uploading s3://${assetsBucket}/shop/d_4/robots.txt failed: 403 AccessDenied: Access Denied` });
      expect(await listed()).not.toContain('shop/d_4/.anchor/own-static.json');
      expect(kvs.mock.commandCalls(PutKeyCommand)).toHaveLength(0);

      refusing = false;
      const again = await h.publish('shop', 'd_4', artifact);
      expect(again.uploaded + again.skipped).toBe(6);
      expect(await listed()).toEqual(expect.arrayContaining(['shop/d_4/robots.txt', 'shop/d_4/.anchor/own-static.json']));
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it('a refused part of a multipart upload fails the publish, naming the file', async () => {
    const proxy = await startS3Proxy(s3.endpoint, (req) => (req.method === 'PUT' && req.path.includes('partNumber=') ? { status: 500, code: 'InternalError', message: 'part refused' } : null));
    const client = new S3Client({ endpoint: proxy.endpoint, region: TEST_REGION, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const h = new S3StaticHost({ s3: client, assetsBucket, kvs: kvsClient().client, keyValueStoreArn: async () => KVS_ARN, concurrency: 4, multipartBytes: 5 * 1024 * 1024 });
    try {
      await expect(h.publish('shop', 'd_5', artifact)).rejects.toMatchObject({ code: 'ASSET_UPLOAD_FAILED', message: expect.stringMatching(new RegExp(`^Uploading s3://${assetsBucket}/shop/d_5/_next/static/media/hero-5e6f7a.bin \\(6.0 MiB, in parts\\) failed: `)) });
      // (s3rver answers the SDK's AbortMultipartUpload with MethodNotAllowed, so the reason shown there is the abort's.)
      const listed = ((await api.send(new ListObjectsV2Command({ Bucket: assetsBucket, Prefix: 'shop/d_5/' }))).Contents ?? []).map((o) => o.Key);
      expect(listed).not.toContain('shop/d_5/_next/static/media/hero-5e6f7a.bin');
      expect(listed).not.toContain('shop/d_5/.anchor/own-static.json');
    } finally {
      client.destroy();
      await proxy.close();
    }
  });

  it('refuses, before uploading anything, a deployment whose public names do not fit the KeyValueStore', async () => {
    const { host: h } = await host(assetsBucket);
    const crowded = await mkdtemp(join(tmpdir(), 'anchor-crowded-'));
    await mkdir(join(crowded, 'assets'), { recursive: true });
    for (let i = 0; i < 60; i++) await writeFile(join(crowded, 'assets', `a-rather-long-public-file-name-${i}.txt`), 'x');
    const stored = await new S3Artifacts({ s3: api, bucket: artifactsBucket }).store({ projectName: 'shop', deploymentId: 'd_3' }, { kind: 'directory', path: crowded });
    await rm(crowded, { recursive: true, force: true });

    await expect(h.publish('shop', 'd_3', stored)).rejects.toThrow(/public\/ folder has 60 top-level/);
    expect((await api.send(new ListObjectsV2Command({ Bucket: assetsBucket, Prefix: 'shop/d_3/' }))).KeyCount ?? 0).toBe(0);
  });
});


describe('S3Artifacts on s3rver: the function zips beside the artifact', () => {
  it('stores each function’s bundle as its own zip (index.mjs at the root) next to the artifact, and retention removes all of them', async () => {
    const bucket = await createBucket(api, 'artifacts');
    const artifacts = new S3Artifacts({ s3: api, bucket });
    const stored = await artifacts.store({ projectName: 'shop', deploymentId: 'd_9' }, { kind: 'directory', path: scratch });
    expect(stored.location).toBe(`s3://${bucket}/builds/shop/d_9/open-next.zip`);

    const zip = async (key: string) => {
      const { Body } = await api.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from(await Body!.transformToByteArray());
      return Object.fromEntries(listZip(bytes).map((e) => [e.name, readZipEntry(bytes, e).toString('utf8')]));
    };
    expect(await zip('builds/shop/d_9/server.zip')).toEqual({ 'index.mjs': 'export const handler = () => 1;' });
    // This build has no image optimisation function: no image zip, rather than an empty one.
    await expect(api.send(new HeadObjectCommand({ Bucket: bucket, Key: 'builds/shop/d_9/image.zip' }))).rejects.toThrow();

    await artifacts.remove({ projectName: 'shop', deploymentId: 'd_9' });
    expect(await artifacts.get({ projectName: 'shop', deploymentId: 'd_9' })).toBeNull();
    await expect(api.send(new HeadObjectCommand({ Bucket: bucket, Key: 'builds/shop/d_9/server.zip' }))).rejects.toThrow();
  });

  it('files an artifact under the project the caller names, looking nothing up', async () => {
    const bucket = await createBucket(api, 'artifacts');
    const artifacts = new S3Artifacts({ s3: api, bucket });

    const stored = await artifacts.store({ projectName: 'blog', deploymentId: 'd_7' }, { kind: 'directory', path: scratch });

    expect(stored.location).toBe(`s3://${bucket}/builds/blog/d_7/open-next.zip`);
    expect(await artifacts.get({ projectName: 'blog', deploymentId: 'd_7' })).toEqual(stored);
    expect(await artifacts.get({ projectName: 'shop', deploymentId: 'd_7' })).toBeNull();
  });
});
