import { createRequire } from 'node:module';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { AnchorError } from '../../../core/errors.js';

export type SqliteDatabase = Database.Database;

/**
 * The local platform's schema, one SQL script per version, oldest first. Never edit a released
 * entry: append a new one. Version N is `MIGRATIONS[N - 1]`.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    repo TEXT NOT NULL,
    branch TEXT NOT NULL,
    root TEXT NOT NULL,
    webhook_secret TEXT NOT NULL,
    previous_webhook_secret TEXT,
    github_hook_id INTEGER,
    created_at TEXT NOT NULL
  );

  -- One counter per project, so a sequence is never handed out twice, even after deployments are removed.
  CREATE TABLE deployment_sequences (
    project_id TEXT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    last INTEGER NOT NULL
  );

  CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    sequence INTEGER NOT NULL,
    state TEXT NOT NULL,
    commit_sha TEXT,
    commit_message TEXT,
    ref TEXT NOT NULL,
    trigger TEXT NOT NULL,
    transitions TEXT NOT NULL,
    reason TEXT,
    build_id TEXT,
    runtime_env TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (project_id, sequence)
  );

  CREATE TABLE live_pointers (
    project_id TEXT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    deployment_id TEXT NOT NULL REFERENCES deployments(id),
    sequence INTEGER NOT NULL,
    -- The newest deployment that was ever live: after a rollback, an older build still cannot win.
    highest_sequence INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    at TEXT NOT NULL
  );

  CREATE TABLE env_vars (
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    secret INTEGER NOT NULL,
    targets TEXT NOT NULL,
    value_bytes INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (project_id, key)
  );

  CREATE TABLE deliveries (
    delivery_id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    deployment_id TEXT NOT NULL,
    at TEXT NOT NULL
  );

  CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deployment_id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    visible_at INTEGER NOT NULL,
    receipt TEXT UNIQUE,
    last_error TEXT
  );
  CREATE INDEX jobs_visible ON jobs (visible_at, id);

  CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    deployment_id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT
  );
  `,
  // What each deployment's function processes are doing, written by the anchor server that runs
  // them (server_pid) and read by the CLI: a row whose server is gone says nothing runs them.
  `
  CREATE TABLE function_states (
    deployment_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    pid INTEGER,
    crashes INTEGER NOT NULL,
    restarts INTEGER NOT NULL,
    last_crash_at TEXT,
    last_crash TEXT,
    server_pid INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (deployment_id, kind)
  );
  `,
  `
  -- Which uid runs a project's builds and sites when anchor server runs as root (sandbox-uids.ts).
  -- No foreign key: projects rm reads the uid to clean up after the project is gone.
  CREATE TABLE sandbox_uids (
    project_id TEXT PRIMARY KEY,
    uid INTEGER NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  `,
  // Custom domains (issue #13). A name belongs to one project; it goes with the project.
  `
  CREATE TABLE domains (
    name TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    redirect_to TEXT,
    manage_dns INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    records TEXT NOT NULL,
    certificate TEXT,
    checked_at TEXT,
    active_since TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX domains_by_project ON domains (project_id, name);
  `,
  // A project's build machine size (issue #11 item 13; CodeBuild's compute type on aws). NULL: the platform's default.
  `
  ALTER TABLE projects ADD COLUMN build_size TEXT;
  `,
  // github: a project's GitHub token (private clones, deployment statuses), sealed by the secret box.
  `
  CREATE TABLE project_github_tokens (
    project_id TEXT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    sealed TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
  // The platform API (issue #14): owners own projects; tokens, dashboard sessions and sign-in
  // codes are kept only as SHA-256. Projects from before belong to the default owner.
  `
  CREATE TABLE owners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  INSERT INTO owners (id, name, created_at) VALUES ('o_default', 'default', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

  CREATE TABLE project_owners (
    project_id TEXT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL
  );
  INSERT INTO project_owners (project_id, owner_id) SELECT id, 'o_default' FROM projects;

  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    project_id TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
  );
  CREATE INDEX api_tokens_by_owner ON api_tokens (owner_id, created_at);

  CREATE TABLE api_sessions (
    hash TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    project_id TEXT,
    token_id TEXT,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );

  CREATE TABLE sign_in_codes (
    hash TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  `,
];

export interface OpenDatabaseOptions {
  /** Tests pass their own list; the platform always uses MIGRATIONS. */
  migrations?: readonly string[];
}

let binding: string | undefined;

const BINDING = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');

/**
 * better-sqlite3's compiled addon, looked for in the node_modules folders above this file as
 * require would (a CLI start pays ~1.5 ms for require.resolve, ~0.2 ms for this), then by require.
 */
function nativeBinding(): string | undefined {
  if (binding !== undefined) return binding || undefined;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, BINDING))) return (binding = join(dir, BINDING));
    if (dirname(dir) === dir) break;
  }
  try {
    binding = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    // Not beside a node_modules (a copy bundled elsewhere): better-sqlite3 looks for it itself.
    binding = '';
  }
  return binding || undefined;
}

/** A SQLite file opened as it is, without anchor's schema or settings (the server lock's). */
export function openPlainDatabase(file: string): SqliteDatabase {
  return new Database(file, { nativeBinding: nativeBinding() });
}

/**
 * Opens (creating if needed) the platform's SQLite file in WAL mode and brings its schema up to
 * date. The up-to-date check is one `PRAGMA user_version`, so commands that only read stay fast.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  // The native binding is named outright: the CLI runs bundled, where better-sqlite3 cannot find it by itself.
  const db = new Database(file, { nativeBinding: nativeBinding() });
  try {
    // busy_timeout first: switching a fresh file to WAL takes a lock another process may hold.
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only a power loss may drop the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, options.migrations ?? MIGRATIONS, file);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Applies the pending migrations in one transaction; refuses a file written by a newer anchor. */
export function migrate(db: SqliteDatabase, migrations: readonly string[], file = db.name): void {
  const known = migrations.length;
  const current = () => db.pragma('user_version', { simple: true }) as number;
  const before = current();
  assertNotNewer(before, known, file);
  if (before === known) return;
  db.transaction(() => {
    // Another process may have migrated between our check and taking the write lock.
    const version = current();
    assertNotNewer(version, known, file);
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
    for (let v = version + 1; v <= known; v++) {
      db.exec(migrations[v - 1] as string);
      record.run(v, new Date().toISOString());
    }
    db.pragma(`user_version = ${known}`);
  }).immediate();
}

function assertNotNewer(version: number, known: number, file: string): void {
  if (version > known) {
    throw new AnchorError({
      code: 'DATABASE_TOO_NEW',
      kind: 'conflict',
      message: `The platform database ${file} has schema version ${version}, but this anchor knows only up to version ${known}: it was written by a newer anchor.`,
      hint: 'Upgrade anchor to the version that last ran this platform (npm install -g anchor@latest), or point ANCHOR_HOME at another directory.',
      details: { file, version, known },
    });
  }
}

const statements = new WeakMap<SqliteDatabase, Map<string, Database.Statement>>();

/**
 * A prepared statement, compiled once per database and SQL text: compiling costs more than most
 * of the queries themselves (the webhook path runs several per delivery).
 */
export function prepare(db: SqliteDatabase, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
