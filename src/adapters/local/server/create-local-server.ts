import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { defaultOpenNextConfigPath } from '../../../lib/templates-dir.js';
import type { Ports } from '../../../core/ports/index.js';
import type { Access } from '../../../core/ports/access.js';
import type { Project } from '../../../core/project.js';
import { DeploymentReporter } from '../../../core/deployment-reporter.js';
import { reportingDeployments } from '../../../core/reporting-deployments.js';
import { receiveWebhook } from '../../../core/use-cases/receive-webhook.js';
import { serveLive } from '../../../core/use-cases/serve-live.js';
import { BuildWorker } from './build-worker.js';
import { makeMemoryDir, noRoomInMemory, pickBuildRoot, planMemoryDir, readBuildRootFacts, type BuildRoot } from '../build/build-root.js';
import { safeName } from '../build/build-cache.js';
import { BurstGate, BurstGatedLogs } from './burst-gate.js';
import { GroupedWebhookIntake } from './grouped-webhook-intake.js';
import { createLocalPorts, type LocalPlatform, type LocalPlatformOptions } from '../create-local-ports.js';
import { LocalFunctionHost, type FunctionPlaces } from '../runtime/local-function-host.js';
import type { SupervisionPolicy } from '../runtime/supervised-handler.js';
import { durationText } from '../../../lib/duration-text.js';
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
import { ApiRouter, DEFAULT_API_LIMITS, type ApiLimits } from '../../../core/api/api-router.js';
import { API_ROUTES } from '../../../core/api/api-routes.js';
import { dashboardDir } from '../../../lib/dashboard-dir.js';
import { ApiFront } from './api-front.js';
import { DashboardFiles } from './dashboard-files.js';
import { createLocalDomainPorts } from '../create-local-domain-ports.js';
import { createDomainServing, DEFAULT_DOMAIN_OPTIONS, type DomainServing, type LocalDomainOptions } from '../tls/domain-serving.js';

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
  /** How long the edge waits for a site's function (`--function-timeout`); by default Lambda's, per function. */
  functionTimeoutMs?: number;
  /** What a build may print into its log (per try); default core's BUILD_OUTPUT_CAP_BYTES, 50 MB. */
  logCapBytes?: number;
  /** Slow senders: how long a request's headers, and a webhook's body, may take. */
  headersTimeoutMs?: number;
  webhookBodyTimeoutMs?: number;
  /** Stop a site's function processes after this long without requests (`--idle-stop`); 0 never does. */
  idleStopMs?: number;
  /** How crashed function processes are restarted (tests shorten the delays). */
  supervision?: SupervisionPolicy;
  /** How builds and sites are kept from the platform (`anchor server --isolation`); default the strongest there is. */
  isolation?: IsolationChoice;
  /** Machine-wide state of sandbox uids (default /var/lib/anchor). */
  sandboxStateDir?: string;
  /** Custom domains over HTTPS (src/adapters/local/tls); by default no HTTPS port and Let's Encrypt. */
  domains?: Partial<LocalDomainOptions>;
  /** How GitHub reports are retried (tests shorten the waits); see core DeploymentReporter. */
  githubReporting?: { attempts?: number; firstDelayMs?: number };
  /** The platform API's limits (tests shorten them) and the dashboard's folder (default dist/dashboard/). */
  api?: { limits?: Partial<ApiLimits>; dashboardDir?: string };
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
  domains: DomainServing;
  /** Where HTTPS listens, or null with `httpsOff` saying why. */
  httpsPort: number | null;
  httpsOff: string | null;
  /** The platform API this server answers on its platform host, and its owners and tokens. */
  api: ApiRouter;
  access: Access;
  close(): Promise<void>;
}

/**
/**
 * The function host of the server and where it reports: each deployment's runtime log (its sites'
 * output and anchor's lines about crashes and restarts), the server's own log, and the state table
 * that `deployments ls` reads from another process.
 */
function superviseFunctions(local: LocalPlatform, options: LocalServerOptions, places: FunctionPlaces, edgePort: () => number): { host: LocalFunctionHost; close(): Promise<void> } {
  let closing = false;
  // No function process of an earlier server runs now, whatever it wrote.
  local.functionStates.reset();
  const host = new LocalFunctionHost({
    places,
    edgePort,
    baseEnv: options.baseEnv,
    idleStopMs: options.idleStopMs ?? DEFAULT_IDLE_STOP_MS,
    ...(options.supervision ? { supervision: options.supervision } : {}),
    events: {
      log: (deploymentId, line) => local.runtimeLogs.write(deploymentId, line),
      status: (deploymentId, kind, status) => local.functionStates.record(deploymentId, kind, status, process.pid, new Date().toISOString()),
      crash: (deploymentId, project, crash) =>
        local.ports.logger.error(`${project}: the ${crash.kind} function of ${deploymentId} crashed (${crash.reason}); ${crash.crashLoop ? 'crashloop, ' : ''}${crash.restartInMs === 0 ? 'restarting now' : `restarting in ${durationText(crash.restartInMs)}`}`, { lastLines: crash.lastLines }),
      forget: (deploymentId) => {
        if (!closing) local.functionStates.forget(deploymentId);
      },
    },
  });
  return {
    host,
    close: async () => {
      closing = true;
      await host.close();
      await local.runtimeLogs.flush();
      local.functionStates.detach();
    },
  };
}

