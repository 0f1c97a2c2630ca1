import { processIds, processInfo, processUid, signalQuietly } from '../../../lib/process-table.js';

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

/**
 * Kills (SIGKILL) what a build running as `uid` without bubblewrap left behind by leaving its
 * sessions (setsid, a daemon's double fork): every process of that uid started since `since`
 * (clock ticks after boot, the build's first step) outside a session this server started. The
 * project's site processes share the uid, but each leads a session the server started (so do a
 * concurrent build's steps): those are left alone. Returns the pids it killed.
 */
export function killEscapees(uid: number, since: number): number[] {
  const killed: number[] = [];
  for (const pid of processIds()) {
    if (processUid(pid) !== uid) continue;
    const info = processInfo(pid);
    if (info === null || info.state === 'Z' || info.startTime < since) continue;
    const leader = info.session === pid ? info : processInfo(info.session);
    if (leader !== null && leader.ppid === process.pid && processUid(leader.pid) === uid) continue;
    signalQuietly(pid, 'SIGKILL');
    killed.push(pid);
  }
  return killed;
}

/** killEscapees until a pass finds none (an escapee may fork again while it is being killed), at most 5 passes. */
export async function endEscapees(uid: number, since: number): Promise<void> {
  for (let pass = 0; pass < 5 && killEscapees(uid, since).length > 0; pass += 1) await new Promise((r) => setTimeout(r, 20));
}
