import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { FunctionUrlEvent } from '../../../core/lambda-wire.js';

// Lambda never passes connection-level headers on to a function.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/**
 * Turns one HTTP request into the event a Function URL would deliver. Cookies move from the
 * `cookie` header into `cookies[]` (the converter joins them back), and `x-forwarded-proto`
 * says `http` unless a proxy in front already set it: the converter always builds `https://`
 * URLs, and Next uses the forwarded protocol for redirects.
 */
export function toFunctionUrlEvent(req: IncomingMessage, body: Buffer, now: Date = new Date()): FunctionUrlEvent {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const rawPath = query === -1 ? url : url.slice(0, query);
  const rawQueryString = query === -1 ? '' : url.slice(query + 1);
  const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (name === 'cookie') {
      const list = (Array.isArray(value) ? value.join('; ') : value).split(/;\s*/).filter((c) => c !== '');
      if (list.length > 0) cookies = list;
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-for'] ??= sourceIp;
  const host = headers['x-forwarded-host'] ?? headers.host ?? 'localhost';

  const event: FunctionUrlEvent = {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'anchor-local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: { method: req.method ?? 'GET', path: rawPath, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: body.length > 0,
  };
  if (cookies !== undefined) event.cookies = cookies;
  if (body.length > 0) event.body = body.toString('base64');
  return event;
}
