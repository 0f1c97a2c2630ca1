import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAnchorError } from '../../src/core/errors.js';
import { prepareRuntimeDir, startHandlerProcess as startProcess, type HandlerProcess, type RuntimeDir, type StartHandlerInput } from '../../src/adapters/local/runtime/handler-process.js';
import { ensureHandlerChildBuilt } from './handler-child-build.js';
import { sampleBuild } from './sample-build.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** The body's chunks in arrival order. */
  chunks: string[];
}

/** A request to a handler at 127.0.0.1 with the Host a site would have (`sample.localhost:<port>`). */
function request(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; onFirstChunk?: () => void } = {},
): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: { host: `sample.localhost:${url.port}`, ...options.headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          if (chunks.length === 0) options.onFirstChunk?.();
          chunks.push(chunk);
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8'), chunks: chunks.map((c) => c.toString('utf8')) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Other test runs may rebuild (or clean) dist/ meanwhile: make sure the child program is there. */
async function startHandlerProcess(input: StartHandlerInput): Promise<HandlerProcess> {
  await ensureHandlerChildBuilt();
  return startProcess(input);
}

const renderedAt = (html: string): string => /id="rendered-at">([^<]+)</.exec(html)?.[1] ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('OpenNext handlers in child processes (real sample app build)', () => {
  const root = mkdtempSync(join(tmpdir(), 'anchor-opennext-runtime-'));
  const started: HandlerProcess[] = [];
  let runtime: RuntimeDir;
  let server: HandlerProcess;
  let image: HandlerProcess;
  const logs: string[] = [];

  beforeAll(async () => {
    const build = await sampleBuild();
    runtime = await prepareRuntimeDir(build.openNextDir, join(root, 'runtime'));
    const onLog = (line: string) => logs.push(line);
    [server, image] = await Promise.all([
      startHandlerProcess({ bundleDir: runtime.serverDir, kind: 'server', env: { GREETING: 'Hello from the test' }, onLog }),
      startHandlerProcess({ bundleDir: runtime.imageDir, kind: 'image', env: {}, onLog }),
    ]);
    started.push(server, image);
  }, 900_000);

  afterAll(async () => {
    await Promise.all(started.map((p) => p.stop(2_000)));
    rmSync(root, { recursive: true, force: true });
  });

  it('renders / with the runtime env it was given', async () => {
    const answer = await request(server.url, '/');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toContain('text/html');
    expect(answer.text).toContain('<h1 id="greeting">Hello from the test</h1>');
    expect(answer.text).toMatch(/id="version">version: (<!-- -->)?v1</);
  });

  it('answers /api/hello with JSON', async () => {
    const answer = await request(server.url, '/api/hello');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toContain('application/json');
    expect(JSON.parse(answer.text)).toEqual({ hello: 'world', greeting: 'Hello from the test' });
  });

  it('gives the site the protocol its visitor used in request.url (a redirect built from it keeps it)', async () => {
    for (const proto of ['http', 'https']) {
      const answer = await request(server.url, '/api/back-home', { headers: { 'x-forwarded-proto': proto } });
      expect(answer.status).toBe(307);
      expect(answer.headers.location).toBe(`${proto}://sample.localhost:${new URL(server.url).port}/`);
    }
  });

  it('passes request bodies and cookies in, and Set-Cookie out', async () => {
    const answer = await request(server.url, '/api/hello', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', cookie: 'flavour=mint; other=1' },
      body: 'ping ✓',
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual({ received: 'ping ✓', flavour: 'mint' });
    expect(answer.headers['set-cookie']).toEqual(['seen=1; Path=/']);
  });

  it('sends the body the wrapper compressed, with a matching content-encoding and no stale length', async () => {
    const answer = await request(server.url, '/', { headers: { 'accept-encoding': 'gzip' } });
    expect(answer.headers['content-encoding']).toBe('gzip');
    expect(answer.headers['content-length']).toBeUndefined();
    expect(gunzipSync(answer.body).toString('utf8')).toContain('Hello from the test');
  });

  it('streams a page: the shell arrives before its slow part', async () => {
    const answer = await request(server.url, '/stream');
    expect(answer.status).toBe(200);
    expect(answer.chunks[0]).toContain('streaming shell');
    expect(answer.chunks[0]).not.toContain('slow part done');
    expect(answer.text).toContain('slow part done');
  });

  it('regenerates the ISR page in the background after it goes stale', { timeout: 60_000 }, async () => {
    const first = renderedAt((await request(server.url, '/isr')).text);
    expect(first).not.toBe('');
    await sleep(6_000);
    // This request gets the stale page and starts the regeneration; later ones see the new one.
    await request(server.url, '/isr');
    let latest = first;
    for (let i = 0; i < 40 && latest === first; i++) {
      await sleep(250);
      latest = renderedAt((await request(server.url, '/isr')).text);
    }
    expect(latest).not.toBe(first);
    expect(Date.parse(latest)).toBeGreaterThan(Date.parse(first));
  });

  it('optimises a public image through the image handler', async () => {
    const answer = await request(image.url, '/_next/image?url=%2Fanchor.png&w=64&q=75', { headers: { accept: 'image/webp,image/*' } });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^image\//);
    expect(answer.body.length).toBeGreaterThan(0);
  });

  it('answers a missing image 500 and keeps serving: the image loader stream error fails only that request', async () => {
    let exited = false;
    void image.exited.then(() => (exited = true));
    const missing = await request(image.url, '/_next/image?url=%2Fnope.png&w=64&q=75', { headers: { accept: 'image/webp,image/*' } });
    expect(missing.status).toBe(500);
    const answer = await request(image.url, '/_next/image?url=%2Fanchor.png&w=32&q=75', { headers: { accept: 'image/webp,image/*' } });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^image\//);
    expect(exited).toBe(false);
    expect(logs.join('\n')).toContain("ENOENT: no such file or directory, open '");
    // The failed request counts as finished: stopping does not wait for it (a SIGKILL after the grace would show).
    await image.stop(20_000);
    expect(await image.exited).toEqual({ code: 0, signal: null });
  });

  it('finishes a request in flight when stopped, then exits', { timeout: 60_000 }, async () => {
    const victim = await startHandlerProcess({ bundleDir: runtime.serverDir, kind: 'server', env: {} });
    started.push(victim);
    let stopping: Promise<void> | undefined;
    const answer = await request(victim.url, '/stream', { onFirstChunk: () => (stopping = victim.stop(30_000)) });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('slow part done');
    await stopping;
    expect(await victim.exited).toEqual({ code: 0, signal: null });
    await expect(request(victim.url, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('says why when a bundle crashes while loading', async () => {
    const broken = join(root, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'index.mjs'), "throw new Error('boom while loading the bundle');\n");
    const error = await startHandlerProcess({ bundleDir: broken, kind: 'server', env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAnchorError(error) && error.code).toBe('HANDLER_START_FAILED');
    expect((error as Error).message).toContain('boom while loading the bundle');
  });
});
