import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join, normalize } from 'node:path';
import { contentType } from '../../../core/asset-headers.js';
import { realPathInside } from '../../../lib/real-path-inside.js';

/** A file whose name carries its content hash (Vite's `assets/index-B4x9kQ2a.js`) never changes. */
export function isHashedAsset(urlPath: string): boolean {
  return urlPath.startsWith('/assets/') || /[.-][0-9A-Za-z_]{8,}\.[0-9a-z]+$/.test(urlPath.slice(urlPath.lastIndexOf('/') + 1));
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>anchor</title>
<p>The anchor dashboard is not built on this machine (no dist/dashboard/ folder).</p>
<p>The API answers at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>; run <code>npm run build</code> in anchor's folder to build the dashboard.</p>
`;

/**
 * The dashboard's static folder (dist/dashboard/), served on the platform host: its files with
 * their content type, hashed assets cached for good, and index.html for every other path (the
 * app routes in the browser). No folder: a plain page that says so.
 */
export class DashboardFiles {
  constructor(private readonly dir: string) {}

  async serve(urlPath: string, method: string, res: ServerResponse): Promise<void> {
    const headers = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };
    const file = await this.find(urlPath);
    if (file === 'no-folder') {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(NOT_BUILT) });
      res.end(method === 'HEAD' ? undefined : NOT_BUILT);
      return;
    }
    if (file === null) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('Not found.\n');
      return;
    }
    const body = await readFile(file.path);
    const cache = file.fallback || !isHashedAsset(urlPath) ? 'no-cache' : 'public, max-age=31536000, immutable';
    res.writeHead(200, { ...headers, 'content-type': contentType(file.path), 'cache-control': cache, 'content-length': body.length });
    res.end(method === 'HEAD' ? undefined : body);
  }

  private async find(urlPath: string): Promise<{ path: string; fallback: boolean } | null | 'no-folder'> {
    const index = join(this.dir, 'index.html');
    if (!(await isFile(index))) return 'no-folder';
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.includes('\0')) return null;
    const wanted = join(this.dir, normalize(decoded).replace(/^(\.\.(\/|$))+/, ''));
    if (decoded !== '/' && (await isFile(wanted))) {
      const inside = await realPathInside(this.dir, wanted);
      if (inside) return { path: inside, fallback: false };
    }
    // An asset that is not there is a 404 (a stale page asking for an old bundle), not the app.
    if (isHashedAsset(decoded)) return null;
    return { path: index, fallback: true };
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}
