import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaticFileCache } from '../../src/adapters/local/runtime/static-files.js';

let root: string;
let server: Server;
let port: number;
let cache: StaticFileCache;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'anchor-static-'));
  mkdirSync(join(root, '_next', 'static'), { recursive: true });
  writeFileSync(join(root, '_next', 'static', 'app.js'), 'console.log("app");\n');
  cache = new StaticFileCache(1024 * 1024);
  // The edge's use of it: a file is served, anything else goes on (404 here).
  server = createServer((req, res) => {
    void cache.serve(req, res, root, (req.url ?? '/').split('?')[0] ?? '/').then((served) => {
      if (!served) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

/** The heap in use after a full collection (the flag exposes `gc` to a fresh context). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

function head(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const agentless = request({ host: '127.0.0.1', port, method: 'HEAD', path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    agentless.on('error', reject);
    agentless.end();
  });
}

describe('the static file cache', () => {
  it('stays within its bytes, keys included, under a stream of long random paths that are not files', async () => {
    const pathBytes = 14 * 1024;
    await head('/warm-up');
    const before = heapAfterGc();
    for (let i = 0; i < 1500; i++) {
      expect(await head(`/_next/${randomBytes(pathBytes / 2).toString('hex')}`)).toBe(404);
    }
    // What the process really holds: kept keys would be 21 MB more.
    expect(heapAfterGc() - before).toBeLessThan(8 * 1024 * 1024);
    const { entries, bytes } = cache.footprint;
    // 1500 misses of 14 KB are 21 MB of keys; a 1 MB cache holds at most some 70 of them.
    expect(entries * pathBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(bytes).toBeLessThanOrEqual(1024 * 1024);
    // And it still caches and serves files.
    expect(await head('/_next/static/app.js')).toBe(200);
    expect(await head('/_next/static/app.js')).toBe(200);
  }, 60_000);
});
