import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAnchorError } from '../../src/core/errors.js';
import { prepareRuntimeDir, startHandlerProcess as startProcess, type HandlerProcess, type HandlerKind, type RuntimeDir } from '../../src/adapters/local/runtime/handler-process.js';
import { socketPathOf } from '../../src/adapters/local/runtime/function-socket.js';
import { testSandboxes } from '../fakes/test-sandboxes.js';
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

/** Where the site's own callbacks (ISR revalidation) go, as the edge would take them: set per suite. */
let edgePort = 0;

/** A request to a handler on its socket with the Host a site would have (`sample.localhost:<edge port>`). */
function request(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; onFirstChunk?: () => void } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: socketPathOf(base), path, method: options.method ?? 'GET', headers: { host: `sample.localhost:${edgePort}`, ...options.headers }, agent: false },
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


const renderedAt = (html: string): string => /id="rendered-at">([^<]+)</.exec(html)?.[1] ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Start = (input: { bundleDir: string; kind: HandlerKind; env: Record<string, string>; onLog?: (line: string) => void }) => Promise<HandlerProcess>;

/**
 * The same handlers as this process's user and in the strongest sandbox this machine offers (as
 * `anchor server` runs them): a real Next.js server must work in it, ISR writes and sharp included.
 */
describe.each(['unsandboxed', 'sandboxed'] as const)('OpenNext handlers in child processes (real sample app build, %s)', (how) => {
  const root = mkdtempSync(join(tmpdir(), 'anchor-opennext-runtime-'));
  const started: HandlerProcess[] = [];
  const sandbox = how === 'sandboxed' ? testSandboxes() : null;
  let runtime: RuntimeDir;
  let server: HandlerProcess;
  let image: HandlerProcess;
  let startHandlerProcess: Start;
  let processes = 0;
  let edge: http.Server | undefined;
  const logs: string[] = [];

  beforeAll(async () => {
    const build = await sampleBuild();
    await ensureHandlerChildBuilt();
    const place = sandbox ? await sandbox.places.forDeployment('sample', 'd_sample') : null;
    runtime = await prepareRuntimeDir(build.openNextDir, place?.runtimeDir ?? join(root, 'runtime'));
    await place?.prepared(runtime.root);
    startHandlerProcess = (input) => {
      const socketPath = join(place?.socketDir ?? root, `d_sample.${input.kind}-${(processes += 1)}`);
      return startProcess({ ...input, socketPath, ...(place ? { sandbox: place.sandbox, ...(place.childEntry ? { childEntry: place.childEntry } : {}) } : {}) });
    };
    const onLog = (line: string) => logs.push(line);
    [server, image] = await Promise.all([
      startHandlerProcess({ bundleDir: runtime.serverDir, kind: 'server', env: { GREETING: 'Hello from the test' }, onLog }),
      startHandlerProcess({ bundleDir: runtime.imageDir, kind: 'image', env: {}, onLog }),
    ]);
    started.push(server, image);
    // The edge's part for the site calling itself back (ISR revalidation): TCP in, the server's socket out.
    edge = http.createServer((req, res) => {
      const upstream = http.request({ socketPath: socketPathOf(server.url), path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => edge?.listen(0, '127.0.0.1', resolve));
    edgePort = (edge.address() as AddressInfo).port;
  }, 900_000);

  afterAll(async () => {
    edge?.close();
    await Promise.all(started.map((p) => p.stop(2_000)));
    await sandbox?.close(['sample']);
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
      expect(answer.headers.location).toBe(`${proto}://sample.localhost:${edgePort}/`);
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

  it('optimises a public image through the image handler (sharp converts it to WebP)', async () => {
    const answer = await request(image.url, '/_next/image?url=%2Fanchor.png&w=64&q=75', { headers: { accept: 'image/webp,image/*' } });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('image/webp');
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
    await expect(request(victim.url, '/')).rejects.toThrow(/ECONNREFUSED|ENOENT/);
  });

  it('says why when a bundle crashes while loading', async () => {
    // Inside the deployment's folder: the only one its sandbox sees.
    const broken = join(runtime.root, 'broken');
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
