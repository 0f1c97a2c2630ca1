import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { templatesDir } from '../build/templates-dir.js';
import type { Ports } from '../../../core/ports/index.js';
import type { Project } from '../../../core/project.js';
import { receiveWebhook } from '../../../core/use-cases/receive-webhook.js';
import { supersedeOlder } from '../../../core/use-cases/run-build.js';
import { serveLive } from '../../../core/use-cases/serve-live.js';
import { BuildWorker } from './build-worker.js';
import { makeMemoryDir, noRoomInMemory, pickBuildRoot, planMemoryDir, readBuildRootFacts, type BuildRoot } from '../build/build-root.js';
import { safeName } from '../build/build-cache.js';
import { BurstGate, BurstGatedLogs } from './burst-gate.js';
import { GroupedWebhookIntake } from './grouped-webhook-intake.js';
import { createLocalPorts, type LocalPlatformOptions } from '../create-local-ports.js';
import { LocalFunctionHost } from '../runtime/local-function-host.js';
import { PlatformServer } from './platform-server.js';
import { ProcessBuilder } from '../build/process-builder.js';
import { removeLocalProject } from '../project-removal.js';
import { openPlatformSandbox, type PlatformSandbox } from '../sandbox/platform-sandbox.js';
import { assertReachableByUids } from '../sandbox/reachable.js';
import type { Isolation, IsolationChoice } from '../sandbox/isolation.js';
import { controlActions } from './control-actions.js';
import { ControlSocket } from './control-socket.js';
import { removeLeftovers } from './server-dirs.js';
import { ServerLock } from './server-lock.js';

export interface LocalServerOptions extends LocalPlatformOptions {
  host: string;
  port: number;
  concurrency: number;
  /** anchor's own open-next.config.ts (templates/), used for apps that have none. */
  defaultOpenNextConfig?: string;
  visibilityMs?: number;
  buildTimeoutMs?: number;
  /** Where builds' scratch dirs go (`anchor server --build-dir`); by default in memory when there is room. */
  buildDir?: string;
  /** How builds and sites are kept from the platform (`anchor server --isolation`); default the strongest there is. */
  isolation?: IsolationChoice;
  /** Machine-wide state of sandbox uids (default /var/lib/anchor). */
  sandboxStateDir?: string;
}

export interface LocalServer {
  ports: Ports;
  port: number;
  functions: LocalFunctionHost;
  worker: BuildWorker;
  buildRoot: BuildRoot;
  isolation: Isolation;
  sandbox: PlatformSandbox;
  controlSocket: string;
  close(): Promise<void>;
}

/**
 * After a push is answered, older builds of its project stop at once rather than when a worker
 * frees up; a burst of pushes to one project is handled once, for the newest.
 */
class SupersedeScheduler {
  private readonly pending = new Set<string>();

  constructor(private readonly run: (projectId: string) => Promise<void>) {}

  schedule(projectId: string): void {
    if (this.pending.has(projectId)) return;
    this.pending.add(projectId);
    setTimeout(() => {
      this.pending.delete(projectId);
      void this.run(projectId).catch(() => undefined);
    }, 50);
  }
}

