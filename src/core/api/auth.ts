import { AnchorError } from '../errors.js';
import type { Access, SessionRecord, TokenRecord } from '../ports/access.js';
import type { Clock } from '../ports/system.js';
import type { ApiRequest } from './api-types.js';
import type { Caller } from './owned-project.js';
import { isWellFormedToken, randomBase62, safeEqual, sha256Hex } from './token-format.js';

export const SESSION_COOKIE = 'anchor_session';
export const CSRF_HEADER = 'x-anchor-csrf';
/** A dashboard session lasts at most this long (less when its token expires sooner). */
export const SESSION_MS = 12 * 3_600_000;

type AuthDeps = { access: Access; clock: Clock };

function authError(code: string, message: string, hint: string): AnchorError {
  return new AnchorError({ code, kind: 'auth', message, hint });
}

/**
 * Who sends `request`: a bearer token, else the session cookie. Cookie-authenticated writes must
 * carry the session's CSRF value. Every failure is 401 with a code saying which (a token's owner
 * may see it: the token was theirs), except a CSRF mismatch, 403.
 */
export async function authenticate(deps: AuthDeps, request: ApiRequest): Promise<Caller> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer ([^\s]+)$/i.exec(authorization.trim());
    if (!match?.[1]) throw authError('AUTH_INVALID', 'The Authorization header is not "Bearer <token>".', 'Send Authorization: Bearer anc_… with a token from "anchor tokens create".');
    const token = await validToken(deps, match[1]);
    return { ownerId: token.ownerId, ownerName: await ownerName(deps, token.ownerId), scope: token.scope, projectId: token.projectId, via: 'token', tokenId: token.id, csrf: null, expiresAt: token.expiresAt };
  }
  const secret = cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (secret === null) throw authError('AUTH_REQUIRED', 'This API needs a token.', 'Send Authorization: Bearer <token> (anchor tokens create), or sign in to the dashboard.');
  const session = await deps.access.sessionByHash(sha256Hex(secret));
  if (!session || Date.parse(session.expiresAt) <= deps.clock.now().getTime()) {
    throw authError('SESSION_EXPIRED', 'Your dashboard session has ended.', 'Sign in again with a token or a code from "anchor dashboard".');
  }
  if (session.tokenId !== null) {
    const token = await deps.access.getToken(session.tokenId);
    if (!token || token.revokedAt !== null) throw authError('TOKEN_REVOKED', 'The token this session was opened with has been revoked.', 'Sign in again with a valid token.');
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const sent = request.headers[CSRF_HEADER];
    if (sent === undefined || !safeEqual(sha256Hex(sent), sha256Hex(session.csrf))) {
      throw new AnchorError({ code: 'CSRF_MISMATCH', kind: 'auth', message: `A write with the session cookie must send the ${CSRF_HEADER} header.`, hint: `Read csrf from GET /api/v1/session and send it as ${CSRF_HEADER}.`});
    }
  }
  return { ownerId: session.ownerId, ownerName: await ownerName(deps, session.ownerId), scope: session.scope, projectId: session.projectId, via: 'session', tokenId: session.tokenId, csrf: session.csrf, expiresAt: session.expiresAt };
}

/** A token that exists, is not revoked and has not expired; its last use is recorded (at most once a minute). */
export async function validToken(deps: AuthDeps, token: string): Promise<TokenRecord> {
  if (!isWellFormedToken(token)) throw authError('TOKEN_INVALID', 'That is not an anchor token (they start with anc_ and carry a checksum).', 'Copy the whole token that "anchor tokens create" printed.');
  const hash = sha256Hex(token);
  const record = await deps.access.tokenByHash(hash);
  // The lookup is by hash; comparing again in constant time costs nothing and keeps a store's
  // own comparison out of what an attacker could time.
  if (!record || !safeEqual(record.hash, hash)) throw authError('TOKEN_INVALID', 'This token is not known to the platform.', 'Check you copied the whole token, and that you talk to the platform that made it.');
  if (record.revokedAt !== null) throw authError('TOKEN_REVOKED', `Token "${record.name}" (${record.id}) was revoked.`, 'Ask for a new one: anchor tokens create.');
  const now = deps.clock.now();
  if (Date.parse(record.expiresAt) <= now.getTime()) throw authError('TOKEN_EXPIRED', `Token "${record.name}" (${record.id}) expired at ${record.expiresAt}.`, 'Create a new one: anchor tokens create --name … --expires 90d.');
  if (record.lastUsedAt === null || now.getTime() - Date.parse(record.lastUsedAt) > 60_000) await deps.access.touchToken(record.id, now.toISOString());
  return record;
}

/** Opens a dashboard session with a token or a one-time code; answers the cookie's secret. */
export async function openSession(deps: AuthDeps, input: { token?: unknown; code?: unknown }): Promise<{ secret: string; session: SessionRecord }> {
  const now = deps.clock.now();
  let base: Pick<SessionRecord, 'ownerId' | 'scope' | 'projectId' | 'tokenId'> & { until: number };
  if (typeof input.token === 'string') {
    const token = await validToken(deps, input.token);
    base = { ownerId: token.ownerId, scope: token.scope, projectId: token.projectId, tokenId: token.id, until: Math.min(Date.parse(token.expiresAt), now.getTime() + SESSION_MS) };
  } else if (typeof input.code === 'string') {
    const code = /^[0-9A-Za-z]{16,64}$/.test(input.code) ? await deps.access.consumeCode(sha256Hex(input.code), now.toISOString()) : null;
    if (!code) throw authError('CODE_INVALID', 'That sign-in code is unknown, used already or expired (codes last 5 minutes and work once).', 'Run "anchor dashboard" again for a new code.');
    base = { ownerId: code.ownerId, scope: 'admin', projectId: null, tokenId: null, until: now.getTime() + SESSION_MS };
  } else {
    throw new AnchorError({ code: 'SESSION_BODY_INVALID', kind: 'usage', message: 'Send { "token": "anc_…" } or { "code": "…" }.', hint: 'Get a code with "anchor dashboard", or a token with "anchor tokens create".' });
  }
  const secret = randomBase62(43);
  const session: SessionRecord = { hash: sha256Hex(secret), ownerId: base.ownerId, scope: base.scope, projectId: base.projectId, tokenId: base.tokenId, csrf: randomBase62(32), createdAt: now.toISOString(), expiresAt: new Date(base.until).toISOString() };
  await deps.access.createSession(session);
  return { secret, session };
}

export async function closeSession(deps: AuthDeps, request: ApiRequest): Promise<void> {
  const secret = cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (secret !== null) await deps.access.removeSession(sha256Hex(secret));
}

export function sessionCookie(secret: string, expiresAt: string, secure: boolean, now: Date): string {
  const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - now.getTime()) / 1000));
  return `${SESSION_COOKIE}=${secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) {
      const value = rest.join('=');
      return /^[0-9A-Za-z]{20,64}$/.test(value) ? value : null;
    }
  }
  return null;
}

async function ownerName(deps: AuthDeps, ownerId: string): Promise<string> {
  return (await deps.access.getOwner(ownerId))?.name ?? ownerId;
}
