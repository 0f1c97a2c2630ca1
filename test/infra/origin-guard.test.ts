import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originGuardCode } from '../../infra/stack/origin-guard.js';
import { ORIGIN_GUARD_FILE, ORIGIN_REFUSED_HEADER, ORIGIN_SECRET_HEADER, ORIGIN_SECRETS_ENV } from '../../src/core/origin-guard-wire.js';

/**
 * The origin guard as the buildspec writes it beside OpenNext's index.mjs, loaded by Node as
 * Lambda's runtime loads the Handler, with `awslambda` as the Node runtime provides it. Behind it
 * is a real app module that answers with what it received (headers, body, its own environment),
 * so each test sees exactly what the site would see.
 */
const CURRENT = '0123456789abcdef0123456789abcdef';
const PREVIOUS = 'fedcba9876543210fedcba9876543210';

const dirs: string[] = [];
let prior: unknown;

beforeAll(() => {
  prior = (globalThis as Record<string, unknown>).awslambda;
  (globalThis as Record<string, unknown>).awslambda = {
    streamifyResponse: <T>(fn: T): T => fn,
    HttpResponseStream: {
      from(stream: Writable, prelude: Record<string, unknown>): Writable {
        stream.write(JSON.stringify(prelude));
        stream.write(new Uint8Array(8));
        return stream;
      },
    },
  };
});

afterAll(() => {
  (globalThis as Record<string, unknown>).awslambda = prior;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const APP_STREAM = `
const seenEnv = { secrets: process.env.${ORIGIN_SECRETS_ENV} ?? null };
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-type': 'application/json' } });
  stream.write(JSON.stringify({ headers: event.headers, body: event.body, isBase64Encoded: event.isBase64Encoded, method: event.requestContext.http.method, seenEnv }));
  stream.end();
});`;

const APP_BUFFERED = `
const seenEnv = { secrets: process.env.${ORIGIN_SECRETS_ENV} ?? null };
export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ headers: event.headers, body: event.body, isBase64Encoded: event.isBase64Encoded, method: event.requestContext.http.method, seenEnv }) });`;

interface Seen {
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
  method: string;
  seenEnv: { secrets: string | null };
}

/** A function's folder (guard + app), loaded with `secrets` in its environment as the function host sets it. */
async function load(mode: 'stream' | 'buffered', secrets: string | undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'anchor-guard-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'index.mjs'), mode === 'stream' ? APP_STREAM : APP_BUFFERED);
  writeFileSync(join(dir, ORIGIN_GUARD_FILE), originGuardCode(mode));
  if (secrets === undefined) delete process.env[ORIGIN_SECRETS_ENV];
  else process.env[ORIGIN_SECRETS_ENV] = secrets;
  const module = (await import(pathToFileURL(join(dir, ORIGIN_GUARD_FILE)).href)) as { handler: (...args: unknown[]) => Promise<unknown> };
  const leftInEnv = process.env[ORIGIN_SECRETS_ENV];
  return {
    leftInEnv,
    async call(headers: Record<string, string>, body = '', method = 'GET', isBase64Encoded = false): Promise<{ status: number; seen: Seen | null; text: string; refused?: string }> {
      const event = { version: '2.0', rawPath: '/api/echo', rawQueryString: '', headers: { host: 'abc.lambda-url.ap-southeast-1.on.aws', ...headers }, requestContext: { http: { method, path: '/api/echo' } }, body, isBase64Encoded };
      if (mode === 'buffered') {
        const answer = (await module.handler(event, {})) as { statusCode: number; body: string; headers?: Record<string, string> };
        return { status: answer.statusCode, seen: answer.statusCode === 200 ? (JSON.parse(answer.body) as Seen) : null, text: answer.body, refused: answer.headers?.[ORIGIN_REFUSED_HEADER] };
      }
      const chunks: Buffer[] = [];
      const stream = new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(Buffer.from(chunk));
          done();
        },
      });
      await module.handler(event, stream, {});
      const all = Buffer.concat(chunks);
      const end = all.indexOf(Buffer.alloc(8));
      const prelude = JSON.parse(all.subarray(0, end).toString('utf8')) as { statusCode: number; headers?: Record<string, string> };
      const text = all.subarray(end + 8).toString('utf8');
      return { status: prelude.statusCode, seen: prelude.statusCode === 200 ? (JSON.parse(text) as Seen) : null, text, refused: prelude.headers?.[ORIGIN_REFUSED_HEADER] };
    },
  };
}

