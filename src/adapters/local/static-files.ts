import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse, IncomingMessage } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript; charset=utf-8',
  '.mjs': 'application/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

export function contentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** OpenNext's cache rules: content-hashed `_next/**` files forever, other public files revalidated. */
export function cacheControl(urlPath: string): string {
  return urlPath.startsWith('/_next/') ? 'public,max-age=31536000,immutable' : 'public,max-age=0,s-maxage=31536000,must-revalidate';
}

/** Resolves a URL path inside `root`, or null if it escapes it or is not a file. */
export async function findStaticFile(root: string, urlPath: string): Promise<{ file: string; size: number; mtime: Date } | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const file = normalize(join(root, decoded));
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return null;
  try {
    const info = await stat(file);
    return info.isFile() ? { file, size: info.size, mtime: info.mtime } : null;
  } catch {
    return null;
  }
}

export async function sendStaticFile(req: IncomingMessage, res: ServerResponse, found: { file: string; size: number; mtime: Date }, urlPath: string): Promise<void> {
  const etag = `W/"${found.size.toString(16)}-${found.mtime.getTime().toString(16)}"`;
  const headers = { 'content-type': contentType(found.file), 'cache-control': cacheControl(urlPath), etag, 'last-modified': found.mtime.toUTCString() };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': found.size });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (found.size < 64 * 1024) {
    res.end(await readFile(found.file));
    return;
  }
  await new Promise<void>((resolve) => {
    const stream = createReadStream(found.file);
    stream.on('error', () => res.destroy());
    res.on('close', resolve);
    stream.pipe(res);
  });
}
