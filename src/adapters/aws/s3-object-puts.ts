import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';
import { SignatureV4 } from '@smithy/signature-v4';
import { AnchorError } from '../../core/errors.js';

export interface ObjectHeaders {
  ContentType: string;
  CacheControl?: string;
}

/** Where a bucket's objects go, as the client's own endpoint rules resolve it; null when they need more than SigV4. */
interface BucketTarget {
  url: URL;
  signer: SignatureV4;
}

const ATTEMPTS = 3;
/** An error answer is read up to this much (its XML names the code and message). */
const ERROR_BODY_BYTES = 64 * 1024;
/** S3 answers these (and 5xx) to a request worth sending again. */
const RETRYABLE_CODES = new Set(['RequestTimeout', 'RequestTimeTooSkewed', 'SlowDown', 'InternalError', 'ServiceUnavailable', 'Throttling', 'ThrottlingException']);

/**
 * PUTs of small objects straight over keep-alive HTTP, signed with the SDK's own SigV4 signer, to
 * the URL the client's own endpoint rules give (region, partition, FIPS, dual-stack, path style
 * and a custom endpoint all as the client has them) and with the client's credentials and clock
 * offset. A static publish is a thousand PUTs of a few kB each: through the SDK's middleware stack
 * each one costs more of this process's CPU than of S3's, so the stack, not S3, was what limited
 * the upload rate. Each request's body hash is signed (`x-amz-content-sha256`), so S3 refuses a
 * body that changed on the way. Network errors, 5xx and S3's throttling and clock-skew answers are
 * retried (3 attempts in all, with backoff); any other answer fails with S3's code and message. A
 * bucket whose endpoint needs another signing scheme (S3 Express, multi-region access points)
 * goes through the SDK's PutObject.
 */
export class S3ObjectPuts {
  private readonly targets = new Map<string, Promise<BucketTarget | null>>();
  private readonly agents: { http: HttpAgent; https: HttpsAgent };
  private clockOffsetMs: number;

  constructor(
    private readonly s3: S3Client,
    sockets: number,
  ) {
    this.agents = { http: new HttpAgent({ keepAlive: true, maxSockets: sockets }), https: new HttpsAgent({ keepAlive: true, maxSockets: sockets }) };
    this.clockOffsetMs = s3.config.systemClockOffset ?? 0;
  }

  async put(bucket: string, key: string, body: Buffer, headers: ObjectHeaders): Promise<void> {
    let target = this.targets.get(bucket);
    if (!target) {
      target = this.resolve(bucket);
      this.targets.set(bucket, target);
    }
    const resolved = await target;
    if (!resolved) {
      await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...headers }));
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.send(resolved, key, body, headers);
      if (outcome.ok) return;
      if (outcome.skewMs !== undefined) this.clockOffsetMs = outcome.skewMs;
      if (!outcome.retryable || attempt >= ATTEMPTS) {
        throw new AnchorError({
          code: 'ASSET_UPLOAD_FAILED',
          kind: 'external',
          message: `Uploading s3://${bucket}/${key} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${outcome.reason}`,
          hint: 'Nothing went live. Check the bucket exists and the deploy role may write to it, then redeploy.',
          details: { bucket, key, attempts: attempt },
        });
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1) * (0.5 + Math.random())));
    }
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private async resolve(bucket: string): Promise<BucketTarget | null> {
    const endpoint = await getEndpointFromInstructions({ Bucket: bucket, Key: 'k' }, PutObjectCommand, this.s3.config);
    const schemes = (endpoint.properties?.authSchemes ?? []) as { name?: string; signingName?: string; signingRegion?: string }[];
    const scheme = schemes[0];
    const extraHeaders = Object.keys(endpoint.headers ?? {}).length > 0;
    if (!scheme || scheme.name !== 'sigv4' || extraHeaders || (endpoint.url.protocol !== 'https:' && endpoint.url.protocol !== 'http:')) return null;
    const region = scheme.signingRegion ?? (await this.s3.config.region());
    const signer = new SignatureV4({ credentials: this.s3.config.credentials, region, service: scheme.signingName ?? 's3', sha256: NodeSha256, uriEscapePath: false, applyChecksum: true });
    return { url: endpoint.url, signer };
  }

  private async send(target: BucketTarget, key: string, body: Buffer, headers: ObjectHeaders): Promise<{ ok: true } | { ok: false; retryable: boolean; reason: string; skewMs?: number }> {
    const { url } = target;
    const base = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
    const path = `${base}${encodeKey(key)}`;
    const host = url.port ? `${url.hostname}:${url.port}` : url.hostname;
    const unsigned = {
      method: 'PUT',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path,
      query: {},
      headers: { host, 'content-type': headers.ContentType, 'content-length': String(body.length), ...(headers.CacheControl ? { 'cache-control': headers.CacheControl } : {}) } as Record<string, string>,
      body,
    };
    let signed: typeof unsigned;
    try {
      signed = (await target.signer.sign(unsigned, { signingDate: new Date(Date.now() + this.clockOffsetMs) })) as typeof unsigned;
    } catch (error) {
      throw new AnchorError({ code: 'AWS_CREDENTIALS', kind: 'auth', message: `No AWS credentials to sign the upload to ${url.hostname}: ${error instanceof Error ? error.message : String(error)}`, hint: 'Check the deploy role (or AWS_PROFILE) has credentials.', cause: error });
    }
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = url.protocol === 'https:' ? this.agents.https : this.agents.http;
    return new Promise((resolve) => {
      const req = request({ agent, hostname: url.hostname, port: url.port || undefined, method: 'PUT', path, headers: signed.headers }, (res) => {
        if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
          res.resume();
          res.once('end', () => resolve({ ok: true }));
          res.once('error', (error) => resolve({ ok: false, retryable: true, reason: error.message }));
          return;
        }
        void readError(res).then(resolve);
      });
      req.once('error', (error) => resolve({ ok: false, retryable: true, reason: error.message }));
      req.end(body);
    });
  }
}

/** S3's error document: `<Error><Code>…</Code><Message>…</Message></Error>` (a HEAD-less PUT always has one, but a proxy may not). */
async function readError(res: IncomingMessage): Promise<{ ok: false; retryable: boolean; reason: string; skewMs?: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (size < ERROR_BODY_BYTES) chunks.push(chunk);
      size += chunk.length;
    }
  } catch {
    // What arrived is enough to say what failed.
  }
  const text = Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES).toString('utf8');
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]{1,500})<\/Message>/.exec(text)?.[1];
  const status = res.statusCode ?? 0;
  const retryable = status >= 500 || status === 429 || (code !== undefined && RETRYABLE_CODES.has(code));
  const serverDate = code === 'RequestTimeTooSkewed' && typeof res.headers.date === 'string' ? Date.parse(res.headers.date) : NaN;
  return { ok: false, retryable, reason: `${status} ${code ?? 'no error code'}${message ? `: ${message}` : ''}`, ...(Number.isFinite(serverDate) ? { skewMs: serverDate - Date.now() } : {}) };
}

/** An object key as S3's REST path carries it: each segment percent-encoded (RFC 3986), slashes kept. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** The SigV4 signer's hash: SHA-256, or HMAC-SHA-256 when given a secret, from node:crypto. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}
