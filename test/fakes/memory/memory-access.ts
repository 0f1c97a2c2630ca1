import { AnchorError } from '../../../src/core/errors.js';
import { DEFAULT_OWNER_ID, DEFAULT_OWNER_NAME, type Access, type Owner, type SessionRecord, type SignInCode, type TokenRecord } from '../../../src/core/ports/access.js';

/** Owners, tokens, sessions and codes in maps, with the rules of the Access contract. */
export class MemoryAccess implements Access {
  readonly owners = new Map<string, Owner>([[DEFAULT_OWNER_ID, { id: DEFAULT_OWNER_ID, name: DEFAULT_OWNER_NAME, createdAt: '1970-01-01T00:00:00.000Z' }]]);
  readonly projectOwners = new Map<string, string>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  readonly codes = new Map<string, SignInCode>();

  async createOwner(owner: Owner): Promise<void> {
    if ([...this.owners.values()].some((o) => o.name === owner.name)) throw new AnchorError({ code: 'OWNER_EXISTS', kind: 'conflict', message: `An owner named "${owner.name}" already exists.` });
    this.owners.set(owner.id, { ...owner });
  }

  async getOwner(id: string): Promise<Owner | null> {
    return this.owners.get(id) ?? null;
  }

  async findOwner(name: string): Promise<Owner | null> {
    return [...this.owners.values()].find((o) => o.name === name) ?? null;
  }

  async listOwners(): Promise<Owner[]> {
    return [...this.owners.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async assign(projectId: string, ownerId: string): Promise<void> {
    this.projectOwners.set(projectId, ownerId);
  }

  async ownerOf(projectId: string): Promise<string> {
    return this.projectOwners.get(projectId) ?? DEFAULT_OWNER_ID;
  }

  async createToken(token: TokenRecord): Promise<void> {
    this.tokens.set(token.id, { ...token });
  }

  async tokenByHash(hash: string): Promise<TokenRecord | null> {
    const found = [...this.tokens.values()].find((t) => t.hash === hash);
    return found ? { ...found } : null;
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    const found = this.tokens.get(id);
    return found ? { ...found } : null;
  }

  async listTokens(ownerId: string | null): Promise<TokenRecord[]> {
    return [...this.tokens.values()].filter((t) => ownerId === null || t.ownerId === ownerId).map((t) => ({ ...t }));
  }

  async touchToken(id: string, at: string): Promise<void> {
    const token = this.tokens.get(id);
    if (token) token.lastUsedAt = at;
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    const token = this.tokens.get(id);
    if (!token || token.revokedAt !== null) return false;
    token.revokedAt = at;
    return true;
  }

  async createSession(session: SessionRecord): Promise<void> {
    this.sessions.set(session.hash, { ...session });
  }

  async sessionByHash(hash: string): Promise<SessionRecord | null> {
    const found = this.sessions.get(hash);
    return found ? { ...found } : null;
  }

  async removeSession(hash: string): Promise<void> {
    this.sessions.delete(hash);
  }

  async createCode(code: SignInCode): Promise<void> {
    this.codes.set(code.hash, { ...code });
  }

  async consumeCode(hash: string, at: string): Promise<SignInCode | null> {
    const code = this.codes.get(hash);
    this.codes.delete(hash);
    return code && code.expiresAt > at ? code : null;
  }
}
