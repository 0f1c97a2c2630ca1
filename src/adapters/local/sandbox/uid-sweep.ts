import { processIds, processUid, signalQuietly } from '../../../lib/process-table.js';

/**
 * Kills (SIGKILL) every process running as one of `uids`: at a server's start, whatever a server
 * that died left of its projects' builds and sites, including what left their process groups and
 * sessions. Nothing else runs as those uids (they are anchor's alone, and one server runs per
 * platform). Returns the pids it killed.
 */
export function killProcessesOf(uids: ReadonlySet<number>): number[] {
  if (uids.size === 0) return [];
  const killed: number[] = [];
  for (const pid of processIds()) {
    const uid = processUid(pid);
    if (uid === null || !uids.has(uid)) continue;
    signalQuietly(pid, 'SIGKILL');
    killed.push(pid);
  }
  return killed;
}
