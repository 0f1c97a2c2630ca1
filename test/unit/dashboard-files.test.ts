import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardFiles } from '../../src/adapters/local/server/dashboard-files.js';
import { http } from '../e2e/local-platform.js';

let dir: string;
let server: Server;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'anchor-dashboard-'));
  mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><div id=app></div>');
  writeFileSync(join(dir, 'dist', 'assets', 'index-B4x9kQ2a.js'), 'console.log(1)');
  // The precompressed copies the dashboard build writes (scripts/bundle-dashboard.mjs).
  writeFileSync(join(dir, 'dist', 'assets', 'index-B4x9kQ2a.js.br'), brotliCompressSync('console.log(1)'));
  writeFileSync(join(dir, 'dist', 'assets', 'index-B4x9kQ2a.js.gz'), gzipSync('console.log(1)'));
  writeFileSync(join(dir, 'dist', 'assets', 'index-C7d8eF9g.css'), 'body{}');
  writeFileSync(join(dir, 'dist', 'favicon.svg'), '<svg/>');
  writeFileSync(join(dir, 'secret.txt'), 'platform secret');
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'dist', 'link.txt'));
  const files = new DashboardFiles(join(dir, 'dist'));
  const missing = new DashboardFiles(join(dir, 'nothing'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const headers = { acceptEncoding: req.headers['accept-encoding'], ifNoneMatch: req.headers['if-none-match'] };
    void (url.searchParams.has('missing') ? missing : files).serve(url.pathname, req.method ?? 'GET', res, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) => http({ method: 'GET', path, headers, port });

describe('the dashboard folder on the platform host', () => {
  it('serves files with their content type; hashed assets cached for good, the rest revalidated', async () => {
    const js = await get('/assets/index-B4x9kQ2a.js');
    expect([js.status, js.headers['content-type'], js.headers['cache-control']]).toEqual([200, 'application/javascript; charset=utf-8', 'public, max-age=31536000, immutable']);
    expect((await get('/assets/index-C7d8eF9g.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    const icon = await get('/favicon.svg');
    expect([icon.headers['content-type'], icon.headers['cache-control']]).toEqual(['image/svg+xml', 'no-cache']);
    const root = await get('/');
    expect([root.status, root.headers['content-type'], root.headers['cache-control'], root.body]).toEqual([200, 'text/html; charset=utf-8', 'no-cache', '<!doctype html><div id=app></div>']);
  });

  it('answers index.html for the app\'s own paths, 404 for a missing hashed asset', async () => {
    const deep = await get('/projects/shop/deployments/d_1');
    expect([deep.status, deep.body]).toEqual([200, '<!doctype html><div id=app></div>']);
    expect((await get('/assets/index-OLDHASH1.js')).status).toBe(404);
  });

  it('never serves what is outside the folder', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/link.txt', '/assets/%2e%2e/%2e%2e/secret.txt']) {
      expect((await get(path)).body).not.toContain('platform secret');
    }
  });

  it('sends the precompressed copy the browser takes, with a CSP that allows only its own origin', async () => {
    const br = await get('/assets/index-B4x9kQ2a.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect([br.headers['content-encoding'], br.headers['vary'], Number(br.headers['content-length'])]).toEqual(['br', 'accept-encoding', brotliCompressSync('console.log(1)').length]);
    expect((await get('/assets/index-B4x9kQ2a.js', { 'accept-encoding': 'gzip, br;q=0' })).headers['content-encoding']).toBe('gzip');
    const plain = await get('/assets/index-B4x9kQ2a.js');
    expect([plain.headers['content-encoding'], plain.body]).toEqual([undefined, 'console.log(1)']);
    // No copy of index.html was written: it goes as it is, whatever the browser takes.
    const page = await get('/', { 'accept-encoding': 'br' });
    expect([page.headers['content-encoding'], page.body]).toEqual([undefined, '<!doctype html><div id=app></div>']);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect((await get('/assets/index-B4x9kQ2a.js.br')).status).toBe(404);
  });

  it('answers 304 to a revalidation of an unchanged index.html', async () => {
    const first = await get('/');
    const again = await get('/', { 'if-none-match': String(first.headers['etag']) });
    expect([again.status, again.body]).toEqual([304, '']);
    expect((await get('/', { 'if-none-match': 'W/"other"' })).status).toBe(200);
  });

  it('says the dashboard is not built when the folder is missing', async () => {
    const page = await get('/?missing');
    expect([page.status, page.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.body).toContain('not built');
  });
});
