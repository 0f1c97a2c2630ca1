import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { toFunctionUrlEvent } from '../../src/adapters/local/runtime/function-url-event.js';
import type { FunctionUrlEvent } from '../../src/core/lambda-wire.js';
import { HTTP_INTEGRATION_RESPONSE, LambdaResponseStream } from '../../src/adapters/local/runtime/lambda-response-stream.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function get(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

describe('LambdaResponseStream', () => {
  it('turns a prelude split across writes into the status and headers, and streams the rest', async () => {
    const url = await serve((_req, res) => {
      const stream = new LambdaResponseStream(res);
      stream.setContentType(HTTP_INTEGRATION_RESPONSE);
      const prelude = JSON.stringify({
        statusCode: 201,
        headers: { 'Content-Type': 'text/plain', 'content-length': '999', 'content-encoding': 'identity', 'x-kept': 'yes' },
        cookies: ['a=1; Path=/', 'b=2'],
      });
      stream.write(prelude.slice(0, 10));
      stream.write(prelude.slice(10) + '\0\0\0');
      stream.write(Buffer.alloc(5));
      // A body may itself start with NUL bytes: only the first 8 belong to the separator.
      stream.write(Buffer.from([0, 0, 104, 105]));
      stream.end('!');
    });
    const answer = await get(url);
    expect(answer.status).toBe(201);
    expect(answer.headers.get('content-type')).toBe('text/plain');
    expect(answer.headers.get('x-kept')).toBe('yes');
    expect(answer.headers.get('content-length')).toBeNull();
    expect(answer.headers.get('content-encoding')).toBeNull();
    expect(answer.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);
    expect([...answer.body]).toEqual([0, 0, 104, 105, 33]);
  });

  it('keeps a real content-encoding and tells caches it varies', async () => {
    const url = await serve((_req, res) => {
      const stream = new LambdaResponseStream(res);
      stream.setContentType(HTTP_INTEGRATION_RESPONSE);
      stream.write(JSON.stringify({ statusCode: 200, headers: { 'content-encoding': 'gzip', vary: 'rsc' } }));
      stream.write(new Uint8Array(8));
      stream.end();
    });
    const response = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
    expect(response.headers.get('vary')).toBe('rsc, Accept-Encoding');
    // fetch would try to gunzip the (empty) body; the header is what matters here.
    expect(response.headers.get('content-encoding')).toBe('gzip');
  });

  it('answers a prelude with no body, and sends unannounced bytes as a plain 200', async () => {
    const empty = await serve((_req, res) => {
      const stream = new LambdaResponseStream(res);
      stream.setContentType(HTTP_INTEGRATION_RESPONSE);
      stream.end(Buffer.concat([Buffer.from(JSON.stringify({ statusCode: 304, headers: {} })), Buffer.alloc(8)]));
    });
    expect((await get(empty)).status).toBe(304);

    const raw = await serve((_req, res) => {
      const stream = new LambdaResponseStream(res);
      stream.setContentType('application/json');
      stream.end('{"warm":true}');
    });
    const answer = await get(raw);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.body.toString()).toBe('{"warm":true}');
  });

  it('answers 502 when the function ends without finishing its prelude', async () => {
    const url = await serve((_req, res) => {
      const stream = new LambdaResponseStream(res);
      stream.setContentType(HTTP_INTEGRATION_RESPONSE);
      stream.end('{"statusCode":200');
    });
    expect((await get(url)).status).toBe(502);
  });
});

describe('toFunctionUrlEvent', () => {
  it('builds a payload 2.0 event: raw path and query, cookies apart, base64 body, http forwarded proto', async () => {
    let event: FunctionUrlEvent | undefined;
    const url = await serve((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        event = toFunctionUrlEvent(req, Buffer.concat(chunks));
        res.end();
      });
    });
    await fetch(`${url}/a%20b/c?x=1&y=%2F`, { method: 'POST', headers: { cookie: 'k=v; m=n', 'X-Custom': 'Yes' }, body: 'héllo' });
    expect(event).toMatchObject({
      version: '2.0',
      rawPath: '/a%20b/c',
      rawQueryString: 'x=1&y=%2F',
      cookies: ['k=v', 'm=n'],
      isBase64Encoded: true,
      requestContext: { http: { method: 'POST', sourceIp: '127.0.0.1' } },
    });
    expect(Buffer.from(event?.body ?? '', 'base64').toString()).toBe('héllo');
    expect(event?.headers['x-custom']).toBe('Yes');
    expect(event?.headers['x-forwarded-proto']).toBe('http');
    expect(event?.headers.cookie).toBeUndefined();
    expect(event?.headers.connection).toBeUndefined();
  });
});
