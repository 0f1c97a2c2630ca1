import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AnchorError } from '../../core/errors.js';
import { ACTIVE_STATES } from '../../core/deployment.js';
import type { Project } from '../../core/project.js';
import type { Ports } from '../../core/ports/index.js';
import { safeName } from './build/build-cache.js';
import type { LocalPlatform } from './create-local-ports.js';
import { SANDBOX_STATE_DIR } from './sandbox/sandbox-uids.js';
import { callControl } from './server/control-client.js';
import { ServerLock, serverRunning } from './server/server-lock.js';
import type { SqliteDatabase } from './store/sqlite-database.js';
import { SqliteSandboxUids } from './store/sqlite-sandbox-uids.js';

export interface ProjectRemovalContext {
  platformDir: string;
  db: SqliteDatabase;
  ports: Pick<Ports, 'projects' | 'deployments' | 'envVars' | 'artifacts'>;
  /** Machine-wide sandbox state (default /var/lib/anchor). */
  stateDir?: string;
  /** In a running server: what it runs for the project, to stop first. */
  running?: {
    stopBuild(buildId: string): Promise<void>;
    forgetFunctions(projectName: string): Promise<void>;
    /** Folders of the project only the running server knows (its package store in memory, its sockets). */
    removeOwnFiles(project: Project): Promise<void>;
  };
}

/**
 * Removes a project from a local platform, all of it: its rows (deployments, env vars, queued
 * jobs, deliveries, live pointer), then, in a running server, its builds and function processes,
 * then its files: logs, artifacts, build cache, package store, runtime folders, sandbox folders
 * and uid. The rows go first, so a webhook that arrives meanwhile finds no project and builds
 * nothing. A project added again under the same name is a new project: another id, another uid,
 * nothing of the old one.
 */
export async function removeLocalProject(ctx: ProjectRemovalContext, projectId: string): Promise<Project> {
  const project = await ctx.ports.projects.getById(projectId);
  if (!project) throw new AnchorError({ code: 'PROJECT_NOT_FOUND', kind: 'not-found', message: `There is no project ${projectId} on this platform.`, hint: 'Run "anchor projects ls" to see the projects there are.' });
  const deployments = await ctx.ports.deployments.listByProject(project.id, { limit: 100_000 });
  ctx.db.transaction(() => {
    for (const table of ['jobs', 'dead_letters', 'deliveries']) ctx.db.prepare(`DELETE FROM ${table} WHERE project_id = ?`).run(project.id);
  })();
  await ctx.ports.envVars.removeAll(project.id);
  await ctx.ports.projects.remove(project.id);
  if (ctx.running) {
    const building = deployments.filter((d) => ACTIVE_STATES.includes(d.state) && d.buildId !== null);
    await Promise.all(building.map((d) => ctx.running?.stopBuild(d.buildId ?? '')));
    await ctx.running.forgetFunctions(project.name);
    await ctx.running.removeOwnFiles(project);
  }
  for (const deployment of deployments) {
    await ctx.ports.artifacts.remove({ projectName: project.name, deploymentId: deployment.id });
    await rm(join(ctx.platformDir, 'logs', `${deployment.id}.jsonl`), { force: true });
    await rm(join(ctx.platformDir, 'runtime', deployment.id), { recursive: true, force: true });
  }
  for (const dir of ['cache', 'package-stores']) await rm(join(ctx.platformDir, dir, safeName(project.name)), { recursive: true, force: true });
  await rm(join(ctx.platformDir, 'sites', project.id), { recursive: true, force: true });
  const uids = new SqliteSandboxUids(ctx.db);
  const uid = uids.get(project.id);
  if (uid !== null) await rm(join(ctx.stateDir ?? SANDBOX_STATE_DIR, 'sites', String(uid)), { recursive: true, force: true });
  uids.remove(project.id);
  return project;
}

/**
 * `anchor projects rm` on a local platform: through the running server's control socket when a
 * server holds the platform (it stops the project's processes first), else here, holding the
 * server lock so that no server starts meanwhile.
 */
export async function removeProjectFromCli(local: LocalPlatform, projectId: string): Promise<{ viaServer: boolean }> {
  const taken = ServerLock.tryAcquire(local.paths.root);
  if (taken.lock) {
    try {
      await removeLocalProject({ platformDir: local.paths.root, db: local.db, ports: local.ports }, projectId);
    } finally {
      taken.lock.release();
    }
    return { viaServer: false };
  }
  const answer = await callControl(local.paths.controlSocket, 'remove-project', { projectId });
  if (!answer.reached) throw serverRunning(taken.holder, `remove a project (its control socket ${local.paths.controlSocket} does not answer)`);
  return { viaServer: true };
}
