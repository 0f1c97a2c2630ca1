import type { EnvTarget, EnvVar } from '../../../core/env-var.js';
import type { EnvVars } from '../../../core/ports/env-vars.js';
import { prepare, type SqliteDatabase } from './sqlite-database.js';

interface EnvVarRow {
  project_id: string;
  key: string;
  value: string;
  secret: number;
  targets: string;
  value_bytes: number;
  updated_at: string;
}

export class SqliteEnvVars implements EnvVars {
  constructor(private readonly db: SqliteDatabase) {}

  async list(projectId: string): Promise<EnvVar[]> {
    const rows = prepare(this.db, 'SELECT * FROM env_vars WHERE project_id = ? ORDER BY key').all(projectId) as EnvVarRow[];
    return rows.map(fromRow);
  }

  async set(v: EnvVar): Promise<void> {
    this.upsert(v);
  }

  /** One transaction: a failing variable leaves every value as it was. */
  async setMany(vars: EnvVar[]): Promise<void> {
    this.db.transaction(() => vars.forEach((v) => this.upsert(v))).immediate();
  }

  async remove(projectId: string, key: string): Promise<boolean> {
    return prepare(this.db, 'DELETE FROM env_vars WHERE project_id = ? AND key = ?').run(projectId, key).changes > 0;
  }

  async removeAll(projectId: string): Promise<void> {
    prepare(this.db, 'DELETE FROM env_vars WHERE project_id = ?').run(projectId);
  }

  private upsert(v: EnvVar): void {
    prepare(this.db, 
        `INSERT INTO env_vars (project_id, key, value, secret, targets, value_bytes, updated_at)
         VALUES (@project_id, @key, @value, @secret, @targets, @value_bytes, @updated_at)
         ON CONFLICT (project_id, key) DO UPDATE SET value = excluded.value, secret = excluded.secret, targets = excluded.targets,
           value_bytes = excluded.value_bytes, updated_at = excluded.updated_at`,
      )
      .run({
        project_id: v.projectId,
        key: v.key,
        value: v.value,
        secret: v.secret ? 1 : 0,
        targets: JSON.stringify(v.targets),
        value_bytes: v.valueBytes,
        updated_at: v.updatedAt,
      });
  }
}

function fromRow(r: EnvVarRow): EnvVar {
  return {
    projectId: r.project_id,
    key: r.key,
    value: r.value,
    secret: r.secret === 1,
    targets: JSON.parse(r.targets) as EnvTarget[],
    valueBytes: r.value_bytes,
    updatedAt: r.updated_at,
  };
}
