import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { edgeFunctionCode } from '../../infra/stack/project-code.js';
import { projectTemplate } from '../../infra/stack/project-template.js';
import { S3Artifacts } from '../../src/adapters/aws/s3-artifacts.js';
import { S3StaticHost } from '../../src/adapters/aws/s3-static-host.js';
import type { Behaviour, Origin } from '../../src/core/opennext-output.js';
import type { ArtifactInfo } from '../../src/core/ports/artifacts.js';
import { createBucket, s3Client, startS3rver, type Emulator } from './emulators.js';
import { mockKeyValueStore } from './sdk-mocks.js';

/**
 * A tab opened on one deployment keeps loading that deployment's hashed chunks after a deploy
 * or a rollback flips the site. The deployments are published to s3rver and flipped through the
 * KeyValueStore (stateful fake); every request goes through the CloudFront Function's own code,
 * run in Node as cloudfront-js-2.0 runs it, and the URI it rewrites to is fetched from the bucket.
 */
const KVS_ARN = 'arn:aws:cloudfront::111122223333:key-value-store/0f9a7e2b-5d7c-4c1e-9a8b-123456789abc';

let s3: Emulator;
let api: S3Client;
let scratch: string;
const artifacts: Record<string, ArtifactInfo> = {};

/** Each build's own chunk (content-hashed name) and build manifest (under its build id). */
const builds: Record<string, Record<string, string>> = {
  d_1: { 'assets/_next/static/chunks/page-aaaa11.js': 'page of d_1', 'assets/_next/static/BUILD1/_buildManifest.js': 'manifest 1', 'assets/favicon.ico': 'ico 1' },
  d_2: { 'assets/_next/static/chunks/page-bbbb22.js': 'page of d_2', 'assets/_next/static/BUILD2/_buildManifest.js': 'manifest 2', 'assets/favicon.ico': 'ico 2' },
  d_3: { 'assets/_next/static/chunks/page-cccc33.js': 'page of d_3', 'assets/_next/static/BUILD3/_buildManifest.js': 'manifest 3', 'assets/favicon.ico': 'ico 3' },
};

beforeAll(async () => {
  s3 = await startS3rver();
  api = s3Client(s3.endpoint);
  scratch = await mkdtemp(join(tmpdir(), 'anchor-open-tabs-'));
  const bucket = await createBucket(api, 'artifacts');
  const store = new S3Artifacts({ s3: api, bucket });
  for (const [id, files] of Object.entries(builds)) {
    const dir = join(scratch, id);
    for (const [path, content] of Object.entries({ 'open-next.output.json': '{}', 'server-functions/default/index.mjs': 'export const handler = () => 1;', ...files })) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    artifacts[id] = await store.store({ projectName: 'shop', deploymentId: id }, { kind: 'directory', path: dir });
  }
});

afterAll(async () => {
  api?.destroy();
  await s3?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** The distribution's behaviours as `projects add` deploys them. */
const behaviours: Behaviour[] = (
  projectTemplate({ stage: 'dev', project: 'shop', platform: { artifactsBucket: 'a', assetsBucket: 'b', cacheBucket: 'c' } }).Resources['Distribution']?.Properties as { DistributionConfig: { CacheBehaviors: { PathPattern: string; TargetOriginId: Origin }[] } }
).DistributionConfig.CacheBehaviors.map((b) => ({ pattern: b.PathPattern, origin: b.TargetOriginId }));

/** What a browser gets for `uri`: the CloudFront Function rewrites it, the assets origin (the bucket) answers. */
function site(kvs: ReturnType<typeof mockKeyValueStore>, bucket: string) {
  const { before, after } = edgeFunctionCode('shop', behaviours);
  const code = `${before}KVS${after}`.replace("import cf from 'cloudfront';", '');
  const cf = {
    kvs: () => ({ get: async (key: string) => kvs.store.keys.get(key) ?? Promise.reject(new Error(`The key ${key} does not exist.`)) }),
    selectRequestOriginById: () => {},
  };
  const handler = new Function('cf', `${code}\nreturn handler;`)(cf) as (event: unknown) => Promise<{ uri: string }>;
  return async (uri: string): Promise<string | number> => {
    const request = await handler({ version: '1.0', request: { method: 'GET', uri, querystring: {}, headers: { host: { value: 'shop.example.com' } }, cookies: {} } });
    try {
      const object = await api.send(new GetObjectCommand({ Bucket: bucket, Key: request.uri.slice(1) }));
      return await object.Body!.transformToString();
    } catch {
      return 404;
    }
  };
}

describe('open tabs across a flip (CloudFront Function + S3StaticHost on s3rver)', () => {
  it('serves the outgoing deployment’s chunks after a deploy and after a rollback, and new chunks from the live one', async () => {
    const bucket = await createBucket(api, 'assets');
    const kvs = mockKeyValueStore(KVS_ARN);
    const host = new S3StaticHost({ s3: api, assetsBucket: bucket, kvs: kvs.client, keyValueStoreArn: async () => KVS_ARN, concurrency: 4 });
    const get = site(kvs, bucket);
    const deploy = async (id: string) => {
      await host.publish('shop', id, artifacts[id]!);
      await host.activate('shop', id);
    };

    await deploy('d_1');
    expect(await get('/_next/static/chunks/page-aaaa11.js')).toBe('page of d_1');

    // A tab opened on d_1 keeps going after d_2 goes live; new tabs get d_2's files.
    await deploy('d_2');
    expect(await get('/_next/static/chunks/page-aaaa11.js')).toBe('page of d_1');
    expect(await get('/_next/static/BUILD1/_buildManifest.js')).toBe('manifest 1');
    expect(await get('/_next/static/chunks/page-bbbb22.js')).toBe('page of d_2');
    // Public (unhashed) files are the live deployment's own.
    expect(await get('/favicon.ico')).toBe('ico 2');

    // Rollback to d_1: a tab opened on d_2 keeps its chunks.
    await host.activate('shop', 'd_1');
    expect(await get('/_next/static/chunks/page-bbbb22.js')).toBe('page of d_2');
    expect(await get('/_next/static/chunks/page-aaaa11.js')).toBe('page of d_1');
    expect(await get('/favicon.ico')).toBe('ico 1');

    // Only the outgoing deployment's own files are carried, not what it carried in: storage stays bounded.
    await host.activate('shop', 'd_2');
    await deploy('d_3');
    expect(await get('/_next/static/chunks/page-bbbb22.js')).toBe('page of d_2');
    expect(await get('/_next/static/chunks/page-aaaa11.js')).toBe(404);
    // The list of own files is not a public name.
    expect(JSON.parse(kvs.store.keys.get('shop')!)).toEqual({ p: 'shop/d_3', f: ['favicon.ico'] });
  });
});
