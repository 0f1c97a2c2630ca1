import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnchorError } from '../../../core/errors.js';
import { openPlainDatabase, type SqliteDatabase } from '../store/sqlite-database.js';

/** What a running `anchor server` says about itself in `<platformDir>/server.json` (mode 0600). */
export interface ServerRecord {
  pid: number;
  startedAt: string;
  /** Its control API: a Unix socket (mode 0600) in the platform dir. */
  controlSocket: string;
  /** Its own temporary folders (sockets, builds in memory): a server that finds them after a crash removes them. */
  runDir: string | null;
  memoryDir: string | null;
  port?: number;
  isolation?: string;
}

/**
 * One server per platform. The lock is SQLite's own lock on `<platformDir>/server.lock`, an
 * exclusive transaction held open for as long as the process lives: the operating system drops it
 * when the process ends in any way (SIGKILL included), so a lock is never left stale, and SQLite
 * also keeps two connections of one process apart. Who holds it is in server.json.
 */
export class ServerLock {
  private constructor(
    private readonly db: SqliteDatabase,
    private readonly platformDir: string,
    /** What the server that held the lock last wrote (it is gone now): its leftovers to clean up. */
    readonly previous: ServerRecord | null,
  ) {}

  /** Takes the lock, or throws SERVER_RUNNING (exit 4) naming the process that holds it. */
  static acquire(platformDir: string, purpose = 'start another server'): ServerLock {
    const taken = ServerLock.tryAcquire(platformDir);
    if (taken.lock) return taken.lock;
    throw serverRunning(taken.holder, purpose);
  }

  /** The lock, or who holds it. Nothing is written either way. */
  static tryAcquire(platformDir: string): { lock: ServerLock; holder: null } | { lock: null; holder: ServerRecord | null } {
    mkdirSync(platformDir, { recursive: true, mode: 0o700 });
    const db = openPlainDatabase(join(platformDir, 'server.lock'));
    try {
      db.pragma('busy_timeout = 0');
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db.close();
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      return { lock: null, holder: readRecord(platformDir) };
    }
    return { lock: new ServerLock(db, platformDir, readRecord(platformDir)), holder: null };
  }

  /** Who holds the platform's lock now, or null when no server runs. */
  static holder(platformDir: string): ServerRecord | { pid: null } | null {
    const taken = ServerLock.tryAcquire(platformDir);
    if (taken.lock) {
      taken.lock.release();
      return null;
    }
    return taken.holder ?? { pid: null };
  }

  /** Says who holds the lock (server.json, mode 0600, replaced whole). */
  record(record: ServerRecord): void {
    const file = join(this.platformDir, 'server.json');
    const draft = `${file}.${process.pid}.tmp`;
    writeFileSync(draft, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    renameSync(draft, file);
  }

  release(): void {
    try {
      this.db.exec('ROLLBACK');
    } finally {
      this.db.close();
    }
  }
}

export function serverRunning(holder: ServerRecord | { pid: null } | null, purpose: string): AnchorError {
  const who = holder?.pid ? `process ${holder.pid}` : 'another process';
  return new AnchorError({
    code: 'SERVER_RUNNING',
    kind: 'conflict',
    message: `anchor server is running on this platform (${who}): cannot ${purpose} while it runs.`,
    hint: holder?.pid ? `Stop it first (kill ${holder.pid}, or Ctrl-C where it runs), then try again.` : 'Stop the running anchor server first, then try again.',
    details: { pid: holder?.pid ?? null },
  });
}

function readRecord(platformDir: string): ServerRecord | null {
  try {
    const record = JSON.parse(readFileSync(join(platformDir, 'server.json'), 'utf8')) as Partial<ServerRecord>;
    return typeof record.pid === 'number' ? (record as ServerRecord) : null;
  } catch {
    return null;
  }
}