/** `anchor server --idle-stop` when not given. */
export const DEFAULT_IDLE_STOP_MS = 15 * 60_000;

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
  const supervised = superviseFunctions(local, options, sandbox.functionPlaces, () => port);
  const functions = supervised.host;
  // 100 deliveries at once are answered in about the time the first would be, then their follow-up
  // work runs: log lines, taking jobs, and the processes builds start.
  const gate = new BurstGate({ quietMs: 20, maxMs: 250 });
  const afterBurst = () => new Promise<void>((resolve) => gate.afterBurst(resolve));
  const { builder, buildRoot, memoryDir, packageStoreDir } = localBuilder(options, local, sandbox, lock, afterBurst);
  const logs = new BurstGatedLogs(local.ports.logs, gate);
  const reporter = githubReporter(options, local, logs, () => port);
  const ports: Ports = { ...local.ports, deployments: reportingDeployments(local.ports.deployments, reportAfterBurst(reporter, gate)), logs, functions, builder };
  await takeOverFromPrevious({ builder, sandbox, ports, lock, local });
  const worker = new BuildWorker(ports, local.queue, ports.logger, { concurrency: options.concurrency, visibilityMs: options.visibilityMs, logCapBytes: options.logCapBytes, quiet: afterBurst });
  const intake = webhookIntake(local, ports, worker);
  const removeProjectById = projectRemoval({ options, local, ports, functions, builder, sandbox, packageStoreDir });
  const control = controlSocket(local, ports, functions, removeProjectById);
  await control.listen();
  const domains = createDomainServing({ platformDir: options.dir, db: local.db, base: ports, listenHost: options.host, options: { ...DEFAULT_DOMAIN_OPTIONS, ...options.domains } });
  const api = platformApi(options, local, ports, () => port, removeProjectById);
  const server = platformServer(options, { functions, front: api.front, domains, logger: ports.logger, gate, intake });
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
  const https = await domains.start(server.requestListener, options.host);
  await serveLive(ports);
  worker.start();
  const reconcile = reconcileLive(ports, functions);
  return {
    ports,
    port,
    functions,
    worker,
    buildRoot,
    isolation: sandbox.isolation,
    sandbox,
    controlSocket: local.paths.controlSocket,
    domains,
    httpsPort: https.httpsPort,
    httpsOff: https.off,
    api: api.router,
    access: local.access,
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
      await domains.close();
      await server.close();
      // What GitHub has not been told yet gets a few seconds; a deploy never waits on it.
      gate.release();
      await reporter.drain(5_000);
      await supervised.close();
      sandbox.close();
      await local.close();
      rmSync(local.paths.serverRecord, { force: true });
      lock.release();
    },
  };
}

/** Reports are made after a burst too (each reads its project); one project's stay in order. */
function reportAfterBurst(reporter: DeploymentReporter, gate: BurstGate): Pick<DeploymentReporter, 'report' | 'reportLater'> {
  return {
    report: (deployment) => gate.afterBurst(() => reporter.report(deployment)),
    reportLater: (of, load) => gate.afterBurst(() => reporter.reportLater(of, load)),
  };
}

/** The one HTTP server: the API and dashboard on the platform host, domains, webhooks, and the sites. */
function platformServer(
  options: LocalServerOptions,
  parts: { functions: LocalFunctionHost; front: ApiFront; domains: DomainServing; logger: Ports['logger']; gate: BurstGate; intake: GroupedWebhookIntake },
): PlatformServer {
  return new PlatformServer({
    functions: parts.functions,
    platform: parts.front,
    domains: parts.domains.front,
    logger: parts.logger,
    ...(options.functionTimeoutMs === undefined ? {} : { functionTimeoutMs: { server: options.functionTimeoutMs, image: options.functionTimeoutMs } }),
    ...(options.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: options.headersTimeoutMs }),
    ...(options.webhookBodyTimeoutMs === undefined ? {} : { webhookBodyTimeoutMs: options.webhookBodyTimeoutMs }),
    webhook: (request) => {
      const answered = parts.gate.arrived();
      const answer = parts.intake.submit(request);
      void answer.then(answered, answered);
      return answer;
    },
  });
}

/** Where a site is reached on this server: its own name under localhost, which resolves to loopback. */
function localSiteUrl(project: string, port: number): string {
  return `http://${project}.localhost:${port}`;
}

/** Where this platform is reached: its public URL, else this server's own address. */
function platformUrl(options: LocalServerOptions, port: number): string {
  return options.domains?.publicUrl ?? `http://${options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host}:${port}`;
}

/** Every state change is reported on GitHub (for projects with a token), in the background. */
function githubReporter(options: LocalServerOptions, local: LocalPlatform, logs: Ports['logs'], port: () => number): DeploymentReporter {
  return new DeploymentReporter(
    { ...local.ports, logs, statuses: local.repoStatuses },
    {
      platformUrl: () => platformUrl(options, port()),
      siteUrl: async (project) => localSiteUrl(project.name, port()),
      ...options.githubReporting,
    },
  );
}

