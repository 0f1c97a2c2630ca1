import type { HttpAnswer } from '../e2e/local-platform.js';

/** A JSON answer, read loosely as tests do. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ApiJson = any;

/** Calls the platform API as a client would; `send` is the transport (a real HTTP server, or the aws handler). */
export type ApiTransport = (request: { method: string; path: string; headers: Record<string, string>; body?: string }) => Promise<HttpAnswer>;

export class ApiClient {
  constructor(
    private readonly send: ApiTransport,
    private readonly token: string | null = null,
    private readonly extra: Record<string, string> = {},
  ) {}

  as(token: string | null, extra: Record<string, string> = {}): ApiClient {
    return new ApiClient(this.send, token, extra);
  }

  async call(method: string, path: string, body?: unknown): Promise<HttpAnswer & { json: ApiJson }> {
    const headers: Record<string, string> = { ...this.extra };
    if (this.token !== null) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const answer = await this.send({ method, path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    let json: unknown = null;
    try {
      json = answer.body ? JSON.parse(answer.body) : null;
    } catch {
      json = null;
    }
    return { ...answer, json };
  }
}
