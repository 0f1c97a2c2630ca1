import type { Access } from '../ports/access.js';
import type { Rollback } from '../use-cases/rollback.js';
import type { DomainPorts, Ports } from '../ports/index.js';
import type { Caller } from './owned-project.js';
import type { Project } from '../project.js';
import type { TokenScope } from './token-format.js';

/** One HTTP request to the platform API, as the local server or API Gateway (payload v2) hands it over. */
export interface ApiRequest {
  method: string;
  /** The URL path, not decoded. */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** The raw body; the transport has refused a body over the limit already (413). */
  body: string | null;
  /** The client's address, for rate limits before a token is known. */
  ip: string;
  /** Served over HTTPS: the session cookie is then `Secure`. */
  secure: boolean;
  /** Ends a stream when the client goes away. */
  signal?: AbortSignal;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body?: string;
  /** A streamed body (Server-Sent Events); the transport writes each chunk as it comes. */
  stream?: AsyncIterable<string>;
}

/** What the API runs on: a backend's ports (the builder stays in the worker), owners and tokens, and where things are. */
export type ApiDeps = Omit<Ports, 'builder'> & {
  access: Access;
  /** The public URL of a project's site, when the backend knows it (core/site-url.ts: its active custom domain first). */
  siteUrl(project: Project): string | null | Promise<string | null>;
  /** Where GitHub sends a new project's pushes. */
  webhookBaseUrl: string;
  /** Custom domains' ports; null where the backend serves none to the API. */
  domains: (() => Promise<DomainPorts>) | null;
  /**
   * Whether the transport keeps a response open (anchor server) or not (API Gateway answers once,
   * within 30 s): then a log stream sends what there is and closes, and EventSource reconnects
   * with Last-Event-ID after its retry delay.
   */
  holdsStreams: boolean;
  /** Runs a rollback elsewhere (aws: in the deploy function, the one role that may point aliases); null: here, on these ports. */
  rollback: ((input: { project: string; to?: string | undefined }) => Promise<Rollback>) | null;
  /** Removes a project with everything it has (its site, builds, files); null where the API may not. */
  removeProject: ((projectId: string) => Promise<void>) | null;
};

export interface RouteContext {
  deps: ApiDeps;
  caller: Caller;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  request: ApiRequest;
}

export interface PublicRouteContext {
  deps: ApiDeps;
  params: Record<string, string>;
  body: unknown;
  request: ApiRequest;
}

export type Route =
  | { method: string; path: string; scope: TokenScope; handler: (ctx: RouteContext) => Promise<ApiResponse> }
  /** Reached without a caller: the session sign-in and the OpenAPI document. */
  | { method: string; path: string; scope: null; handler: (ctx: PublicRouteContext) => Promise<ApiResponse> };

export function jsonResponse(status: number, body: unknown, headers: Record<string, string | string[]> = {}): ApiResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

export function noContent(headers: Record<string, string | string[]> = {}): ApiResponse {
  return { status: 204, headers: { 'cache-control': 'no-store', ...headers } };
}
