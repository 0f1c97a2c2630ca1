import type { FunctionRunState, FunctionStates, FunctionStatus } from '../../../core/ports/function-states.js';
import type { HandlerStatus } from '../runtime/supervised-handler.js';
import { prepare, type SqliteDatabase } from './sqlite-database.js';

interface Row {
  deployment_id: string;
  state: FunctionRunState;
  crashes: number;
  restarts: number;
  last_crash_at: string | null;
  last_crash: string | null;
  server_pid: number;
  updated_at: string;
}

/** When the server and the image function differ, the one that needs attention speaks for both. */
const SEVERITY: readonly FunctionRunState[] = ['idle', 'running', 'starting', 'restarting', 'crashloop'];

/**
 * The `function_states` table: the anchor server writes what its function processes do, the CLI
 * reads it (`deployments ls/show`). Rows carry the writing server's pid, so after that server
 * died (or stopped) they read as `no-server` instead of claiming processes that are gone.
 */
export class SqliteFunctionStates implements FunctionStates {
  constructor(
    private readonly db: SqliteDatabase,
    private readonly isRunning: (pid: number) => boolean = processExists,
  ) {}

  async of(deploymentIds: readonly string[]): Promise<Map<string, FunctionStatus>> {
    const states = new Map<string, FunctionStatus>();
    if (deploymentIds.length === 0) return states;
    const rows = this.db
      .prepare(`SELECT * FROM function_states WHERE deployment_id IN (${deploymentIds.map(() => '?').join(', ')})`)
      .all(...deploymentIds) as Row[];
    const alive = new Map<number, boolean>();
    for (const row of rows) {
      if (!alive.has(row.server_pid)) alive.set(row.server_pid, row.server_pid > 0 && this.isRunning(row.server_pid));
      const state: FunctionRunState = alive.get(row.server_pid) ? row.state : 'no-server';
      const lastCrash = row.last_crash_at && row.last_crash ? { at: row.last_crash_at, reason: row.last_crash } : null;
      const seen = states.get(row.deployment_id);
      if (!seen) {
        states.set(row.deployment_id, { state, crashes: row.crashes, restarts: row.restarts, lastCrash, updatedAt: row.updated_at });
        continue;
      }
      if (SEVERITY.indexOf(state) > SEVERITY.indexOf(seen.state)) seen.state = state;
      seen.crashes = Math.max(seen.crashes, row.crashes);
      seen.restarts += row.restarts;
      if (lastCrash && (!seen.lastCrash || lastCrash.at > seen.lastCrash.at)) seen.lastCrash = lastCrash;
      if (row.updated_at > seen.updatedAt) seen.updatedAt = row.updated_at;
    }
    return states;
  }

  /** Written by the server on every change of one process. */
  record(deploymentId: string, kind: string, record: HandlerStatus, serverPid: number, at: string): void {
    prepare(
      this.db,
      `INSERT INTO function_states (deployment_id, kind, state, pid, crashes, restarts, last_crash_at, last_crash, server_pid, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (deployment_id, kind) DO UPDATE SET state = excluded.state, pid = excluded.pid, crashes = excluded.crashes,
         restarts = excluded.restarts, last_crash_at = excluded.last_crash_at, last_crash = excluded.last_crash,
         server_pid = excluded.server_pid, updated_at = excluded.updated_at`,
    ).run(deploymentId, kind, record.state, record.pid, record.crashes, record.restarts, record.lastCrash?.at ?? null, record.lastCrash?.reason ?? null, serverPid, at);
  }

  /** A version the server no longer keeps. */
  forget(deploymentId: string): void {
    prepare(this.db, 'DELETE FROM function_states WHERE deployment_id = ?').run(deploymentId);
  }

  /** A server starting: whatever an earlier one wrote is void, since none of its processes run now. */
  reset(): void {
    prepare(this.db, 'DELETE FROM function_states').run();
  }

  /** A server stopping: its rows stay (the CLI shows what was live) but no longer claim a server. */
  detach(): void {
    prepare(this.db, 'UPDATE function_states SET server_pid = 0, pid = NULL').run();
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
