import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Projects } from '../../../core/ports/projects.js';
import type { SqliteDatabase } from '../store/sqlite-database.js';
import { SqliteSandboxUids } from '../store/sqlite-sandbox-uids.js';
import { makeRunDir } from '../server/server-dirs.js';
import { installHandlerChild, SandboxedFunctionPlaces } from './function-places.js';
import { chooseIsolation, readIsolationFacts, type Isolation, type IsolationChoice } from './isolation.js';
import { ProjectSandboxes } from './project-sandboxes.js';
import { SANDBOX_STATE_DIR } from './sandbox-uids.js';
import { killProcessesOf } from './uid-sweep.js';

/** What `anchor server` keeps its projects' builds and sites in, for as long as it runs. */
export interface PlatformSandbox {
  isolation: Isolation;
  /** The server's run dir (server-dirs.ts). */
  runDir: string;
  sandboxes: ProjectSandboxes;
  functionPlaces: SandboxedFunctionPlaces;
  /**
   * Where builds go when they run on disk: with uids, outside the platform dir (its uids could not
   * reach it), in `<stateDir>/builds/<platform>`; without, the platform's own builds/.
   */
  diskBuildDir: string;
  /** At start: kills what a server that died left running as the platform's uids. */
  sweep(): number[];
  close(): void;
}

export function openPlatformSandbox(input: {
  choice: IsolationChoice;
  path: string | undefined;
  platformDir: string;
  db: SqliteDatabase;
  projects: Pick<Projects, 'get'>;
  stateDir?: string | undefined;
}): PlatformSandbox {
  const isolation = chooseIsolation(input.choice, readIsolationFacts(input.path));
  const stateDir = input.stateDir ?? SANDBOX_STATE_DIR;
  const runDir = makeRunDir(isolation.uids);
  const uids = new SqliteSandboxUids(input.db);
  const sandboxes = new ProjectSandboxes({ isolation, platformDir: input.platformDir, runDir, projects: input.projects, uids, stateDir });
  let diskBuildDir = join(input.platformDir, 'builds');
  if (isolation.uids) {
    // Each project's scratch dir in it is its uid's own (0700); the folders above only let uids pass.
    diskBuildDir = uidBuildDir(stateDir, input.platformDir);
    for (const dir of [stateDir, join(stateDir, 'builds'), diskBuildDir]) {
      mkdirSync(dir, { recursive: true, mode: 0o711 });
      chmodSync(dir, 0o711);
    }
  }
  return {
    isolation,
    runDir,
    sandboxes,
    functionPlaces: new SandboxedFunctionPlaces(sandboxes, installHandlerChild(runDir)),
    diskBuildDir,
    sweep: () => (isolation.uids ? killProcessesOf(new Set(uids.all())) : []),
    close: () => rmSync(runDir, { recursive: true, force: true }),
  };
}

/** Where a platform's builds go on disk when its projects have uids (outside its platform dir, which they may not enter). */
export function uidBuildDir(stateDir: string, platformDir: string): string {
  return join(stateDir, 'builds', createHash('sha256').update(platformDir).digest('hex').slice(0, 16));
}