/**
 * The composition root of `anchor server`: the CLI's ports plus the pipeline's own adapters (the
 * process builder, the function host that runs handlers, the edge), wired to the core. It holds
 * the platform's server lock from before it touches anything until it has stopped.
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const lock = ServerLock.acquire(options.dir);
  try {
    return await startLocked(options, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startLocked(options: LocalServerOptions, lock: ServerLock): Promise<LocalServer> {
  // Only the server's user may enter the platform dir: its key, database and control socket.
  chmodSync(options.dir, 0o700);
  const local = createLocalPorts(options);
  const sandbox = openPlatformSandbox({ choice: options.isolation ?? 'auto', path: options.baseEnv.PATH, platformDir: options.dir, db: local.db, projects: local.ports.projects, stateDir: options.sandboxStateDir });
  let port = options.port;
  const functions = new LocalFunctionHost({ places: sandbox.functionPlaces, edgePort: () => port, baseEnv: options.baseEnv });
  const memoryDir = planMemoryDir();
  const buildRoot = pickBuildRoot({ memoryDir, diskDir: sandbox.diskBuildDir, concurrency: options.concurrency, requested: options.buildDir }, readBuildRootFacts());
  if (buildRoot.inMemory) makeMemoryDir(memoryDir, sandbox.isolation.uids);
  else mkdirSync(buildRoot.dir, { recursive: true });
  if (sandbox.isolation.uids) assertReachableByUids(buildRoot.dir, '--build-dir');
  const packageStoreDir = buildRoot.inMemory ? join(memoryDir, 'package-store') : sandbox.isolation.uids ? local.paths.packageStores : undefined;
  const builder = new ProcessBuilder({
    workDir: buildRoot.dir,
    // Where a server with other settings (or more memory free) would have built: its leftovers are reaped too.
    formerWorkDirs: [local.paths.builds, sandbox.diskBuildDir, ...(lock.previous?.memoryDir ? [join(lock.previous.memoryDir, 'builds')] : [])],
    ...(buildRoot.inMemory ? { spill: { workDir: sandbox.diskBuildDir, noRoom: noRoomInMemory } } : {}),
    cacheDir: local.paths.cache,
    // Next to the builds, so keeping a build's packages is a rename: in memory, it lasts as long as the server.
    // With uids on disk, in the platform dir: a build may never write to what the server copies from.
    ...(packageStoreDir === undefined ? {} : { packageStoreDir }),
    defaultOpenNextConfig: options.defaultOpenNextConfig ?? join(templatesDir(), 'open-next.config.ts'),
    baseEnv: options.baseEnv,
    timeoutMs: options.buildTimeoutMs,
    sandboxes: sandbox.sandboxes,
  });
  // 100 deliveries at once are answered in about the time the first would be, then their follow-up work runs.
  const gate = new BurstGate({ quietMs: 20, maxMs: 250 });
  const ports: Ports = { ...local.ports, logs: new BurstGatedLogs(local.ports.logs, gate), functions, builder };
  // A server that died mid-build left processes running and jobs invisible: end the first and take
  // the jobs back now rather than after the visibility timeout (only one server runs per platform).
  const reaped = [...(await builder.reapOrphans()).killed, ...sandbox.sweep()];
  if (reaped.length > 0) ports.logger.warn('stopped builds and sites left running by a previous server', { pids: reaped });
  removeLeftovers(lock.previous);
  local.queue.releaseInFlight();
  const worker = new BuildWorker(ports, local.queue, ports.logger, { concurrency: options.concurrency, visibilityMs: options.visibilityMs });
  const supersede = new SupersedeScheduler(async (projectId) => {
    const [newest] = await ports.deployments.listByProject(projectId, { limit: 1 });
    if (newest) await supersedeOlder(ports, newest);
  });
  const intake = new GroupedWebhookIntake(local.db, async (request) => {
    const answer = await receiveWebhook(ports, request);
    if (answer.status === 202 && answer.body.deploymentId) {
      gate.afterBurst(() => {
        worker.kick();
        supersede.schedule(request.projectId);
      });
    }
    return answer;
  });
  const removeOwnFiles = async (project: Project): Promise<void> => {
    if (packageStoreDir !== undefined) rmSync(join(packageStoreDir, safeName(project.name)), { recursive: true, force: true });
    await sandbox.sandboxes.remove(project.id);
  };
  const control = new ControlSocket(
    local.paths.controlSocket,
    controlActions({
      ...ports,
      functions,
      removeProject: async (projectId) => {
        const running = { stopBuild: (buildId: string) => builder.stop(buildId), forgetFunctions: (name: string) => functions.forgetProject(name), removeOwnFiles };
        const removed = await removeLocalProject({ platformDir: options.dir, db: local.db, ports, stateDir: options.sandboxStateDir, running }, projectId);
        return { removed: removed.name, id: removed.id };
      },
    }),
    ports.logger,
  );
  await control.listen();
  const server = new PlatformServer({
    functions,
    logger: ports.logger,
    webhook: (request) => {
      gate.arrived();
      return intake.submit(request);
    },
  });
  port = await server.listen(options.host, options.port);
  lock.record({
    pid: process.pid,
    startedAt: new Date().toISOString(),
    controlSocket: local.paths.controlSocket,
    runDir: sandbox.runDir,
    memoryDir: buildRoot.inMemory ? memoryDir : null,
    port,
    isolation: sandbox.isolation.mode,
  });
  await serveLive(ports);
  worker.start();
  // The live pointer in SQLite is the truth: a flip this server was not told about (a CLI that
  // could not reach it) is picked up here within a second.
  let reconciling = false;
  const reconcile = setInterval(() => {
    if (reconciling) return;
    reconciling = true;
    void serveLive(ports, { behind: (name, revision) => (functions.route(name)?.revision ?? 0) < revision })
      .catch(() => undefined)
      .finally(() => {
        reconciling = false;
      });
  }, 1000);
  reconcile.unref();
  return {
    ports,
    port,
    functions,
    worker,
    buildRoot,
    isolation: sandbox.isolation,
    sandbox,
    controlSocket: local.paths.controlSocket,
    close: async () => {
      clearInterval(reconcile);
      gate.release();
      await worker.stop();
      // Builds run detached; stopped here, their jobs are picked up again by the next server.
      await builder.stopAll();
      await worker.drain();
      // Memory is not left holding scratch dirs (the next server reaps them anyway) or package stores.
      if (buildRoot.inMemory) rmSync(memoryDir, { recursive: true, force: true });
      await control.close();
      await server.close();
      await functions.close();
      sandbox.close();
      await local.close();
      rmSync(local.paths.serverRecord, { force: true });
      lock.release();
    },
  };
}
