import { AnchorError } from '../../../core/errors.js';
import type { Domain } from '../../../core/domain.js';
import type { Domains } from '../../../core/ports/domains.js';
import { prepare, type SqliteDatabase } from './sqlite-database.js';

interface DomainRow {
  name: string;
  project_id: string;
  redirect_to: string | null;
  manage_dns: number;
  state: string;
  reason: string | null;
  records: string;
  certificate: string | null;
  checked_at: string | null;
  active_since: string | null;
  created_at: string;
}

const COLUMNS = 'name, project_id, redirect_to, manage_dns, state, reason, records, certificate, checked_at, active_since, created_at';

/** The domains table (migration 2): one row per name, the record's nested parts as JSON. */
export class SqliteDomains implements Domains {
  constructor(private readonly db: SqliteDatabase) {}

  /** All or nothing: a name any project holds rolls the whole batch back. */
  async add(domains: readonly Domain[]): Promise<void> {
    const insert = prepare(this.db, `INSERT INTO domains (${COLUMNS}) VALUES (@name, @project_id, @redirect_to, @manage_dns, @state, @reason, @records, @certificate, @checked_at, @active_since, @created_at) ON CONFLICT DO NOTHING`);
    this.db.transaction((rows: DomainRow[]) => {
      for (const row of rows) {
        if (insert.run(row).changes === 0) throw new AnchorError({ code: 'DOMAIN_TAKEN', kind: 'conflict', message: `${row.name} already belongs to a project.`, hint: 'Run "anchor domains ls" to see which one.' });
      }
    })(domains.map(toRow));
  }

  async get(name: string): Promise<Domain | null> {
    const row = prepare(this.db, `SELECT ${COLUMNS} FROM domains WHERE name = ?`).get(name) as DomainRow | undefined;
    return row ? fromRow(row) : null;
  }

  async list(filter: { projectId?: string } = {}): Promise<Domain[]> {
    const rows = filter.projectId
      ? (prepare(this.db, `SELECT ${COLUMNS} FROM domains WHERE project_id = ? ORDER BY name`).all(filter.projectId) as DomainRow[])
      : (prepare(this.db, `SELECT ${COLUMNS} FROM domains ORDER BY name`).all() as DomainRow[]);
    return rows.map(fromRow);
  }

  async save(domain: Domain): Promise<void> {
    prepare(
      this.db,
      `UPDATE domains SET redirect_to = @redirect_to, manage_dns = @manage_dns, state = @state, reason = @reason, records = @records,
         certificate = @certificate, checked_at = @checked_at, active_since = @active_since WHERE name = @name AND project_id = @project_id`,
    ).run(toRow(domain));
  }

  async remove(name: string): Promise<void> {
    prepare(this.db, 'DELETE FROM domains WHERE name = ?').run(name);
  }
}

function toRow(d: Domain): DomainRow {
  return {
    name: d.name,
    project_id: d.projectId,
    redirect_to: d.redirectTo,
    manage_dns: d.manageDns ? 1 : 0,
    state: d.state,
    reason: d.reason,
    records: JSON.stringify(d.records),
    certificate: d.certificate ? JSON.stringify(d.certificate) : null,
    checked_at: d.checkedAt,
    active_since: d.activeSince,
    created_at: d.createdAt,
  };
}

function fromRow(r: DomainRow): Domain {
  return {
    name: r.name,
    projectId: r.project_id,
    redirectTo: r.redirect_to,
    manageDns: r.manage_dns === 1,
    state: r.state as Domain['state'],
    reason: r.reason,
    records: JSON.parse(r.records) as Domain['records'],
    certificate: r.certificate ? (JSON.parse(r.certificate) as Domain['certificate']) : null,
    checkedAt: r.checked_at,
    activeSince: r.active_since,
    createdAt: r.created_at,
  };
}
