import { AnchorError, errorMessage, isAnchorError, type ErrorKind } from '../errors.js';
import type { ApiDeps, ApiRequest, ApiResponse, Route } from './api-types.js';
import { jsonResponse } from './api-types.js';
import { authenticate } from './auth.js';
import { RateLimiter } from './rate-limiter.js';
import { scopeAllows } from './token-format.js';

export interface ApiLimits {
  /** Largest request body (bytes); larger is 413. */
  maxBodyBytes: number;
  /** Requests per caller (token or session) per window. */
  perCaller: { limit: number; windowMs: number };
  /** Failed sign-ins and bad tokens per client address per window; past it, the address waits. */
  failuresPerIp: { limit: number; windowMs: number };
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  maxBodyBytes: 256 * 1024,
  perCaller: { limit: 600, windowMs: 60_000 },
  failuresPerIp: { limit: 20, windowMs: 60_000 },
};

const STATUS: Record<ErrorKind, number> = { usage: 400, auth: 401, 'not-found': 404, conflict: 409, external: 502, failed: 422, internal: 500 };
/** Auth errors that mean "known, but not allowed": 403 rather than 401. */
const FORBIDDEN = new Set(['CSRF_MISMATCH', 'SCOPE_INSUFFICIENT', 'TOKEN_PROJECT_RESTRICTED']);

export function errorStatus(error: AnchorError): number {
  if (error.kind === 'auth' && FORBIDDEN.has(error.code)) return 403;
  if (error.code === 'RATE_LIMITED') return 429;
  if (error.code === 'BODY_TOO_LARGE') return 413;
  return STATUS[error.kind];
}

/**
 * The platform API, one for both backends: match a route, say who calls (auth.ts), check the rate
 * limits and the scope, run the handler, and turn every error into `{code, message, hint}` with
 * the status of its kind. The local server and the API Lambda only translate HTTP to this.
 */
export class ApiRouter {
  private readonly callers: RateLimiter;
  private readonly failures: RateLimiter;

  constructor(
    private readonly deps: ApiDeps,
    readonly routes: readonly Route[],
    readonly limits: ApiLimits = DEFAULT_API_LIMITS,
  ) {
    this.callers = new RateLimiter(deps.clock, limits.perCaller.limit, limits.perCaller.windowMs);
    this.failures = new RateLimiter(deps.clock, limits.failuresPerIp.limit, limits.failuresPerIp.windowMs);
  }

  async handle(request: ApiRequest): Promise<ApiResponse> {
    try {
      return await this.route(request);
    } catch (error) {
      return this.errorResponse(error, request);
    }
  }

  private async route(request: ApiRequest): Promise<ApiResponse> {
    const found = this.match(request.method, request.path);
    if (found === null) throw new AnchorError({ code: 'ROUTE_NOT_FOUND', kind: 'not-found', message: `There is no ${request.path} in the anchor API.`, hint: 'See GET /api/v1/openapi.json for the routes.' });
    if ('allow' in found) {
      return jsonResponse(405, { code: 'METHOD_NOT_ALLOWED', message: `${request.method} is not allowed on ${request.path}.`, hint: `Use ${found.allow.join(', ')}.` }, { allow: found.allow.join(', ') });
    }
    const { route, params } = found;
    if (request.body !== null && Buffer.byteLength(request.body) > this.limits.maxBodyBytes) throw bodyTooLarge(this.limits.maxBodyBytes);
    const body = parseBody(request);
    if (route.scope === null) return await this.countFailures(request, () => route.handler({ deps: this.deps, params, body, request }));
    const caller = await this.countFailures(request, () => authenticate(this.deps, request));
    const wait = this.callers.hit(caller.tokenId ?? `session:${caller.csrf ?? ''}`);
    if (wait !== null) throw rateLimited(wait);
    if (!scopeAllows(caller.scope, route.scope)) {
      throw new AnchorError({ code: 'SCOPE_INSUFFICIENT', kind: 'auth', message: `This needs a token with the ${route.scope} scope; yours has ${caller.scope}.`, hint: `Create one with: anchor tokens create --name … --scope ${route.scope}` });
    }
    return route.handler({ deps: this.deps, caller, params, query: request.query, body, request });
  }

