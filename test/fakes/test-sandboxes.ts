import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Project } from '../../src/core/project.js';
import type { Projects } from '../../src/core/ports/projects.js';
import { installHandlerChild, SandboxedFunctionPlaces } from '../../src/adapters/local/sandbox/function-places.js';
import { chooseIsolation, readIsolationFacts, type IsolationChoice } from '../../src/adapters/local/sandbox/isolation.js';
import { ProjectSandboxes } from '../../src/adapters/local/sandbox/project-sandboxes.js';
import { makeRunDir } from '../../src/adapters/local/server/server-dirs.js';
import { openDatabase } from '../../src/adapters/local/store/sqlite-database.js';
import { SqliteSandboxUids } from '../../src/adapters/local/store/sqlite-sandbox-uids.js';
import { passableTempDir } from '../e2e/local-platform.js';

/** A Projects port that knows every name asked for (as a project of that name): sandboxes only look projects up. */
const anyProject: Pick<Projects, 'get'> = {
  get: async (name: string) => ({ id: `p_${name.replace(/[^a-z0-9]/g, '')}`, name }) as Project,
};

/**
 * The projects' sandboxes as `anchor server` makes them, without a server: for tests of the
 * builder and the function processes in their sandboxes. `close` removes every folder it made.
 */
export function testSandboxes(choice: IsolationChoice = 'auto') {
  const platformDir = passableTempDir('anchor-sandboxes-');
  const db = openDatabase(join(platformDir, 'anchor.db'));
  const isolation = chooseIsolation(choice, readIsolationFacts(process.env.PATH));
  const runDir = makeRunDir(isolation.uids);
  const options = { isolation, platformDir, runDir, projects: anyProject, uids: new SqliteSandboxUids(db) };
  const sandboxes = new ProjectSandboxes(options);
  const places = new SandboxedFunctionPlaces(sandboxes, installHandlerChild(runDir));
  return {
    isolation,
    sandboxes,
    places,
    /** The same platform's sandboxes as the next server start finds them. */
    restarted: () => new ProjectSandboxes(options),
    close: async (projectNames: string[]): Promise<void> => {
      for (const name of projectNames) await sandboxes.remove((await anyProject.get(name))?.id ?? '');
      db.close();
      for (const dir of [runDir, platformDir]) rmSync(dir, { recursive: true, force: true });
    },
  };
}
