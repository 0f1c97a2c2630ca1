import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectPuts } from '../../src/adapters/aws/s3-object-puts.js';
import { AnchorError } from '../../src/core/errors.js';
import { createBucket, s3Client, startS3rver, TEST_REGION, type Emulator } from './emulators.js';
import { startS3Proxy, type SeenRequest } from './s3-proxy.js';

let s3rver: Emulator;
let api: S3Client;

beforeAll(async () => {
  s3rver = await startS3rver();
  api = s3Client(s3rver.endpoint);
});

afterAll(async () => {
  api?.destroy();
  await s3rver?.stop();
});

async function read(bucket: string, key: string) {
  const object = await api.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: Buffer.from(await object.Body!.transformToByteArray()), contentType: object.ContentType, cacheControl: object.CacheControl };
}

/** A client of the proxy in front of s3rver, as S3StaticHost gets one (path style, custom endpoint). */
function proxiedClient(endpoint: string, sessionToken?: string) {
  return new S3Client({ endpoint, region: TEST_REGION, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', ...(sessionToken ? { sessionToken } : {}) } });
}

describe('S3ObjectPuts on s3rver', () => {
  it('stores each object under its exact key, with its headers, whatever characters the key has', async () => {
    const bucket = await createBucket(api, 'puts');
    const puts = new S3ObjectPuts(api, 4);
    const keys = ['shop/d_1/_next/static/chunks/app/(shop)/[slug]/page-3f2a.js', 'shop/d_1/images/a photo+1 (final)!.png', 'shop/d_1/docs/résumé*ünïcode~.txt', 'shop/d_1/a%20b?c=d&e#f.txt'];
    try {
      await Promise.all(keys.map((key, i) => puts.put(bucket, key, Buffer.from(`body ${i}`), { ContentType: 'text/plain; charset=utf-8', CacheControl: 'public,max-age=31536000,immutable' })));
    } finally {
      puts.close();
    }

    for (const [i, key] of keys.entries()) {
      const object = await read(bucket, key);
      expect(object.body.toString()).toBe(`body ${i}`);
      expect(object.contentType).toBe('text/plain; charset=utf-8');
      expect(object.cacheControl).toBe('public,max-age=31536000,immutable');
    }
  });

  it('signs exactly what it sends: the request on the wire verifies against the same credentials, session token included', async () => {
    const proxy = await startS3Proxy(s3rver.endpoint, () => null);
    const client = proxiedClient(proxy.endpoint, 'session-token-1');
    const bucket = await createBucket(api, 'signed');
    const puts = new S3ObjectPuts(client, 2);
    try {
      await puts.put(bucket, 'shop/d_1/images/a photo (1).png', Buffer.from('png'), { ContentType: 'image/png' });
    } finally {
      puts.close();
      client.destroy();
      await proxy.close();
    }

    const [seen] = proxy.seen.filter((r) => r.method === 'PUT');
    expect(seen?.path).toBe(`/${bucket}/shop/d_1/images/a%20photo%20%281%29.png`);
    expect(seen?.headers['x-amz-security-token']).toBe('session-token-1');
    expect(seen?.headers['x-amz-content-sha256']).toBe(createHash('sha256').update('png').digest('hex'));
    expect(seen?.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=S3RVER/\\d{8}/${TEST_REGION}/s3/aws4_request, SignedHeaders=`));
    expect(seen?.headers.authorization).toBe(await resign(seen!));
  });

  it('sends a throttled or failed request again, and the object arrives once', async () => {
    let refused = 0;
    const proxy = await startS3Proxy(s3rver.endpoint, (req) => (req.method === 'PUT' && refused++ < 2 ? { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' } : null));
    const client = proxiedClient(proxy.endpoint);
    const bucket = await createBucket(api, 'retry');
    const puts = new S3ObjectPuts(client, 2);
    try {
      await puts.put(bucket, 'shop/d_1/robots.txt', Buffer.from('User-agent: *'), { ContentType: 'text/plain' });
    } finally {
      puts.close();
      client.destroy();
      await proxy.close();
    }

    expect(proxy.seen.filter((r) => r.method === 'PUT')).toHaveLength(3);
    expect((await read(bucket, 'shop/d_1/robots.txt')).body.toString()).toBe('User-agent: *');
  });

  it('fails with S3\'s code and message, without retrying, when S3 refuses the object', async () => {
    const proxy = await startS3Proxy(s3rver.endpoint, (req) => (req.method === 'PUT' ? { status: 403, code: 'AccessDenied', message: 'Access Denied' } : null));
    const client = proxiedClient(proxy.endpoint);
    const bucket = await createBucket(api, 'denied');
    const puts = new S3ObjectPuts(client, 2);
    try {
      const failure = await puts.put(bucket, 'shop/d_1/robots.txt', Buffer.from('x'), { ContentType: 'text/plain' }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(AnchorError);
      expect(failure).toMatchObject({ code: 'ASSET_UPLOAD_FAILED', kind: 'external', message: `Uploading s3://${bucket}/shop/d_1/robots.txt failed: 403 AccessDenied: Access Denied` });
      expect((failure as AnchorError).hint).toMatch(/Nothing went live/);
    } finally {
      puts.close();
      client.destroy();
      await proxy.close();
    }
    expect(proxy.seen.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  it('fails after three attempts when S3 keeps answering 500', async () => {
    const proxy = await startS3Proxy(s3rver.endpoint, (req) => (req.method === 'PUT' ? { status: 500, code: 'InternalError', message: 'We encountered an internal error.' } : null));
    const client = proxiedClient(proxy.endpoint);
    const puts = new S3ObjectPuts(client, 2);
    try {
      await expect(puts.put('any-bucket', 'k.txt', Buffer.from('x'), { ContentType: 'text/plain' })).rejects.toThrow('Uploading s3://any-bucket/k.txt failed after 3 attempts: 500 InternalError: We encountered an internal error.');
    } finally {
      puts.close();
      client.destroy();
      await proxy.close();
    }
    expect(proxy.seen).toHaveLength(3);
  });
});

/** The SigV4 signature of a request as received, computed again with the same date and credentials. */
async function resign(seen: SeenRequest): Promise<string | undefined> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sessionToken: 'session-token-1' },
    region: TEST_REGION,
    service: 's3',
    uriEscapePath: false,
    applyChecksum: true,
    sha256: class {
      private readonly hash;
      constructor(secret?: string | Uint8Array) {
        this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
      }
      update(data: string | Uint8Array) {
        this.hash.update(data);
      }
      async digest() {
        return new Uint8Array(this.hash.digest());
      }
    } as never,
  });
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(seen.headers.authorization ?? '')?.[1]?.split(';') ?? [];
  const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(seen.headers[name])]));
  const amzDate = headers['x-amz-date'] ?? '';
  const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const signed = await signer.sign({ method: 'PUT', protocol: 'http:', hostname: '127.0.0.1', path: seen.path, query: {}, headers, body: seen.body }, { signingDate: date });
  return signed.headers.authorization;
}