  /**
   * Failed authentication counts against the client's address; past the limit, its failures are
   * answered 429 (no more telling a wrong token from an expired one) until the window passes. A
   * valid token or session still goes through: behind a tunnel or proxy every client has the
   * proxy's address, and one client guessing must not lock the others out. (Guessing itself is
   * hopeless: a token holds 238 random bits, a sign-in code 190.)
   */
  private async countFailures<T>(request: ApiRequest, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isAnchorError(error) && error.kind === 'auth' && !FORBIDDEN.has(error.code)) {
        const wait = this.failures.hit(`ip:${request.ip}`);
        if (wait !== null) throw rateLimited(wait);
      }
      throw error;
    }
  }

  /** The route for a method and path; `{allow}` when only the method is wrong; null when no path matches. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | { allow: string[] } | null {
    const segments = path.replace(/\/+$/, '').split('/');
    const allow: string[] = [];
    for (const route of this.routes) {
      const params = matchPath(route.path, segments);
      if (params === null) continue;
      if (route.method === method) return { route, params };
      allow.push(route.method);
    }
    return allow.length > 0 ? { allow } : null;
  }

  private errorResponse(error: unknown, request: ApiRequest): ApiResponse {
    if (isAnchorError(error)) {
      const status = errorStatus(error);
      const headers: Record<string, string> = {};
      if (status === 429 && typeof error.details?.retryAfter === 'number') headers['retry-after'] = String(error.details.retryAfter);
      if (status === 401) headers['www-authenticate'] = 'Bearer realm="anchor"';
      if (status === 500) this.deps.logger.error('API request failed', { method: request.method, path: request.path, code: error.code, error: error.message });
      return jsonResponse(status, { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) }, headers);
    }
    // An unexpected failure: logged here (never with the request's headers), told apart in the answer only by its code.
    this.deps.logger.error('API request failed', { method: request.method, path: request.path, error: errorMessage(error) });
    return jsonResponse(500, { code: 'INTERNAL', message: 'The platform failed to answer this request; it has logged why.', hint: 'Try again; if it persists, look at the platform\'s log.' });
  }
}

function matchPath(pattern: string, segments: string[]): Record<string, string> | null {
  const parts = pattern.split('/');
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const segment = segments[i] as string;
    if (part.startsWith('{') && part.endsWith('}')) {
      let value: string;
      try {
        value = decodeURIComponent(segment);
      } catch {
        return null;
      }
      if (value === '' || value.includes('/')) return null;
      params[part.slice(1, -1)] = value;
    } else if (part !== segment) {
      return null;
    }
  }
  return params;
}

function parseBody(request: ApiRequest): unknown {
  if (request.body === null || request.body.trim() === '') return {};
  const type = request.headers['content-type'] ?? '';
  // Only JSON: a form a hostile page posts cross-site is refused before anything reads it.
  if (!/^application\/json\b/i.test(type)) throw new AnchorError({ code: 'BODY_NOT_JSON', kind: 'usage', message: 'Request bodies are JSON.', hint: 'Send Content-Type: application/json.' });
  try {
    return JSON.parse(request.body) as unknown;
  } catch {
    throw new AnchorError({ code: 'BODY_NOT_JSON', kind: 'usage', message: 'The request body is not valid JSON.', hint: 'Send a JSON object, e.g. {"name": "shop"}.' });
  }
}

export function bodyTooLarge(limit: number): AnchorError {
  return new AnchorError({ code: 'BODY_TOO_LARGE', kind: 'usage', message: `Request bodies are limited to ${limit} bytes.`, hint: 'Send less: env values are at most 64 KB each.' });
}

function rateLimited(retryAfter: number): AnchorError {
  return new AnchorError({ code: 'RATE_LIMITED', kind: 'conflict', message: `Too many requests; try again in ${retryAfter} s.`, hint: 'Slow down, or spread the work over several tokens.', details: { retryAfter } });
}