describe.each(['stream', 'buffered'] as const)('the origin guard (%s)', (mode) => {
  it('refuses a request without the origin header, or with a wrong one, before the app runs', async () => {
    const fn = await load(mode, `${CURRENT},${PREVIOUS}`);
    const cases: Record<string, string>[] = [{}, { [ORIGIN_SECRET_HEADER]: '' }, { [ORIGIN_SECRET_HEADER]: CURRENT.slice(0, 31) }, { [ORIGIN_SECRET_HEADER]: CURRENT.toUpperCase() }, { [ORIGIN_SECRET_HEADER]: `${CURRENT},${PREVIOUS}` }];
    for (const headers of cases) {
      const answer = await fn.call(headers, 'a=1', 'POST');
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(answer.seen).toBeNull();
      expect(answer.text).toMatch(/CloudFront/);
      expect(answer.refused, 'the mark anchor’s smoke test looks for').toBe('origin-secret');
    }
  });

  it('lets CloudFront’s request reach the app with the header gone and Authorization, method and POST body intact', async () => {
    const fn = await load(mode, `${CURRENT},${PREVIOUS}`);
    const form = 'name=Ada+Lovelace&note=%E2%9C%93';
    const answer = await fn.call({ [ORIGIN_SECRET_HEADER]: CURRENT, authorization: 'Bearer visitor-token', 'content-type': 'application/x-www-form-urlencoded' }, form, 'POST');
    expect(answer.status).toBe(200);
    expect(answer.seen?.method).toBe('POST');
    expect(answer.seen?.body).toBe(form);
    expect(answer.seen?.headers['authorization']).toBe('Bearer visitor-token');
    expect(answer.seen?.headers).not.toHaveProperty(ORIGIN_SECRET_HEADER);
    // A binary upload arrives as Lambda encodes it, byte for byte.
    const bytes = Buffer.from([0, 255, 1, 254, 13, 10, 0]).toString('base64');
    const upload = await fn.call({ [ORIGIN_SECRET_HEADER]: CURRENT, 'content-type': 'application/octet-stream' }, bytes, 'PUT', true);
    expect(upload.seen).toMatchObject({ method: 'PUT', body: bytes, isBase64Encoded: true });
  });

  it('accepts the previous secret during a rotation, and strips the header in any letter case', async () => {
    const fn = await load(mode, `${CURRENT},${PREVIOUS}`);
    const answer = await fn.call({ 'X-Anchor-Origin-Secret': PREVIOUS });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.seen?.headers ?? {}).map((k) => k.toLowerCase())).not.toContain(ORIGIN_SECRET_HEADER);
    // Once the rotation is over the function is published with the new value only.
    const after = await load(mode, CURRENT);
    expect((await after.call({ [ORIGIN_SECRET_HEADER]: PREVIOUS })).status).toBe(403);
  });

  it('takes the accepted values out of the environment before the app loads', async () => {
    const fn = await load(mode, CURRENT);
    expect(fn.leftInEnv).toBeUndefined();
    const answer = await fn.call({ [ORIGIN_SECRET_HEADER]: CURRENT });
    expect(answer.seen?.seenEnv.secrets).toBeNull();
  });

  it('refuses everything when the function has no secret (fails closed)', async () => {
    const fn = await load(mode, undefined);
    expect((await fn.call({ [ORIGIN_SECRET_HEADER]: '' })).status).toBe(403);
    expect((await fn.call({ [ORIGIN_SECRET_HEADER]: 'undefined' })).status).toBe(403);
  });
});
