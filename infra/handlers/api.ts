import { z } from 'zod';
import { ApiRouter, DEFAULT_API_LIMITS, type ApiLimits } from '../../src/core/api/api-router.js';
import { API_ROUTES } from '../../src/core/api/api-routes.js';
import type { ApiDeps, ApiResponse } from '../../src/core/api/api-types.js';
import { dashboardResponse, type DashboardRequest, type DashboardSource } from '../../src/core/dashboard/dashboard-response.js';
import { errorMessage } from '../../src/core/errors.js';
import { onAwsApiDeps } from './platform-ports.js';

/** The parts of an API Gateway HTTP API (payload 2.0) event the API reads. */
const httpApiEvent = z.object({
  rawPath: z.string(),
  rawQueryString: z.string().optional(),
  headers: z.record(z.string(), z.string().optional()).optional(),
  cookies: z.array(z.string()).optional(),
  body: z.string().nullish(),
  isBase64Encoded: z.boolean().optional(),
  requestContext: z.object({ http: z.object({ method: z.string(), sourceIp: z.string().optional() }) }),
});

export type ApiGatewayEvent = z.input<typeof httpApiEvent>;

export interface ApiGatewayResult {
  statusCode: number;
  headers: Record<string, string>;
  cookies?: string[];
  body: string;
  /** The dashboard's files go base64 (their precompressed copies are binary); API Gateway decodes them. */
  isBase64Encoded?: boolean;
}

const NOT_UPLOADED = `<!doctype html><meta charset="utf-8"><title>anchor</title>
<p>This platform has no dashboard uploaded yet.</p>
<p>The API answers at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>; run <code>npm run build</code> and then <code>anchor init --aws</code> again to upload the dashboard.</p>
`;

/**
 * API Gateway (payload 2.0) → the core's ApiRouter → response: the same router `anchor server`
 * runs. API Gateway cannot hold a response open, so a log stream answers what there is and the
 * client's EventSource comes back with Last-Event-ID. Every other path (GET) is the dashboard,
 * on the API's own origin, so its session cookie and CSRF rules are the local server's.
 */
export function makeApiHandler(deps: ApiDeps, limits: ApiLimits = DEFAULT_API_LIMITS, dashboard: DashboardSource | null = null): (event: ApiGatewayEvent) => Promise<ApiGatewayResult> {
  const router = new ApiRouter(deps, API_ROUTES, limits);
  return async (raw) => {
    const parsed = httpApiEvent.safeParse(raw);
    if (!parsed.success) return { statusCode: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: 'EVENT_INVALID', message: 'Not an API Gateway HTTP API event.' }) };
    const event = parsed.data;
    const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    // Payload 2.0 moves cookies out of the headers.
    if (event.cookies?.length) headers.cookie = event.cookies.join('; ');
    const method = event.requestContext.http.method.toUpperCase();
    if (event.rawPath !== '/api' && !event.rawPath.startsWith('/api/') && (method === 'GET' || method === 'HEAD')) {
      return dashboardFile(deps, dashboard, { path: event.rawPath, method, acceptEncoding: headers['accept-encoding'], ifNoneMatch: headers['if-none-match'] });
    }
    const body = event.body === undefined || event.body === null ? null : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const answer = await router.handle({
      method,
      path: event.rawPath,
      query: new URLSearchParams(event.rawQueryString ?? ''),
      headers,
      body,
      ip: event.requestContext.http.sourceIp ?? 'unknown',
      secure: true,
    });
    return toResult(answer);
  };
}

/** A dashboard file from its build in S3; S3 failing is a 503 the browser may retry, logged here. */
async function dashboardFile(deps: ApiDeps, dashboard: DashboardSource | null, request: DashboardRequest): Promise<ApiGatewayResult> {
  try {
    const answer = await dashboardResponse(dashboard ?? { read: async () => null }, request, NOT_UPLOADED);
    return { statusCode: answer.status, headers: answer.headers, body: Buffer.from(answer.body).toString('base64'), isBase64Encoded: true };
  } catch (error) {
    deps.logger.error('dashboard file could not be read', { path: request.path, error: errorMessage(error) });
    return { statusCode: 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '5' }, body: 'The dashboard could not be read just now; reload the page.\n' };
  }
}

async function toResult(answer: ApiResponse): Promise<ApiGatewayResult> {
  let body = answer.body ?? '';
  if (answer.stream) for await (const chunk of answer.stream) body += chunk;
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(answer.headers)) {
    if (name === 'set-cookie') cookies.push(...(Array.isArray(value) ? value : [value]));
    else headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { statusCode: answer.status, headers, ...(cookies.length > 0 ? { cookies } : {}), body };
}

export const handler = onAwsApiDeps((deps, dashboard) => makeApiHandler(deps, DEFAULT_API_LIMITS, dashboard));