/** The platform HTTP API (core/api) on this server's ports, and the dashboard's files, on the platform host. */
function platformApi(options: LocalServerOptions, local: LocalPlatform, ports: Ports, port: () => number, removeProject: (projectId: string) => Promise<unknown>): { router: ApiRouter; front: ApiFront } {
  const publicUrl = options.domains?.publicUrl ?? null;
  const router = new ApiRouter(
    {
      ...ports,
      access: local.access,
      siteUrl: (project) => localSiteUrl(project.name, port()),
      get webhookBaseUrl() {
        return platformUrl(options, port());
      },
      domains: async () => createLocalDomainPorts(local, { publicUrl, listenHost: options.host }),
      holdsStreams: true,
      rollback: null,
      removeProject: async (projectId) => {
        await removeProject(projectId);
      },
    },
    API_ROUTES,
    { ...DEFAULT_API_LIMITS, ...options.api?.limits },
  );
  const hosts = new Set(['localhost', '127.0.0.1', '[::1]', options.host.toLowerCase()]);
  if (publicUrl) hosts.add(new URL(publicUrl).hostname.toLowerCase());
  const front = new ApiFront({ router, dashboard: new DashboardFiles(options.api?.dashboardDir ?? dashboardDir()), platformHosts: () => hosts });
  return { router, front };
}

/** Where builds run (in memory when there is room) and the builder that runs them. */
function localBuilder(options: LocalServerOptions, local: LocalPlatform, sandbox: PlatformSandbox, lock: ServerLock, beforeStep: () => Promise<void>) {
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
    defaultOpenNextConfig: options.defaultOpenNextConfig ?? defaultOpenNextConfigPath(),
    baseEnv: options.baseEnv,
    timeoutMs: options.buildTimeoutMs,
    sandboxes: sandbox.sandboxes,
    beforeStep,
  });
  return { builder, buildRoot, memoryDir, packageStoreDir };
}

/** Removes a project and everything this server keeps of it (builds, functions, package store, sandbox). */
function projectRemoval(input: { options: LocalServerOptions; local: LocalPlatform; ports: Ports; functions: LocalFunctionHost; builder: ProcessBuilder; sandbox: PlatformSandbox; packageStoreDir: string | undefined }): (projectId: string) => Promise<Project> {
  const { options, local, ports, functions, builder, sandbox, packageStoreDir } = input;
  const removeOwnFiles = async (project: Project): Promise<void> => {
    if (packageStoreDir !== undefined) rmSync(join(packageStoreDir, safeName(project.name)), { recursive: true, force: true });
    await sandbox.sandboxes.remove(project.id);
  };
  return (projectId) => {
    const running = { stopBuild: (buildId: string) => builder.stop(buildId), forgetFunctions: (name: string) => functions.forgetProject(name), removeOwnFiles };
    return removeLocalProject({ platformDir: options.dir, db: local.db, ports, stateDir: options.sandboxStateDir, running }, projectId);
  };
}

/** The control socket the CLI's commands reach this server through. */
function controlSocket(local: LocalPlatform, ports: Ports, functions: LocalFunctionHost, removeProject: (projectId: string) => Promise<Project>): ControlSocket {
  return new ControlSocket(
    local.paths.controlSocket,
    controlActions({
      ...ports,
      functions,
      removeProject: async (projectId) => {
        const removed = await removeProject(projectId);
        return { removed: removed.name, id: removed.id };
      },
    }),
    ports.logger,
  );
}

/**
 * The live pointer in SQLite is the truth: a flip this server was not told about (a CLI that
 * could not reach it) is picked up within a second.
 */
function reconcileLive(ports: Ports, functions: LocalFunctionHost): ReturnType<typeof setInterval> {
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
  return reconcile;
}

/**
 * A server that died mid-build left processes running and jobs invisible: ends the first and takes
 * the jobs back now rather than after the visibility timeout (only one server runs per platform).
 */
async function takeOverFromPrevious(input: { builder: ProcessBuilder; sandbox: PlatformSandbox; ports: Ports; lock: ServerLock; local: LocalPlatform }): Promise<void> {
  const reaped = [...(await input.builder.reapOrphans()).killed, ...input.sandbox.sweep()];
  if (reaped.length > 0) input.ports.logger.warn('stopped builds and sites left running by a previous server', { pids: reaped });
  removeLeftovers(input.lock.previous);
  input.local.queue.releaseInFlight();
}

/** Webhook deliveries, answered in groups; an accepted push wakes the build worker (which waits out the burst: `quiet`). */
function webhookIntake(local: LocalPlatform, ports: Ports, worker: BuildWorker): GroupedWebhookIntake {
  return new GroupedWebhookIntake(local.db, async (request) => {
    const answer = await receiveWebhook(ports, request);
    if (answer.status === 202 && answer.body.deploymentId) {
      // Older builds of the project stop once this push's build has checked its commit out
      // (core supersede.ts), not now: a push of a commit that does not exist stops nothing.
      worker.kick();
    }
    return answer;
  });
}
