import { AnchorError } from '../../../core/errors.js';
import { DEFAULT_OWNER_ID, type Access, type Owner, type SessionRecord, type SignInCode, type TokenRecord } from '../../../core/ports/access.js';
import type { TokenScope } from '../../../core/api/token-format.js';
import { prepare, type SqliteDatabase } from './sqlite-database.js';

interface TokenRow {
  id: string;
  owner_id: string;
  name: string;
  hash: string;
  scope: string;
  project_id: string | null;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface SessionRow {
  hash: string;
  owner_id: string;
  scope: string;
  project_id: string | null;
  token_id: string | null;
  csrf: string;
  created_at: string;
  expires_at: string;
}

const TOKEN_COLUMNS = 'id, owner_id, name, hash, scope, project_id, created_at, expires_at, last_used_at, revoked_at';

/** Owners, tokens, sessions and sign-in codes in the platform's SQLite file. */
export class SqliteAccess implements Access {
  constructor(private readonly db: SqliteDatabase) {}

  async createOwner(owner: Owner): Promise<void> {
    const result = prepare(this.db, 'INSERT INTO owners (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(owner.id, owner.name, owner.createdAt);
    if (result.changes === 0) throw new AnchorError({ code: 'OWNER_EXISTS', kind: 'conflict', message: `An owner named "${owner.name}" already exists.`, hint: 'Pick another name, or run "anchor owners ls".' });
  }

  async getOwner(id: string): Promise<Owner | null> {
    const row = prepare(this.db, 'SELECT id, name, created_at FROM owners WHERE id = ?').get(id) as { id: string; name: string; created_at: string } | undefined;
    return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
  }

  async findOwner(name: string): Promise<Owner | null> {
    const row = prepare(this.db, 'SELECT id, name, created_at FROM owners WHERE name = ?').get(name) as { id: string; name: string; created_at: string } | undefined;
    return row ? { id: row.id, name: row.name, createdAt: row.created_at } : null;
  }

  async listOwners(): Promise<Owner[]> {
    const rows = prepare(this.db, 'SELECT id, name, created_at FROM owners ORDER BY name').all() as Array<{ id: string; name: string; created_at: string }>;
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
  }

  async assign(projectId: string, ownerId: string): Promise<void> {
    prepare(this.db, 'INSERT INTO project_owners (project_id, owner_id) VALUES (?, ?) ON CONFLICT (project_id) DO UPDATE SET owner_id = excluded.owner_id').run(projectId, ownerId);
  }

  async ownerOf(projectId: string): Promise<string> {
    const row = prepare(this.db, 'SELECT owner_id FROM project_owners WHERE project_id = ?').get(projectId) as { owner_id: string } | undefined;
    return row?.owner_id ?? DEFAULT_OWNER_ID;
  }

  async createToken(token: TokenRecord): Promise<void> {
    prepare(this.db, `INSERT INTO api_tokens (${TOKEN_COLUMNS}) VALUES (@id, @owner_id, @name, @hash, @scope, @project_id, @created_at, @expires_at, @last_used_at, @revoked_at)`).run(tokenRow(token));
  }

  async tokenByHash(hash: string): Promise<TokenRecord | null> {
    const row = prepare(this.db, `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE hash = ?`).get(hash) as TokenRow | undefined;
    return row ? fromTokenRow(row) : null;
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    const row = prepare(this.db, `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE id = ?`).get(id) as TokenRow | undefined;
    return row ? fromTokenRow(row) : null;
  }

  async listTokens(ownerId: string | null): Promise<TokenRecord[]> {
    const rows = (ownerId === null ? prepare(this.db, `SELECT ${TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, id`).all() : prepare(this.db, `SELECT ${TOKEN_COLUMNS} FROM api_tokens WHERE owner_id = ? ORDER BY created_at, id`).all(ownerId)) as TokenRow[];
    return rows.map(fromTokenRow);
  }

  async touchToken(id: string, at: string): Promise<void> {
    prepare(this.db, 'UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(at, id);
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    const revoked = prepare(this.db, 'UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id).changes > 0;
    // Sessions opened with it end with it.
    if (revoked) prepare(this.db, 'DELETE FROM api_sessions WHERE token_id = ?').run(id);
    return revoked;
  }

  async createSession(session: SessionRecord): Promise<void> {
    prepare(this.db, 'DELETE FROM api_sessions WHERE expires_at <= ?').run(session.createdAt);
    prepare(this.db, 'INSERT INTO api_sessions (hash, owner_id, scope, project_id, token_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      session.hash, session.ownerId, session.scope, session.projectId, session.tokenId, session.csrf, session.createdAt, session.expiresAt,
    );
  }

  async sessionByHash(hash: string): Promise<SessionRecord | null> {
    const row = prepare(this.db, 'SELECT hash, owner_id, scope, project_id, token_id, csrf, created_at, expires_at FROM api_sessions WHERE hash = ?').get(hash) as SessionRow | undefined;
    return row ? { hash: row.hash, ownerId: row.owner_id, scope: row.scope as TokenScope, projectId: row.project_id, tokenId: row.token_id, csrf: row.csrf, createdAt: row.created_at, expiresAt: row.expires_at } : null;
  }

  async removeSession(hash: string): Promise<void> {
    prepare(this.db, 'DELETE FROM api_sessions WHERE hash = ?').run(hash);
  }

  async createCode(code: SignInCode): Promise<void> {
    prepare(this.db, 'INSERT INTO sign_in_codes (hash, owner_id, expires_at) VALUES (?, ?, ?)').run(code.hash, code.ownerId, code.expiresAt);
  }

  /** Deleted as it is read, in one statement: two sign-ins with one code cannot both win. */
  async consumeCode(hash: string, at: string): Promise<SignInCode | null> {
    const row = prepare(this.db, 'DELETE FROM sign_in_codes WHERE hash = ? RETURNING hash, owner_id, expires_at').get(hash) as { hash: string; owner_id: string; expires_at: string } | undefined;
    if (!row || row.expires_at <= at) return null;
    return { hash: row.hash, ownerId: row.owner_id, expiresAt: row.expires_at };
  }
}

function tokenRow(t: TokenRecord): TokenRow {
  return { id: t.id, owner_id: t.ownerId, name: t.name, hash: t.hash, scope: t.scope, project_id: t.projectId, created_at: t.createdAt, expires_at: t.expiresAt, last_used_at: t.lastUsedAt, revoked_at: t.revokedAt };
}

function fromTokenRow(r: TokenRow): TokenRecord {
  return { id: r.id, ownerId: r.owner_id, name: r.name, hash: r.hash, scope: r.scope as TokenScope, projectId: r.project_id, createdAt: r.created_at, expiresAt: r.expires_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at };
}
