import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { WebhookRequest, WebhookResponse } from '../../../core/use-cases/receive-webhook.js';
import type { Logger } from '../../../core/ports/system.js';
import type { LocalFunctionHost } from '../runtime/local-function-host.js';
import type { CustomDomainFront } from './custom-domain-front.js';
import { Edge } from './edge.js';

/** GitHub sends at most 25 MB; anything larger is refused before it is read. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

export type ControlHandler = (action: string, body: unknown) => Promise<unknown>;

export interface PlatformServerOptions {
  functions: LocalFunctionHost;
  webhook: (request: WebhookRequest) => Promise<WebhookResponse>;
  /** Operations the CLI asks of the running server (rollback's function swaps). */
  control: ControlHandler;
  controlToken: string;
  logger: Logger;
  maxWebhookBytes?: number;
  /** Custom domains (ACME answers, redirects, sites by Host); without it only `*.localhost` is served. */
  domains?: Pick<CustomDomainFront, 'front'>;
}

/**
 * `anchor server`'s one port: a request for `<project>.localhost` is the project's live site
 * (the edge); anything else is the platform: webhooks, health, the control API.
 */
export class PlatformServer {
  private readonly server: Server;
  private readonly edge: Edge;

  constructor(private readonly options: PlatformServerOptions) {
    this.edge = new Edge(options.functions);
    this.server = createServer(this.requestListener);
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

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
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
      return this.receiveWebhook(decodeURIComponent(webhook[1]), req, res);
    }
    if (url.pathname === '/health') return json(res, 200, { ok: true });
    const control = /^\/_anchor\/control\/([a-z]+)$/.exec(url.pathname);
    if (control?.[1] && req.method === 'POST') return this.serveControl(control[1], req, res);
    return json(res, 404, { message: `Nothing here. Sites are served at http://<project>.localhost${host.includes(':') ? `:${host.split(':')[1]}` : ''}/; webhooks at POST /webhook/<projectId>.` });
  }

  private async receiveWebhook(projectId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const limit = this.options.maxWebhookBytes ?? MAX_WEBHOOK_BYTES;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return tooLarge(req, res, limit);
    const body = await readBody(req, limit);
    if (!body) return tooLarge(req, res, limit);
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const answer = await this.options.webhook({ projectId, headers, body });
    json(res, answer.status, answer.body);
  }

  private async serveControl(action: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const given = Buffer.from(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
    const expected = Buffer.from(this.options.controlToken);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return json(res, 401, { message: 'Bad control token.' });
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    try {
      const result = await this.options.control(action, JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      json(res, 200, result ?? {});
    } catch (error) {
      json(res, 500, { message: error instanceof Error ? error.message : String(error), code: (error as { code?: string }).code ?? 'INTERNAL' });
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** The whole body, or null once it passes `limit` (the rest is left unread). Events, not an async iterator: this is the webhook's hot path. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
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
    req.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.once('error', reject);
    // A sender that hangs up mid-body: nothing to answer, and nothing is queued.
    req.once('close', () => {
      if (!req.complete) reject(new Error('the sender closed the connection before the whole body arrived'));
    });
  });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  // Answer, then close the connection rather than read the rest of the body.
  res.setHeader('connection', 'close');
  json(res, 413, { message: `Payloads over ${limit} bytes are refused (GitHub sends at most 25 MB).` });
  res.on('finish', () => req.destroy());
}
