import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookRequest, WebhookResponse } from '../../../core/use-cases/receive-webhook.js';
import type { Logger } from '../../../core/ports/system.js';
import type { LocalFunctionHost } from '../runtime/local-function-host.js';
import type { ApiFront } from './api-front.js';
import type { CustomDomainFront } from './custom-domain-front.js';
import { Edge } from './edge.js';

/** GitHub sends at most 25 MB; anything larger is refused before it is read. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

/**
 * How long a client may take to send a request's headers (every route), and a webhook's body.
 * GitHub sends a delivery at once; a sender that trickles it in holds a connection for nothing.
 */
export const HEADERS_TIMEOUT_MS = 10_000;
export const WEBHOOK_BODY_TIMEOUT_MS = 10_000;

export interface PlatformServerOptions {
  functions: LocalFunctionHost;
  webhook: (request: WebhookRequest) => Promise<WebhookResponse>;
  logger: Logger;
  maxWebhookBytes?: number;
  headersTimeoutMs?: number;
  webhookBodyTimeoutMs?: number;
  /** How long the edge waits for a site's function (Lambda's timeout on AWS). */
  functionTimeoutMs?: { server: number; image: number };
  /** Custom domains (ACME answers, redirects, sites by Host); without it only `*.localhost` is served. */
  domains?: Pick<CustomDomainFront, 'front'>;
  /** The platform API and the dashboard, on the platform host only. */
  platform?: Pick<ApiFront, 'serve'>;
}

/**
 * `anchor server`'s one port: a request for `<project>.localhost` is the project's live site
 * (the edge); anything else is the platform: webhooks, health, the HTTP API and the dashboard
 * (api-front.ts, owner-scoped tokens). The operator's control API is not here:
 * it listens on a Unix socket in the platform dir (control-socket.ts), out of every site's reach.
 */
export class PlatformServer {
  private readonly server: Server;
  private readonly edge: Edge;

  constructor(private readonly options: PlatformServerOptions) {
    this.edge = new Edge(options.functions, options.functionTimeoutMs);
    const headersTimeout = options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS;
    // Node answers 408 and closes a connection whose headers are late; it looks every second
    // (its default of 30 s would let a trickling sender stay four times longer than allowed).
    this.server = createServer({ headersTimeout, requestTimeout: Math.max(300_000, headersTimeout), connectionsCheckingInterval: Math.min(1_000, headersTimeout) }, this.requestListener);
    this.server.keepAliveTimeout = 5000;
  }

  /** Every request, from the HTTP port or the HTTPS one (src/adapters/local/tls), is handled here. */
  readonly requestListener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch((error: unknown) => {
      this.options.logger.error('request failed', { url: req.url, error: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end('anchor: internal error\n');
      else res.destroy();
    });
  };

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * Stops listening; requests in flight get `graceMs` to finish (a page still rendering, a
   * stream), then their connections are cut: a shutdown never waits on a visitor.
   */
  async close(graceMs = 5_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const cut = setTimeout(() => this.server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(cut);
    this.edge.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = (req.headers.host ?? '').toLowerCase();
    const hostname = host.replace(/:\d+$/, '');
    const site = /^([a-z0-9-]+)\.localhost$/.exec(hostname);
    if (site?.[1]) return this.edge.serve(site[1], host, req, res);
    const url = new URL(req.url ?? '/', 'http://platform');
    const custom = this.options.domains?.front(req, res, hostname, url.pathname);
    if (custom === 'answered') return;
    if (custom) return this.edge.serve(custom.serve, host, req, res);
    const webhook = /^\/webhook\/([^/]+)\/?$/.exec(url.pathname);
    if (webhook?.[1]) {
      if (req.method !== 'POST') return json(res, 405, { message: 'Webhooks are POST requests.' });
      const projectId = decodedSegment(webhook[1]);
      if (projectId === null) return json(res, 404, { message: `No project with id ${webhook[1]} on this platform.` });
      return this.receiveWebhook(projectId, req, res);
    }
    if (url.pathname === '/health') return json(res, 200, { ok: true });
    if (this.options.platform && (await this.options.platform.serve(req, res, hostname, url))) return;
    return json(res, 404, { message: `Nothing here. Sites are served at http://<project>.localhost${host.includes(':') ? `:${host.split(':')[1]}` : ''}/; webhooks at POST /webhook/<projectId>.` });
  }

  private async receiveWebhook(projectId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const limit = this.options.maxWebhookBytes ?? MAX_WEBHOOK_BYTES;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return tooLarge(req, res, limit);
    const body = await readBody(req, limit, this.options.webhookBodyTimeoutMs ?? WEBHOOK_BODY_TIMEOUT_MS);
    if (body === 'late') return closeWith(req, res, 408, { message: 'The body did not arrive in time; GitHub sends a delivery at once.' });
    if (!body) return tooLarge(req, res, limit);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const answer = await this.options.webhook({ projectId, headers, body });
    json(res, answer.status, answer.body);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** A URL path segment, percent-decoded; null when its encoding is broken. */
function decodedSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * The whole body; null once it passes `limit`, 'late' when it has not all arrived within
 * `timeoutMs` (the rest is left unread either way). Events, not an async iterator: this is the
 * webhook's hot path.
 */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer | null | 'late'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (answer: null | 'late') => {
      clearTimeout(timer);
      req.off('data', onData);
      req.pause();
      resolve(answer);
    };
    const timer = setTimeout(() => stop('late'), timeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      stop(null);
    };
    req.on('data', onData);
    req.once('end', () => {
      clearTimeout(timer);
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    });
    req.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // A sender that hangs up mid-body: nothing to answer, and nothing is queued.
    req.once('close', () => {
      clearTimeout(timer);
      if (!req.complete) reject(new Error('the sender closed the connection before the whole body arrived'));
    });
  });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  closeWith(req, res, 413, { message: `Payloads over ${limit} bytes are refused (GitHub sends at most 25 MB).` });
}

/** Answers, then closes the connection rather than read the rest of the body. */
function closeWith(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  res.setHeader('connection', 'close');
  json(res, status, body);
  res.on('finish', () => req.destroy());
}
