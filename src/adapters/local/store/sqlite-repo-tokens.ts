import type { RepoTokens, TokenOwner } from '../../../core/ports/repo-tokens.js';
import type { SecretBox } from '../../../core/ports/secret-box.js';
import { prepare, type SqliteDatabase } from './sqlite-database.js';

/**
 * Project GitHub tokens in the platform's SQLite file, sealed by the secret box (AES-256-GCM with
 * the platform's key): the database alone does not give them away. A token goes with its project
 * (foreign key cascade).
 */
export class SqliteRepoTokens implements RepoTokens {
  constructor(private readonly options: { db: SqliteDatabase; secrets: SecretBox; now: () => Date }) {}

  async set(project: TokenOwner, token: string): Promise<void> {
    const sealed = await this.options.secrets.seal(token);
    prepare(this.options.db, 'INSERT INTO project_github_tokens (project_id, sealed, updated_at) VALUES (?, ?, ?) ON CONFLICT (project_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at')
      .run(project.id, sealed, this.options.now().toISOString());
  }

  async get(project: TokenOwner): Promise<string | null> {
    const row = prepare(this.options.db, 'SELECT sealed FROM project_github_tokens WHERE project_id = ?').get(project.id) as { sealed: string } | undefined;
    return row ? this.options.secrets.open(row.sealed) : null;
  }

  async remove(project: TokenOwner): Promise<void> {
    prepare(this.options.db, 'DELETE FROM project_github_tokens WHERE project_id = ?').run(project.id);
  }
}
