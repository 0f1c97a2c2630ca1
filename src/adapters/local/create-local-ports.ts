import { join } from 'node:path';
import type { Ports } from '../../core/ports/index.js';
import type { RepoHooks, RepoStatuses } from '../../core/ports/index.js';
import { lazyRepoStatuses } from '../github/lazy-repo-statuses.js';
import { RandomIds } from '../system/random-ids.js';
import { StreamLogger } from '../system/stream-logger.js';
import { SystemClock } from '../system/system-clock.js';
import { AesSecretBox, loadOrCreateKeyFile } from './store/aes-secret-box.js';
import { FileArtifacts } from './store/file-artifacts.js';
import { FileBuildLogs } from './store/file-build-logs.js';
import { openDatabase, type SqliteDatabase } from './store/sqlite-database.js';
import { SqliteDeliveries } from './store/sqlite-deliveries.js';
import { SqliteDeployments } from './store/sqlite-deployments.js';
import { SqliteEnvVars } from './store/sqlite-env-vars.js';
import { SqliteFunctionStates } from './store/sqlite-function-states.js';
import { FileRuntimeLogs } from './store/file-runtime-logs.js';
import { SqliteJobQueue } from './store/sqlite-job-queue.js';
import { SqliteProjects } from './store/sqlite-projects.js';
import { SqliteRepoTokens } from './store/sqlite-repo-tokens.js';
import { SqliteAccess } from './store/sqlite-access.js';
import { FileStaticHost } from './runtime/file-static-host.js';
import { ServerFunctionHost } from './runtime/server-function-host.js';

export interface LocalPlatformOptions {
  /** The platform's directory: anchor.db, secret.key, logs/, artifacts/, builds/, cache/. */
  dir: string;
  baseEnv: Record<string, string>;
  githubToken: string | undefined;
  githubApiUrl: string | undefined;
  logStream?: { write(chunk: string): unknown };
}

/** What a CLI process gets: everything but the builder (builds run in `anchor server`). */
/** The CLI's ports: locally the builder lives in `anchor server` (none here); on aws it is CodeBuild's. */
export type CliPorts = Omit<Ports, 'builder'> & Partial<Pick<Ports, 'builder'>>;

export interface LocalPlatform {
  ports: CliPorts;
  /** Set when the CLI's function calls found no running server (the switch happens at its start). */
  serverDeferred(): boolean;
  queue: SqliteJobQueue;
  /** GitHub deployments and commit statuses (the server reports through it), with each project's token. */
  repoStatuses: RepoStatuses;
  db: SqliteDatabase;
  /** The server writes these; the ports read them. */
  functionStates: SqliteFunctionStates;
  runtimeLogs: FileRuntimeLogs;
  paths: ReturnType<typeof localPaths>;
  /** Owners, API tokens, dashboard sessions (the platform API's, and `anchor tokens`'). */
  access: SqliteAccess;
  close(): Promise<void>;
}

export function localPaths(dir: string) {
  return {
    root: dir,
    database: join(dir, 'anchor.db'),
    secretKey: join(dir, 'secret.key'),
    logs: join(dir, 'logs'),
    artifacts: join(dir, 'artifacts'),
    builds: join(dir, 'builds'),
    cache: join(dir, 'cache'),
    runtime: join(dir, 'runtime'),
    /** What the sites' functions print, per deployment (anchor logs --runtime). */
    runtimeLogs: join(dir, 'runtime-logs'),
    /** npm package stores of builds on disk, when the server runs as root (never in a project's reach). */
    packageStores: join(dir, 'package-stores'),
    /** Written by a running `anchor server` (server-lock.ts): who holds the platform, where its run dirs are. */
    serverRecord: join(dir, 'server.json'),
    /** The running server's control API (mode 0600). */
    controlSocket: join(dir, 'control.sock'),
  };
}

/**
 * The local backend's composition root for CLI processes: the only place its adapters are
 * constructed (the server adds its own pipeline adapters in createLocalServerPorts).
 */
export function createLocalPorts(options: LocalPlatformOptions): LocalPlatform {
  const paths = localPaths(options.dir);
  const key = loadOrCreateKeyFile(paths.secretKey);
  const db = openDatabase(paths.database);
  const queue = new SqliteJobQueue(db);
  // Octokit is loaded only when a hook is registered: most commands never need it, and all want to start fast.
  const repoHooks: RepoHooks = {
    ensurePushHook: async (input) => {
      const [{ Octokit }, { OctokitRepoHooks }] = await Promise.all([import('@octokit/rest'), import('../github/octokit-repo-hooks.js')]);
      const octokit = new Octokit({
        auth: options.githubToken,
        ...(options.githubApiUrl ? { baseUrl: options.githubApiUrl } : {}),
        // Octokit logs every non-2xx (including the expected 422 "hook exists") to the console.
        log: { debug() {}, info() {}, warn() {}, error() {} },
      });
      return new OctokitRepoHooks({ octokit }).ensurePushHook(input);
    },
  };
  const repoStatuses = lazyRepoStatuses(options.githubApiUrl);
  const functions = new ServerFunctionHost({ controlSocket: paths.controlSocket });
  const functionStates = new SqliteFunctionStates(db);
  const runtimeLogs = new FileRuntimeLogs(paths.runtimeLogs);
  const secrets = new AesSecretBox(key);
  const clock = new SystemClock();
  const ports: CliPorts = {
    projects: new SqliteProjects(db),
    deployments: new SqliteDeployments(db),
    envVars: new SqliteEnvVars(db),
    deliveries: new SqliteDeliveries(db),
    queue,
    logs: new FileBuildLogs(paths.logs),
    artifacts: new FileArtifacts(paths.artifacts),
    secrets,
    repoHooks,
    repoTokens: new SqliteRepoTokens({ db, secrets, now: () => clock.now() }),
    clock,
    ids: new RandomIds(),
    logger: new StreamLogger(options.logStream ?? { write: (chunk: string) => process.stderr.write(chunk) }),
    staticHost: new FileStaticHost(),
    functions,
    functionStates,
    runtimeLogs,
  };
  return {
    ports,
    serverDeferred: () => functions.deferred,
    queue,
    repoStatuses,
    db,
    functionStates,
    runtimeLogs,
    paths,
    access: new SqliteAccess(db),
    close: async () => {
      db.close();
    },
  };
}
