/** The platform API (/api/v1) from the browser: the session cookie travels by itself, writes carry the CSRF header. */

export interface ApiErrorBody {
  code: string;
  message: string;
  hint?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
  }
}

export interface Session {
  owner: { id: string; name: string };
  scope: string;
  csrf: string;
  expiresAt: string;
}

export interface Project {
  name: string;
  repo: string;
  branch: string;
  url: string | null;
  live: { deploymentId: string; commit: string | null; activatedAt: string } | null;
  latest: { id: string; state: string; createdAt: string } | null;
}

export interface Phase {
  name: string;
  startedAt: string;
  endedAt?: string;
  ms?: number;
}

export interface Deployment {
  id: string;
  state: string;
  commit: string | null;
  ref: string;
  message?: string;
  createdAt: string;
  endedAt?: string;
  live: boolean;
  phases: Phase[];
  error?: { code: string; message: string };
}

export interface EnvVar {
  key: string;
  secret: boolean;
  value: string | null;
}

export interface Domain {
  domain: string;
  state: string;
  certificateExpiresAt?: string;
  nextAction: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

let csrf = '';

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-anchor-csrf'] = csrf;
  const res = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  // A session that ended (expired, revoked, signed out elsewhere): back to the sign-in screen.
  if (res.status === 401 && path !== '/session') dispatchEvent(new Event('anchor:signed-out'));
  if (!res.ok) {
    const error = json && typeof json === 'object' && 'message' in json ? (json as ApiErrorBody) : { code: `HTTP_${res.status}`, message: `The platform answered ${res.status}.` };
    throw new ApiError(res.status, error);
  }
  return json as T;
}

/** The current session, or null when signed out. */
export async function loadSession(): Promise<Session | null> {
  try {
    const session = await api<Session>('GET', '/session');
    csrf = session.csrf;
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export async function signIn(credential: { token: string } | { code: string }): Promise<Session | null> {
  await api<unknown>('POST', '/session', credential);
  return loadSession();
}

export async function signOut(): Promise<void> {
  await api<void>('DELETE', '/session');
  csrf = '';
}

/** A path segment the API can read back, whatever a name holds. */
export const seg = (value: string): string => encodeURIComponent(value);
