import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiHttpClient } from '../../src/adapters/remote/api-http-client.js';
import { AnchorError } from '../../src/core/errors.js';

const TOKEN = 'anc_' + 'x'.repeat(46);
let server: Server;
let origin: string;
const seen: Array<{ path: string; authorization: string | undefined; lastEventId: string | undefined }> = [];
let streamCalls = 0;

function answer(req: IncomingMessage, res: ServerResponse): void {
  seen.push({ path: req.url ?? '', authorization: req.headers.authorization, lastEventId: req.headers['last-event-id'] as string | undefined });
  if (req.url === '/moved') {
    res.writeHead(302, { location: 'http://127.0.0.1:9/elsewhere' }).end();
  } else if (req.url === '/forbidden') {
    res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'SCOPE_INSUFFICIENT', message: 'This needs deploy.', hint: 'Create one with --scope deploy' }));
  } else if (req.url === '/revoked') {
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'TOKEN_REVOKED', message: 'Token "ci" was revoked.', hint: 'Ask for a new one.' }));
  } else if (req.url === '/proxy-page') {
    res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
  } else if (req.url === '/stream') {
    // As API Gateway answers: what there is, then the answer ends; the client comes back for the rest.
    streamCalls += 1;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (streamCalls === 1) res.end('retry: 20\n\nevent: state\ndata: {"state":"building"}\n\nid: 1\nevent: line\ndata: {"seq":1,"text":"one"}\n\nid: 2\nevent: line\ndata: {"seq":2,"text":"two"}\n\n');
    else res.end('id: 3\nevent: line\ndata: {"seq":3,"text":"three"}\n\n: keep-alive\n\nevent: end\ndata: {"state":"live"}\n\n');
  } else {
    res.writeHead(404).end();
  }
}

beforeAll(async () => {
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function failure(run: () => Promise<unknown>): Promise<AnchorError> {
  try {
    await run();
  } catch (error) {
    return error as AnchorError;
  }
  throw new Error('expected a failure');
}

describe('the CLI\'s client of a remote platform API', () => {
  const client = () => new ApiHttpClient(origin, TOKEN, 'anchor login http://127.0.0.1 --name test');

  it('maps the API\'s {code, message, hint} back to the AnchorError of its kind', async () => {
    const forbidden = await failure(() => client().call('POST', '/forbidden', {}));
    expect([forbidden.code, forbidden.kind, forbidden.message, forbidden.hint]).toEqual(['SCOPE_INSUFFICIENT', 'auth', 'This needs deploy.', 'Create one with --scope deploy']);
    const revoked = await failure(() => client().call('GET', '/revoked'));
    expect([revoked.code, revoked.kind]).toEqual(['TOKEN_REVOKED', 'auth']);
    expect(revoked.hint).toContain('anchor login http://127.0.0.1 --name test');
    const proxy = await failure(() => client().call('GET', '/proxy-page'));
    expect([proxy.code, proxy.kind]).toEqual(['HTTP_502', 'external']);
  });

  it('does not follow a redirect with the token', async () => {
    const before = seen.length;
    const moved = await failure(() => client().call('GET', '/moved'));
    expect([moved.code, moved.kind]).toEqual(['API_REDIRECTED', 'external']);
    expect(seen.slice(before).map((s) => s.path)).toEqual(['/moved']);
  });

  it('says a platform is unreachable without the token in the message', async () => {
    const down = await failure(() => new ApiHttpClient('http://127.0.0.1:9', TOKEN, 'anchor login').call('GET', '/api/v1/projects'));
    expect([down.code, down.kind]).toEqual(['PLATFORM_UNREACHABLE', 'external']);
    expect(`${down.message} ${down.hint}`).not.toContain(TOKEN);
  });

  it('follows a stream the server closes after each answer, coming back with Last-Event-ID until the end', async () => {
    const events = [];
    for await (const event of client().events('/stream', { after: 0, signal: new AbortController().signal })) events.push(event);
    expect(events.map((e) => [e.event, e.data])).toEqual([
      ['state', { state: 'building' }],
      ['line', { seq: 1, text: 'one' }],
      ['line', { seq: 2, text: 'two' }],
      ['line', { seq: 3, text: 'three' }],
      ['end', { state: 'live' }],
    ]);
    const calls = seen.filter((s) => s.path === '/stream');
    expect(calls.map((c) => c.lastEventId)).toEqual(['0', '2']);
    expect(calls.every((c) => c.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });
});
