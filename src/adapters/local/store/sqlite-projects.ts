import { projectExists, projectGone } from '../../../core/domain-errors.js';
import type { Projects } from '../../../core/ports/projects.js';
import type { BuildSize, Project } from '../../../core/project.js';
import { prepare, type SqliteDatabase } from './sqlite-database.js';

interface ProjectRow {
  id: string;
  name: string;
  repo: string;
  branch: string;
  root: string;
  webhook_secret: string;
  previous_webhook_secret: string | null;
  github_hook_id: number | null;
  build_size: string | null;
  created_at: string;
}

const COLUMNS = 'id, name, repo, branch, root, webhook_secret, previous_webhook_secret, github_hook_id, build_size, created_at';

export class SqliteProjects implements Projects {
  constructor(private readonly db: SqliteDatabase) {}

  async create(project: Project): Promise<void> {
    const result = prepare(this.db, `INSERT INTO projects (${COLUMNS}) VALUES (@id, @name, @repo, @branch, @root, @webhook_secret, @previous_webhook_secret, @github_hook_id, @build_size, @created_at) ON CONFLICT DO NOTHING`)
      .run(toRow(project));
    if (result.changes === 0) throw projectExists(project.name);
  }

  async get(name: string): Promise<Project | null> {
    const row = prepare(this.db, `SELECT ${COLUMNS} FROM projects WHERE name = ?`).get(name) as ProjectRow | undefined;
    return row ? fromRow(row) : null;
  }

  async getById(id: string): Promise<Project | null> {
    const row = prepare(this.db, `SELECT ${COLUMNS} FROM projects WHERE id = ?`).get(id) as ProjectRow | undefined;
    return row ? fromRow(row) : null;
  }

  async list(): Promise<Project[]> {
    const rows = prepare(this.db, `SELECT ${COLUMNS} FROM projects ORDER BY name`).all() as ProjectRow[];
    return rows.map(fromRow);
  }

  async update(project: Project): Promise<void> {
    let changes: number;
    try {
      changes = prepare(this.db, 
          `UPDATE projects SET name = @name, repo = @repo, branch = @branch, root = @root, webhook_secret = @webhook_secret,
             previous_webhook_secret = @previous_webhook_secret, github_hook_id = @github_hook_id, build_size = @build_size WHERE id = @id`,
        )
        .run(toRow(project)).changes;
    } catch (error) {
      if (isUniqueViolation(error)) throw projectExists(project.name);
      throw error;
    }
    if (changes === 0) {
      throw projectGone(project);
    }
  }

  /** Env vars, deployments and the live pointer go with the project (foreign keys cascade). */
  async remove(id: string): Promise<void> {
    prepare(this.db, 'DELETE FROM projects WHERE id = ?').run(id);
  }
}


function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}

function toRow(p: Project): ProjectRow {
  return {
    id: p.id,
    name: p.name,
    repo: JSON.stringify(p.repo),
    branch: p.branch,
    root: p.root,
    webhook_secret: p.webhookSecret,
    previous_webhook_secret: p.previousWebhookSecret,
    github_hook_id: p.githubHookId,
    build_size: p.buildSize ?? null,
    created_at: p.createdAt,
  };
}

function fromRow(r: ProjectRow): Project {
  return {
    id: r.id,
    name: r.name,
    repo: JSON.parse(r.repo) as Project['repo'],
    branch: r.branch,
    root: r.root,
    webhookSecret: r.webhook_secret,
    previousWebhookSecret: r.previous_webhook_secret,
    githubHookId: r.github_hook_id,
    ...(r.build_size ? { buildSize: r.build_size as BuildSize } : {}),
    createdAt: r.created_at,
  };
}
