import { execFileSync } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DoctorCheck } from '../../core/doctor-check.js';
import { localPaths } from './create-local-ports.js';
import { chooseIsolation, readIsolationFacts } from './sandbox/isolation.js';
import { blockedForOthers } from './sandbox/reachable.js';
import { ServerLock } from './server/server-lock.js';

/**
 * `anchor doctor` on a local platform: what keeps sites and builds from the platform on this
 * machine, whether a server holds the platform, and whether its files are closed to other users.
 */
export function localDoctorChecks(input: { home: string; platformDir: string; path: string | undefined }): DoctorCheck[] {
  return [isolationCheck(input.path), ...sandboxReachCheck(input.path), serverCheck(input.platformDir), ...fileModeChecks(input.home, input.platformDir)];
}

function isolationCheck(path: string | undefined): DoctorCheck {
  const isolation = chooseIsolation('auto', readIsolationFacts(path));
  const missing = isolation.missing.join('; ');
  if (isolation.mode === 'none') {
    return {
      id: 'isolation',
      status: 'fail',
      message: `No isolation: ${isolation.summary.replace(/^NO ISOLATION: /, '')}.`,
      hint: `${missing}. Until then, deploy only sites whose code you trust as much as this machine's own (README, "Security model").`,
    };
  }
  if (isolation.mode === 'uid+bwrap') return { id: 'isolation', status: 'ok', message: `Isolation ${isolation.mode}: ${isolation.summary}.` };
  return { id: 'isolation', status: 'warn', message: `Isolation ${isolation.mode}: ${isolation.summary}.`, hint: missing };
}

/** As root, sandbox uids run node, npm and git: they must be able to reach them. */
function sandboxReachCheck(path: string | undefined): DoctorCheck[] {
  if (process.getuid?.() !== 0) return [];
  const blocked: string[] = [];
  for (const tool of [process.execPath, 'npm', 'git']) {
    const found = tool.startsWith('/') ? tool : which(tool, path);
    if (found === null) continue;
    const folder = blockedForOthers(realpathSync(found));
    if (folder !== null) blocked.push(`${tool} (in ${folder})`);
  }
  if (blocked.length === 0) return [{ id: 'sandbox-tools', status: 'ok', message: 'node, npm and git are reachable by the projects\' sandbox uids.' }];
  return [{ id: 'sandbox-tools', status: 'fail', message: `The projects' sandbox uids cannot reach ${blocked.join(', ')}: their builds and sites would not start.`, hint: 'Install them where other users may run them (e.g. /usr/local), or let others pass through those folders (chmod o+x).' }];
}

function serverCheck(platformDir: string): DoctorCheck {
  const holder = ServerLock.holder(platformDir);
  if (holder === null) return { id: 'server-lock', status: 'ok', message: 'No anchor server runs on this platform (its lock is free).' };
  const record = 'startedAt' in holder ? holder : null;
  return {
    id: 'server-lock',
    status: 'ok',
    message: `anchor server holds this platform: ${holder.pid === null ? 'its process did not say who it is' : `process ${holder.pid}`}${record ? `, since ${record.startedAt}, isolation ${record.isolation ?? 'unknown'}` : ''}.`,
  };
}

/** Who may read what: the platform's secrets are only its user's. */
function fileModeChecks(home: string, platformDir: string): DoctorCheck[] {
  const paths = localPaths(platformDir);
  const wanted: Array<[string, number]> = [
    [home, 0o700],
    [platformDir, 0o700],
    [paths.secretKey, 0o600],
    [paths.database, 0o644],
    [paths.serverRecord, 0o600],
    [paths.controlSocket, 0o600],
  ];
  const loose: string[] = [];
  const foreign: string[] = [];
  for (const [path, mode] of wanted) {
    const info = statSync(path, { throwIfNoEntry: false });
    if (info === undefined) continue;
    if ((info.mode & 0o777 & ~mode) !== 0) loose.push(`${path} is ${(info.mode & 0o777).toString(8)} (at most ${mode.toString(8)})`);
    if (info.uid !== process.getuid?.()) foreign.push(`${path} (uid ${info.uid})`);
  }
  const checks: DoctorCheck[] = [];
  checks.push(
    loose.length === 0
      ? { id: 'file-modes', status: 'ok', message: `The platform's files are closed to other users (${home} and ${platformDir} 0700, secret.key 0600).` }
      : { id: 'file-modes', status: 'fail', message: `Other users may read the platform's files: ${loose.join('; ')}.`, hint: `chmod 700 ${home} ${platformDir}; chmod 600 ${join(platformDir, 'secret.key')} (anchor server does this for the platform dir when it starts).` },
  );
  if (foreign.length > 0) checks.push({ id: 'file-owner', status: 'warn', message: `Owned by another user than this one: ${foreign.join(', ')}.`, hint: 'Run anchor as the user that owns the platform (the one that runs anchor server).' });
  return checks;
}

function which(name: string, path: string | undefined): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v "$0"', name], { encoding: 'utf8', env: { PATH: path ?? '' } }).trim() || null;
  } catch {
    return null;
  }
}
