import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { uidBuildDir } from './sandbox/platform-sandbox.js';
import { SANDBOX_STATE_DIR } from './sandbox/sandbox-uids.js';
import { ServerLock, serverRunning } from './server/server-lock.js';
import { openPlainDatabase } from './store/sqlite-database.js';

/**
 * `anchor destroy` of a local platform: refused while a server holds it (SERVER_RUNNING, exit 4);
 * otherwise holds the lock itself while it removes the platform dir and what its projects had
 * outside it (with uids: their folders and the platform's builds in `<stateDir>`).
 */
export function destroyLocalPlatform(platformDir: string, stateDir: string = SANDBOX_STATE_DIR): void {
  const taken = ServerLock.tryAcquire(platformDir);
  if (!taken.lock) throw serverRunning(taken.holder, 'delete the platform');
  try {
    for (const uid of sandboxUids(join(platformDir, 'anchor.db'))) rmSync(join(stateDir, 'sites', String(uid)), { recursive: true, force: true });
    rmSync(uidBuildDir(stateDir, platformDir), { recursive: true, force: true });
    rmSync(platformDir, { recursive: true, force: true });
  } finally {
    taken.lock.release();
  }
}

function sandboxUids(database: string): number[] {
  if (!existsSync(database)) return [];
  const db = openPlainDatabase(database);
  try {
    return (db.prepare('SELECT uid FROM sandbox_uids').all() as { uid: number }[]).map((row) => row.uid);
  } catch {
    return []; // A platform from before sandboxes: none.
  } finally {
    db.close();
  }
}
