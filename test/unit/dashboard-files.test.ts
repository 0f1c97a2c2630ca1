import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  writeFileSync(join(dir, 'dist', 'assets', 'index-C7d8eF9g.css'), 'body{}');
  writeFileSync(join(dir, 'dist', 'favicon.svg'), '<svg/>');
  writeFileSync(join(dir, 'secret.txt'), 'platform secret');
  symlinkSync(join(dir, 'secret.txt'), join(dir, 'dist', 'link.txt'));
  const files = new DashboardFiles(join(dir, 'dist'));
  const missing = new DashboardFiles(join(dir, 'nothing'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    void (url.searchParams.has('missing') ? missing : files).serve(url.pathname, req.method ?? 'GET', res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string) => http({ method: 'GET', path, headers: {}, port });

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

  it('says the dashboard is not built when the folder is missing', async () => {
    const page = await get('/?missing');
    expect([page.status, page.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.body).toContain('not built');
  });
});
