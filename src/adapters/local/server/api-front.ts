import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ApiRouter } from '../../../core/api/api-router.js';
import { bodyTooLarge, errorStatus } from '../../../core/api/api-router.js';
import type { ApiResponse } from '../../../core/api/api-types.js';
import type { DashboardFiles } from './dashboard-files.js';

export interface ApiFrontOptions {
  router: ApiRouter;
  dashboard: DashboardFiles;
  /** The platform's host names (the public URL's, localhost, the listen address): the API answers on no other Host. */
  platformHosts: () => ReadonlySet<string>;
}

/**
 * The platform host's own pages on the local server: `/api/…` (the core's router) and the
 * dashboard's static files for every other GET. Sites and webhooks are routed before this.
 */
export class ApiFront {
  constructor(private readonly options: ApiFrontOptions) {}

  /** False when the request is not the platform's (another Host), so the caller answers it. */
  async serve(req: IncomingMessage, res: ServerResponse, hostname: string, url: URL): Promise<boolean> {
    if (!this.options.platformHosts().has(hostname)) return false;
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      await this.api(req, res, url);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    await this.options.dashboard.serve(url.pathname, req.method, res, { acceptEncoding: header(req.headers['accept-encoding']), ifNoneMatch: header(req.headers['if-none-match']) });
    return true;
  }

  private async api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const limit = this.options.router.limits.maxBodyBytes;
    let body: string | null = null;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const read = await readLimited(req, limit);
      if (read === null) {
        const error = bodyTooLarge(limit);
        res.setHeader('connection', 'close');
        write(res, { status: errorStatus(error), headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ code: error.code, message: error.message, hint: error.hint }) });
        res.on('finish', () => req.destroy());
        return;
      }
      body = read;
    }
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const answer = await this.options.router.handle({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers,
      body,
      ip: req.socket.remoteAddress ?? 'unknown',
      secure: (req.socket as TLSSocket).encrypted === true,
      signal: abort.signal,
    });
    if (!answer.stream) return write(res, answer);
    res.writeHead(answer.status, answer.headers);
    res.flushHeaders();
    try {
      for await (const chunk of answer.stream) {
        if (abort.signal.aborted) break;
        res.write(chunk);
      }
    } finally {
      res.end();
    }
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function write(res: ServerResponse, answer: ApiResponse): void {
  res.writeHead(answer.status, { ...answer.headers, ...(answer.body === undefined ? {} : { 'content-length': Buffer.byteLength(answer.body) }) });
  res.end(answer.body);
}

/** The body as text; null once it passes `limit` bytes (declared or sent), the rest left unread. */
function readLimited(req: IncomingMessage, limit: number): Promise<string | null> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      resolve(null);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}
