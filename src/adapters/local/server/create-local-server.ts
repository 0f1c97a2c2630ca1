import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { templatesDir } from '../build/templates-dir.js';
import type { Ports } from '../../../core/ports/index.js';
import { receiveWebhook } from '../../../core/use-cases/receive-webhook.js';
import { supersedeOlder } from '../../../core/use-cases/run-build.js';
import { serveLive } from '../../../core/use-cases/serve-live.js';
import { BuildWorker } from './build-worker.js';
import { inMemoryBuildDir, noRoomInMemory, pickBuildRoot, readBuildRootFacts, type BuildRoot } from '../build/build-root.js';
import { BurstGate, BurstGatedLogs } from './burst-gate.js';
import { GroupedWebhookIntake } from './grouped-webhook-intake.js';
import { createLocalPorts, type LocalPlatformOptions } from '../create-local-ports.js';
import { LocalFunctionHost } from '../runtime/local-function-host.js';
import { PlatformServer } from './platform-server.js';
import { ProcessBuilder } from '../build/process-builder.js';
import { createDomainServing, DEFAULT_DOMAIN_OPTIONS, type DomainServing, type LocalDomainOptions } from '../tls/domain-serving.js';
import type { ArtifactInfo, FunctionVersion } from '../../../core/ports/index.js';

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
  /** Custom domains over HTTPS (src/adapters/local/tls); by default no HTTPS port and Let's Encrypt. */
  domains?: Partial<LocalDomainOptions>;
}

export interface LocalServer {
  ports: Ports;
  port: number;
  functions: LocalFunctionHost;
  worker: BuildWorker;
  buildRoot: BuildRoot;
  domains: DomainServing;
  /** Where HTTPS listens, or null with `httpsOff` saying why. */
  httpsPort: number | null;
  httpsOff: string | null;
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
 * process builder, the function host that runs handlers, the edge), wired to the core.
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const local = createLocalPorts(options);
  let port = options.port;
  const functions = new LocalFunctionHost({ runtimeDir: local.paths.runtime, edgePort: () => port, baseEnv: options.baseEnv });
  const buildRoot = pickBuildRoot({ platformDir: options.dir, diskDir: local.paths.builds, concurrency: options.concurrency, requested: options.buildDir }, readBuildRootFacts());
  const builder = new ProcessBuilder({
    workDir: buildRoot.dir,
    // Where a server with other settings (or more memory free) would have built: its leftovers are reaped too.
    formerWorkDirs: [local.paths.builds, inMemoryBuildDir(options.dir)],
    ...(buildRoot.inMemory ? { spill: { workDir: local.paths.builds, noRoom: noRoomInMemory } } : {}),
    cacheDir: local.paths.cache,
    // Next to the builds, so keeping a build's packages is a rename: in memory, it lasts as long as the server.
    ...(buildRoot.inMemory ? { packageStoreDir: join(dirname(buildRoot.dir), 'package-store') } : {}),
    defaultOpenNextConfig: options.defaultOpenNextConfig ?? join(templatesDir(), 'open-next.config.ts'),
    baseEnv: options.baseEnv,
    timeoutMs: options.buildTimeoutMs,
  });
  // 100 deliveries at once are answered in about the time the first would be, then their follow-up work runs.
  const gate = new BurstGate({ quietMs: 20, maxMs: 250 });
  const ports: Ports = { ...local.ports, logs: new BurstGatedLogs(local.ports.logs, gate), functions, builder };
  // A server that died mid-build left processes running and jobs invisible: end the first and take
  // the jobs back now rather than after the visibility timeout (only one server runs per platform).
  const reaped = await builder.reapOrphans();
  if (reaped.killed.length > 0) ports.logger.warn('stopped builds left running by a previous server', { pids: reaped.killed });
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
  const token = randomBytes(24).toString('base64url');
  const domains = createDomainServing({ platformDir: options.dir, db: local.db, base: ports, listenHost: options.host, options: { ...DEFAULT_DOMAIN_OPTIONS, ...options.domains } });
  const server = new PlatformServer({
    functions,
    domains: domains.front,
    logger: ports.logger,
    controlToken: token,
    webhook: (request) => {
      gate.arrived();
      return intake.submit(request);
    },
    control: async (action, body) => {
      const input = body as { projectName: string; deploymentId: string; artifact: ArtifactInfo; env: Record<string, string>; version: FunctionVersion; revision: number };
      if (action === 'publish') return functions.publish(input);
      if (action === 'smoke') return functions.smoke(input.version, input.projectName);
      if (action === 'activate') return functions.activate(input.projectName, input.version, input.revision);
      if (action === 'release') return functions.release(input.projectName, input.deploymentId);
      throw new Error(`unknown control action ${action}`);
    },
  });
  port = await server.listen(options.host, options.port);
  const https = await domains.start(server.requestListener, options.host);
  const reachable = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  writeFileSync(local.paths.control, JSON.stringify({ url: `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`, token, pid: process.pid }), { mode: 0o600 });
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
    domains,
    httpsPort: https.httpsPort,
    httpsOff: https.off,
    close: async () => {
      clearInterval(reconcile);
      gate.release();
      await worker.stop();
      // Builds run detached; stopped here, their jobs are picked up again by the next server.
      await builder.stopAll();
      await worker.drain();
      // Memory is not left holding scratch dirs (the next server reaps them anyway) or package stores.
      if (buildRoot.inMemory) rmSync(dirname(buildRoot.dir), { recursive: true, force: true });
      rmSync(local.paths.control, { force: true });
      await domains.close();
      await server.close();
      await functions.close();
      await local.close();
    },
  };
}
