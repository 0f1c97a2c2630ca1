import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import type { ServerResponse, IncomingMessage } from 'node:http';
import { join, normalize, sep } from 'node:path';
import { cacheControl, contentType } from '../../../core/asset-headers.js';

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
    // The edge reads with the server's rights: a link in the deployment never leads it out of it.
    const [real, realRoot] = await Promise.all([realpath(file), realpath(root)]);
    if (!real.startsWith(realRoot + sep)) return null;
    const info = await stat(real);
    return info.isFile() ? { file: real, size: info.size, mtime: info.mtime } : null;
  } catch {
    return null;
  }
}

interface CachedFile {
  body: Buffer;
  headers: Record<string, string | number>;
  etag: string;
}

/** What an entry costs beside its key and body: the map slot, the object, its headers. */
const ENTRY_OVERHEAD_BYTES = 160;

/**
 * Small static files held in memory, and the paths that are not files (a miss goes on to the
 * server function). A deployment's files never change (each deployment has its own directory), so
 * an entry is valid for as long as it is kept; the oldest go once the whole passes `maxBytes`,
 * counting keys as well as bodies: the URLs are the visitors', and a stream of long random paths
 * would otherwise fill memory with misses.
 */
export class StaticFileCache {
  private readonly entries = new Map<string, CachedFile | null>();
  private bytes = 0;

  constructor(
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly maxFileBytes = 512 * 1024,
  ) {}

  /** Serves `urlPath` from `root` if it is a file there; false when it is not (the caller goes on). */
  async serve(req: IncomingMessage, res: ServerResponse, root: string, urlPath: string): Promise<boolean> {
    const key = `${root}\0${urlPath}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      const found = await findStaticFile(root, urlPath);
      if (found && found.size > this.maxFileBytes) {
        await sendStaticFile(req, res, found, urlPath);
        return true;
      }
      entry = found ? await this.load(found, urlPath) : null;
      this.remember(key, entry);
    }
    if (entry === null) return false;
    if (req.headers['if-none-match'] === entry.etag) {
      res.writeHead(304, entry.headers).end();
    } else {
      res.writeHead(200, { ...entry.headers, 'content-length': entry.body.length });
      res.end(req.method === 'HEAD' ? undefined : entry.body);
    }
    return true;
  }

  private async load(found: { file: string; size: number; mtime: Date }, urlPath: string): Promise<CachedFile> {
    const etag = etagOf(found);
    return { body: await readFile(found.file), etag, headers: { 'content-type': contentType(found.file), 'cache-control': cacheControl(urlPath), etag, 'last-modified': found.mtime.toUTCString() } };
  }

  /** How much is held: entries, and their bytes as counted against `maxBytes`. */
  get footprint(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private remember(key: string, entry: CachedFile | null): void {
    const previous = this.entries.get(key);
    if (previous !== undefined) this.bytes -= costOf(key, previous);
    this.entries.set(key, entry);
    this.bytes += costOf(key, entry);
    for (const [oldKey, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldKey);
      this.bytes -= costOf(oldKey, old);
    }
  }
}

/** A key is a one-byte string (URL paths are ASCII once percent-encoded); a body is its bytes. */
function costOf(key: string, entry: CachedFile | null): number {
  return key.length + ENTRY_OVERHEAD_BYTES + (entry?.body.length ?? 0);
}

function etagOf(found: { size: number; mtime: Date }): string {
  return `W/"${found.size.toString(16)}-${found.mtime.getTime().toString(16)}"`;
}

export async function sendStaticFile(req: IncomingMessage, res: ServerResponse, found: { file: string; size: number; mtime: Date }, urlPath: string): Promise<void> {
  const etag = etagOf(found);
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
