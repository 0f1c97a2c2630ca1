import { prepare, type SqliteDatabase } from './sqlite-database.js';

/** Which sandbox uid each project of this platform has (see sandbox/sandbox-uids.ts). */
export class SqliteSandboxUids {
  constructor(private readonly db: SqliteDatabase) {}

  get(projectId: string): number | null {
    const row = prepare(this.db, 'SELECT uid FROM sandbox_uids WHERE project_id = ?').get(projectId) as { uid: number } | undefined;
    return row?.uid ?? null;
  }

  /** Records `uid` for the project, or answers the one recorded first (two callers raced). */
  put(projectId: string, uid: number, at: string): number {
    prepare(this.db, 'INSERT OR IGNORE INTO sandbox_uids (project_id, uid, created_at) VALUES (?, ?, ?)').run(projectId, uid, at);
    return this.get(projectId) ?? uid;
  }

  all(): number[] {
    return (prepare(this.db, 'SELECT uid FROM sandbox_uids').all() as { uid: number }[]).map((row) => row.uid);
  }

  remove(projectId: string): void {
    prepare(this.db, 'DELETE FROM sandbox_uids WHERE project_id = ?').run(projectId);
  }
}
