import { AnchorError, type ErrorKind } from '../../core/errors.js';

export interface SseEvent {
  id: string | null;
  event: string;
  data: unknown;
}

/** HTTP statuses back to the kinds the API made them from (api-router.ts errorStatus), so exit codes stay the same. */
const KINDS: Record<number, ErrorKind> = { 400: 'usage', 401: 'auth', 403: 'auth', 404: 'not-found', 405: 'usage', 409: 'conflict', 413: 'usage', 422: 'failed', 429: 'conflict', 500: 'internal', 502: 'external', 503: 'external', 504: 'external' };

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/**
 * The platform API over HTTP with a bearer token. The token goes only in the Authorization header
 * of requests to the platform's own origin: redirects are refused (a redirect elsewhere must not
 * carry it), and no message this client makes contains it.
 */
export class ApiHttpClient {
  constructor(
    readonly origin: string,
    private readonly token: string,
    /** How to sign in again, for the hint of a 401. */
    private readonly loginHint: string,
    private readonly fetchImpl: FetchLike = fetch,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, { ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body === undefined ? undefined : JSON.stringify(body));
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new AnchorError({ code: 'API_ANSWER_INVALID', kind: 'external', message: `${this.origin} answered ${method} ${path} with something that is not JSON.`, hint: 'Check that the URL is the anchor platform (anchor login <url> again).' });
    }
  }

  /** Server-Sent Events from `path` until an `end` event; reconnects after the server's retry delay with Last-Event-ID (API Gateway closes each answer). */
  async *events(path: string, input: { after: number; signal: AbortSignal }): AsyncGenerator<SseEvent> {
    let lastId = String(input.after);
    let retryMs = 2000;
    while (!input.signal.aborted) {
      const response = await this.send('GET', path, { accept: 'text/event-stream', 'last-event-id': lastId }, undefined, input.signal).catch((error: unknown) => {
        if (input.signal.aborted) return null;
        throw error;
      });
      if (!response?.body) return;
      for await (const event of parseSse(response.body, input.signal)) {
        if (event.event === 'retry') retryMs = Number(event.data) || retryMs;
        else if (event.id !== null) lastId = event.id;
        if (event.event !== 'retry') yield event;
        if (event.event === 'end') return;
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }

  private async send(method: string, path: string, headers: Record<string, string>, body: string | undefined, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.origin}${path}`, { method, headers: { ...headers, authorization: `Bearer ${this.token}` }, body, redirect: 'manual', ...(signal ? { signal } : {}) });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new AnchorError({ code: 'PLATFORM_UNREACHABLE', kind: 'external', message: `Cannot reach the platform at ${this.origin}: ${causeText(error)}.`, hint: 'Check the address and your connection; "anchor login <url>" again if the platform moved.' });
    }
    if (response.status >= 300 && response.status < 400) {
      throw new AnchorError({ code: 'API_REDIRECTED', kind: 'external', message: `${this.origin} answered ${method} ${path} with a redirect; anchor does not follow it with your token.`, hint: 'Log in with the address the platform answers on (anchor login <url>), e.g. https:// rather than http://.' });
    }
    if (!response.ok) throw await this.errorOf(response, method, path);
    return response;
  }

  private async errorOf(response: Response, method: string, path: string): Promise<AnchorError> {
    let body: { code?: unknown; message?: unknown; hint?: unknown } = {};
    try {
      body = (await response.json()) as typeof body;
    } catch {
      // Not the API's JSON (a proxy's page): said below by status alone.
    }
    const kind = KINDS[response.status] ?? (response.status >= 500 ? 'external' : 'usage');
    const code = typeof body.code === 'string' ? body.code : `HTTP_${response.status}`;
    const message = typeof body.message === 'string' ? body.message : `${this.origin} answered ${method} ${path} with HTTP ${response.status}.`;
    let hint = typeof body.hint === 'string' ? body.hint : undefined;
    if (response.status === 401) hint = `${hint ? `${hint} ` : ''}Then sign in again: ${this.loginHint}`;
    return new AnchorError({ code, kind, message, ...(hint ? { hint } : {}), ...(response.status === 429 ? { details: { retryAfter: Number(response.headers.get('retry-after')) || null } } : {}) });
  }
}

function causeText(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** Reads an event stream: `id`, `event`, `data` fields, events split by a blank line; `retry` comes out as an event of its own. */
export async function* parseSse(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = parseBlock(block);
        if (event) yield event;
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function parseBlock(block: string): SseEvent | null {
  let id: string | null = null;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'retry') return { id: null, event: 'retry', data: value };
  }
  if (data.length === 0) return null;
  const text = data.join('\n');
  try {
    return { id, event, data: JSON.parse(text) as unknown };
  } catch {
    return { id, event, data: text };
  }
}
