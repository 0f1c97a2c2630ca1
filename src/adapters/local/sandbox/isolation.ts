import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { AnchorError } from '../../../core/errors.js';
import { bwrapArgs } from './bwrap-args.js';
import { SANDBOX_UIDS } from './sandbox-uids.js';

/**
 * How builds and sites are kept from the platform (README, "Security model"):
 * - `uid+bwrap`: each project's processes run as a uid of their own, inside a bubblewrap sandbox;
 * - `uid`: as their own uid, seeing the machine as any unprivileged user does;
 * - `bwrap`: in a bubblewrap sandbox, as the server's own user;
 * - `none`: as the server's user, with everything it can read.
 */
export type IsolationMode = 'uid+bwrap' | 'uid' | 'bwrap' | 'none';
export const ISOLATION_CHOICES = ['auto', 'uid+bwrap', 'uid', 'bwrap', 'none'] as const;
export type IsolationChoice = (typeof ISOLATION_CHOICES)[number];

export interface Isolation {
  mode: IsolationMode;
  /** bubblewrap's path, when sandboxes use it. */
  bwrap: string | null;
  /** Whether each project runs as a uid of its own (the server is root). */
  uids: boolean;
  /** One line for the server's start and `anchor doctor`: what keeps sites out, or that nothing does. */
  summary: string;
  /** Why a layer that could add protection is not used. */
  missing: string[];
}

export interface IsolationFacts {
  isRoot: boolean;
  /** bubblewrap's path, or null when it is not installed. */
  bwrap: string | null;
  /** Why bubblewrap could not start a sandbox here (no user namespaces, …), or null when it could. */
  bwrapProblem: string | null;
}

const BWRAP_PLACES = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'];
const INSTALL_BWRAP = 'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)';

/** What this machine offers: root or not, and whether bubblewrap starts a sandbox (for a sandbox uid when root). */
export function readIsolationFacts(path: string | undefined): IsolationFacts {
  const isRoot = process.getuid?.() === 0;
  const bwrap = [...BWRAP_PLACES, ...(path ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'bwrap'))].find(isExecutable) ?? null;
  if (bwrap === null) return { isRoot, bwrap, bwrapProblem: 'bubblewrap is not installed' };
  const truePath = ['/usr/bin/true', '/bin/true'].find((file) => existsSync(file)) ?? 'true';
  const probe = spawnSync(bwrap, [...bwrapArgs({ mounts: [], cwd: '/', env: {} }), '--', truePath], {
    cwd: '/',
    env: {},
    timeout: 10_000,
    encoding: 'utf8',
    ...(isRoot ? { uid: SANDBOX_UIDS.probe, gid: SANDBOX_UIDS.probe } : {}),
  });
  const problem = probe.error ? probe.error.message : probe.status === 0 ? null : (probe.stderr.trim() || `exit ${String(probe.status ?? probe.signal)}`);
  return { isRoot, bwrap, bwrapProblem: problem === null ? null : `bubblewrap could not start a sandbox: ${problem}` };
}

/** The isolation to run with: the strongest the machine offers for `auto`, else exactly the one asked for. */
export function chooseIsolation(choice: IsolationChoice, facts: IsolationFacts): Isolation {
  const bwrapOk = facts.bwrap !== null && facts.bwrapProblem === null;
  const wanted: IsolationMode = choice !== 'auto' ? choice : facts.isRoot ? (bwrapOk ? 'uid+bwrap' : 'uid') : bwrapOk ? 'bwrap' : 'none';
  const needsUids = wanted === 'uid' || wanted === 'uid+bwrap';
  const needsBwrap = wanted === 'bwrap' || wanted === 'uid+bwrap';
  if (needsUids && !facts.isRoot) {
    throw new AnchorError({ code: 'ISOLATION_UNAVAILABLE', kind: 'usage', message: `--isolation ${wanted} needs anchor server to run as root (it gives each project a uid of its own).`, hint: 'Run it as root, or pass --isolation bwrap (or auto).' });
  }
  if (needsBwrap && !bwrapOk) {
    throw new AnchorError({ code: 'ISOLATION_UNAVAILABLE', kind: 'usage', message: `--isolation ${wanted} needs bubblewrap: ${facts.bwrapProblem ?? 'it is not installed'}.`, hint: `${INSTALL_BWRAP}, or pass --isolation auto to use what this machine offers.` });
  }
  const missing: string[] = [];
  if (!needsBwrap) missing.push(facts.bwrapProblem ? `${facts.bwrapProblem}: ${INSTALL_BWRAP} for a private view of the files, /proc and the process tree` : 'bubblewrap is turned off (--isolation)');
  if (!needsUids) missing.push(facts.isRoot ? 'uids per project are turned off (--isolation)' : 'not root: every project runs as this user (run anchor server as root for a uid per project)');
  return { mode: wanted, bwrap: needsBwrap ? facts.bwrap : null, uids: needsUids, summary: SUMMARIES[wanted], missing };
}

const SUMMARIES: Record<IsolationMode, string> = {
  'uid+bwrap': 'sites and builds are isolated: each project runs as a uid of its own in a bubblewrap sandbox',
  uid: 'sites and builds run as a uid of their own per project (no bubblewrap sandbox)',
  bwrap: 'sites and builds run in bubblewrap sandboxes, as this user',
  none: 'NO ISOLATION: sites and builds run as this user and can read the platform key, its database and this process\'s environment (see README, "Security model")',
};

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
