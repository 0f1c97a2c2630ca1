import { newToken, parseExpiry, randomBase62, sha256Hex, type TokenScope } from '../api/token-format.js';
import { AnchorError } from '../errors.js';
import { DEFAULT_OWNER_ID, DEFAULT_OWNER_NAME, type Access, type Owner, type TokenRecord } from '../ports/access.js';
import type { Ports } from '../ports/index.js';
import { ownedProject } from '../api/owned-project.js';

export type AccessDeps = Pick<Ports, 'projects' | 'clock' | 'ids'> & { access: Access };

/** A token as shown to its owner: no hash, the project by name. */
export interface TokenView {
  id: string;
  name: string;
  owner: string;
  scope: TokenScope;
  project: string | null;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  expired: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

function assertName(what: 'token' | 'owner', name: string): void {
  if (!NAME.test(name)) {
    throw new AnchorError({ code: `${what.toUpperCase()}_NAME_INVALID`, kind: 'usage', message: `"${name}" is not a valid ${what} name.`, hint: 'Use 1 to 64 letters, digits, spaces, dots, hyphens and underscores, starting with a letter or digit.' });
  }
}

export async function resolveOwner(deps: { access: Access }, name: string | undefined): Promise<Owner> {
  const owner = name === undefined ? await deps.access.getOwner(DEFAULT_OWNER_ID) : await deps.access.findOwner(name);
  if (!owner) {
    throw new AnchorError({ code: 'OWNER_NOT_FOUND', kind: 'not-found', message: `There is no owner "${name ?? DEFAULT_OWNER_NAME}" on this platform.`, hint: 'Run "anchor owners ls" to see the owners, or "anchor owners add <name>" to create one.' });
  }
  return owner;
}

export async function addOwner(deps: Pick<AccessDeps, 'access' | 'clock' | 'ids'>, input: { name: string }): Promise<Owner> {
  assertName('owner', input.name);
  const owner: Owner = { id: deps.ids.next('o'), name: input.name, createdAt: deps.clock.now().toISOString() };
  await deps.access.createOwner(owner);
  return owner;
}

/** Makes a token; the token itself is in the answer only, never stored. */
export async function createToken(
  deps: AccessDeps,
  input: { ownerId: string; name: string; project?: string | undefined; scope: TokenScope; expires: string },
): Promise<{ token: string; view: TokenView }> {
  assertName('token', input.name);
  const lifetime = parseExpiry(input.expires);
  let projectId: string | null = null;
  if (input.project !== undefined) {
    // Another owner's project is not there, as everywhere in the API.
    projectId = (await ownedProject(deps, { ownerId: input.ownerId, projectId: null }, input.project)).id;
  }
  const token = newToken();
  const now = deps.clock.now();
  const record: TokenRecord = {
    id: deps.ids.next('t'),
    ownerId: input.ownerId,
    name: input.name,
    hash: sha256Hex(token),
    scope: input.scope,
    projectId,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + lifetime).toISOString(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await deps.access.createToken(record);
  return { token, view: await tokenView(deps, record) };
}

export async function listTokens(deps: AccessDeps, input: { ownerId: string | null }): Promise<TokenView[]> {
  const tokens = await deps.access.listTokens(input.ownerId);
  return Promise.all(tokens.map((t) => tokenView(deps, t)));
}

/** Revokes a token of `ownerId` (null: any owner, the local operator). Another owner's token is not found. */
export async function revokeToken(deps: AccessDeps, input: { id: string; ownerId: string | null }): Promise<TokenView> {
  const token = /^t_[0-9a-z]{1,64}$/.test(input.id) ? await deps.access.getToken(input.id) : null;
  if (!token || (input.ownerId !== null && token.ownerId !== input.ownerId)) {
    throw new AnchorError({ code: 'TOKEN_NOT_FOUND', kind: 'not-found', message: `There is no token ${input.id}.`, hint: 'Run "anchor tokens ls" to see the tokens and their ids.' });
  }
  const at = deps.clock.now().toISOString();
  await deps.access.revokeToken(token.id, at);
  return tokenView(deps, { ...token, revokedAt: token.revokedAt ?? at });
}

export async function tokenView(deps: AccessDeps, token: TokenRecord): Promise<TokenView> {
  const [owner, project] = await Promise.all([deps.access.getOwner(token.ownerId), token.projectId ? deps.projects.getById(token.projectId) : null]);
  return {
    id: token.id,
    name: token.name,
    owner: owner?.name ?? token.ownerId,
    scope: token.scope,
    project: token.projectId ? (project?.name ?? token.projectId) : null,
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    lastUsedAt: token.lastUsedAt,
    revokedAt: token.revokedAt,
    expired: Date.parse(token.expiresAt) <= deps.clock.now().getTime(),
  };
}

/** How long a code from `anchor dashboard` may be used. */
export const SIGN_IN_CODE_MS = 5 * 60_000;

/** `anchor dashboard`: a one-time sign-in code for an owner, valid five minutes. */
export async function createSignInCode(deps: Pick<AccessDeps, 'access' | 'clock'>, input: { ownerId: string }): Promise<{ code: string; expiresAt: string }> {
  const code = randomBase62(32);
  const expiresAt = new Date(deps.clock.now().getTime() + SIGN_IN_CODE_MS).toISOString();
  await deps.access.createCode({ hash: sha256Hex(code), ownerId: input.ownerId, expiresAt });
  return { code, expiresAt };
}
