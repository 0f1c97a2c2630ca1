import { createHash } from 'node:crypto';
import { contentType } from '../asset-headers.js';

/**
 * Where the built dashboard's files are (dist/dashboard/ locally, a content-addressed prefix in
 * S3 on aws). Contract: `name` is a relative path the caller has already checked (segments of
 * letters, digits, `.`, `_`, `-`, none starting with a dot), e.g. `index.html` or
 * `assets/app-3KQ7ZP2M.js`, or such a name plus `.br`/`.gz` for its precompressed copy; the
 * answer is the file's bytes, or null when there is no such file. It never reads outside its folder.
 */
export interface DashboardSource {
  read(name: string): Promise<Uint8Array | null>;
}

export interface DashboardRequest {
  /** The URL path, not decoded. */
  path: string;
  method: string;
  acceptEncoding?: string | undefined;
  ifNoneMatch?: string | undefined;
}

export interface DashboardAnswer {
  status: number;
  headers: Record<string, string>;
  /** Empty for HEAD and 304. */
  body: Uint8Array;
}

/**
 * The dashboard loads one script and one stylesheet of its own and talks only to its own origin
 * (fetch and EventSource to /api/v1): everything else is refused, and no page may frame it.
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS = { 'content-security-policy': DASHBOARD_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' } as const;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const COMPRESSIBLE = /^(text\/|application\/(javascript|json|manifest\+json|xml)|image\/svg\+xml)/;
/** The precompressed copies the dashboard build writes beside each text file, best first. */
const ENCODINGS = [
  { token: 'br', suffix: '.br' },
  { token: 'gzip', suffix: '.gz' },
] as const;

/** A file whose name carries its content hash (`assets/app-B4x9kQ2a.js`) never changes. */
export function isHashedAsset(urlPath: string): boolean {
  return urlPath.startsWith('/assets/') || urlPath.startsWith('assets/') || /[.-][0-9A-Za-z_]{8,}\.[0-9a-z]+$/.test(urlPath.slice(urlPath.lastIndexOf('/') + 1));
}

/** The file a URL path names ('' for the root), or null for a path no dashboard file can have (`..`, dot files, odd bytes). */
export function dashboardFileName(urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (!decoded.startsWith('/')) return null;
  const segments = decoded.slice(1).split('/');
  if (segments.length === 1 && segments[0] === '') return '';
  return segments.every((s) => /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(s)) ? segments.join('/') : null;
}

/**
 * One dashboard request on either backend: the file (its precompressed copy when the browser
 * takes it), `index.html` for the app's own paths (it routes in the browser), 404 for a missing
 * hashed asset (a stale page asking for an old bundle), and `notBuilt` when there is no dashboard
 * at all. Hashed assets are cached for good; index.html and the rest are revalidated (ETag).
 */
export async function dashboardResponse(source: DashboardSource, request: DashboardRequest, notBuilt: string): Promise<DashboardAnswer> {
  const name = dashboardFileName(request.path);
  // Precompressed copies are served only as the encoding of their file.
  if (name === null || /\.(br|gz)$/.test(name)) return notFound();
  let file = name === '' || name === 'index.html' ? null : await source.read(name);
  let served = name;
  if (file === null) {
    if (name !== '' && name !== 'index.html' && isHashedAsset(name)) return notFound();
    served = 'index.html';
    file = await source.read(served);
    if (file === null) return page(200, notBuilt, request.method);
  }
  const type = contentType(served);
  const etag = `W/"${createHash('sha256').update(file).digest('base64url').slice(0, 22)}"`;
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': served !== 'index.html' && isHashedAsset(served) ? IMMUTABLE : 'no-cache', etag };
  let body = file;
  if (COMPRESSIBLE.test(type)) {
    headers.vary = 'accept-encoding';
    const accepted = acceptedEncodings(request.acceptEncoding);
    for (const encoding of ENCODINGS) {
      if (!accepted.has(encoding.token)) continue;
      const compressed = await source.read(`${served}${encoding.suffix}`);
      if (compressed === null) continue;
      body = compressed;
      headers['content-encoding'] = encoding.token;
      break;
    }
  }
  if (request.ifNoneMatch !== undefined && request.ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')) {
    return { status: 304, headers, body: new Uint8Array() };
  }
  headers['content-length'] = String(body.length);
  return { status: 200, headers, body: request.method === 'HEAD' ? new Uint8Array() : body };
}

/** The content codings an Accept-Encoding header takes (q > 0). */
export function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (q !== undefined && !(Number(q) > 0)) continue;
    if (token === '*') for (const e of ENCODINGS) accepted.add(e.token);
    else accepted.add(token);
  }
  return accepted;
}

function notFound(): DashboardAnswer {
  return page(404, 'Not found.\n', 'GET', 'text/plain; charset=utf-8');
}

function page(status: number, text: string, method: string, type = 'text/html; charset=utf-8'): DashboardAnswer {
  const body = new TextEncoder().encode(text);
  return { status, headers: { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store', 'content-length': String(body.length) }, body: method === 'HEAD' ? new Uint8Array() : body };
}
