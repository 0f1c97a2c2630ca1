import type { TokenScope } from '../api/token-format.js';

export interface Owner {
  /** `o_<random>`; the owner every project belongs to unless told otherwise is DEFAULT_OWNER_ID. */
  id: string;
  /** A person or a team; unique per platform. */
  name: string;
  createdAt: string;
}

/** An API token as stored: never the token itself, only its SHA-256. */
export interface TokenRecord {
  id: string;
  ownerId: string;
  name: string;
  /** SHA-256 of the whole token, lower-case hex. */
  hash: string;
  scope: TokenScope;
  /** When set, the token sees only this project (by id). */
  projectId: string | null;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A dashboard session: the cookie holds a secret whose SHA-256 is `hash`. */
export interface SessionRecord {
  hash: string;
  ownerId: string;
  scope: TokenScope;
  projectId: string | null;
  /** The token it was opened with (null: a one-time code); revoking that token ends the session. */
  tokenId: string | null;
  /** Sent back in `x-anchor-csrf` by cookie-authenticated writes. */
  csrf: string;
  createdAt: string;
  expiresAt: string;
}

/** A one-time sign-in code made by `anchor dashboard` (its SHA-256). */
export interface SignInCode {
  hash: string;
  ownerId: string;
  expiresAt: string;
}

/**
 * Owners, what they own, their tokens, dashboard sessions and sign-in codes: everything the
 * platform HTTP API needs to say who is calling and what they may see.
 *
 * Contract:
 * - Owner names are unique (`createOwner` fails with OWNER_EXISTS, writing nothing).
 * - `ownerOf` answers the owner a project was assigned to, DEFAULT_OWNER_ID when it never was
 *   (projects from before owners existed, or added by the local operator); a removed project's
 *   assignment goes with it.
 * - Token, session and code lookups are by hash; `consumeCode` returns a code once and only once
 *   (atomically), and only before it expires.
 * - `revokeToken` answers false for an unknown or already revoked token, changing nothing.
 */
export interface Access {
  createOwner(owner: Owner): Promise<void>;
  getOwner(id: string): Promise<Owner | null>;
  findOwner(name: string): Promise<Owner | null>;
  listOwners(): Promise<Owner[]>;
  assign(projectId: string, ownerId: string): Promise<void>;
  ownerOf(projectId: string): Promise<string>;

  createToken(token: TokenRecord): Promise<void>;
  tokenByHash(hash: string): Promise<TokenRecord | null>;
  getToken(id: string): Promise<TokenRecord | null>;
  listTokens(ownerId: string | null): Promise<TokenRecord[]>;
  touchToken(id: string, at: string): Promise<void>;
  revokeToken(id: string, at: string): Promise<boolean>;

  createSession(session: SessionRecord): Promise<void>;
  sessionByHash(hash: string): Promise<SessionRecord | null>;
  removeSession(hash: string): Promise<void>;

  createCode(code: SignInCode): Promise<void>;
  consumeCode(hash: string, at: string): Promise<SignInCode | null>;
}

export const DEFAULT_OWNER_ID = 'o_default';
export const DEFAULT_OWNER_NAME = 'default';
