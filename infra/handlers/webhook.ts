import { z } from 'zod';
import { errorMessage, isAnchorError } from '../../src/core/errors.js';
import type { Ports } from '../../src/core/ports/index.js';
import { receiveWebhook, type WebhookDeps } from '../../src/core/use-cases/receive-webhook.js';
import { HTTP_STATUS } from './http-status.js';
import { onAwsPorts } from './platform-ports.js';

/** The parts of an API Gateway HTTP API (payload 2.0) event the webhook reads. */
const httpApiEvent = z.object({
  rawPath: z.string().optional(),
  headers: z.record(z.string(), z.string().optional()).optional(),
  pathParameters: z.record(z.string(), z.string().optional()).nullish(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().optional(),
});

export type HttpApiEvent = z.input<typeof httpApiEvent>;

export interface HttpApiResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const json = (statusCode: number, body: unknown): HttpApiResult => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** API Gateway v2 → core receiveWebhook → response. Nothing else happens here. */
export function makeWebhookHandler(ports: WebhookDeps & Pick<Ports, 'logger'>): (event: HttpApiEvent) => Promise<HttpApiResult> {
  return async (raw) => {
    const parsed = httpApiEvent.safeParse(raw);
    if (!parsed.success) return json(400, { message: 'Not an API Gateway HTTP API event.' });
    const event = parsed.data;
    const projectId = event.pathParameters?.projectId ?? /^\/webhook\/([^/]+)\/?$/.exec(event.rawPath ?? '')?.[1];
    if (!projectId) return json(404, { message: 'POST /webhook/<projectId> is the only route here.' });
    // HTTP API lower-cases header names already; lowering again keeps a hand-made test event honest too.
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    // The signature is over the exact bytes GitHub sent: decode base64 to bytes, never through a string.
    const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
    try {
      const response = await receiveWebhook(ports, { projectId: decodeURIComponent(projectId), headers, body: new Uint8Array(body) });
      return json(response.status, response.body);
    } catch (error) {
      ports.logger.error('webhook failed', { projectId, delivery: headers['x-github-delivery'], error: errorMessage(error) });
      if (isAnchorError(error)) return json(HTTP_STATUS[error.kind], { message: error.message, code: error.code });
      return json(HTTP_STATUS.internal, { message: 'The webhook could not be handled; redeliver it from GitHub once the platform is healthy.' });
    }
  };
}

// GitHub waits 10 s for the answer: the "queued" report gets 3 s at most, then goes on at the next event.
export const handler = onAwsPorts((ports) => makeWebhookHandler(ports), { reportDrainMs: 3_000 });
