import type { Artifacts } from './artifacts.js';
import type { BuildLogs } from './build-logs.js';
import type { Builder } from './builder.js';
import type { Deliveries } from './deliveries.js';
import type { Deployments } from './deployments.js';
import type { EnvVars } from './env-vars.js';
import type { FunctionHost } from './function-host.js';
import type { FunctionStates } from './function-states.js';
import type { JobQueue } from './job-queue.js';
import type { Projects } from './projects.js';
import type { RepoHooks } from './repo-hooks.js';
import type { RepoTokens } from './repo-tokens.js';
import type { RuntimeLogs } from './runtime-logs.js';
import type { SecretBox } from './secret-box.js';
import type { StaticHost } from './static-host.js';
import type { Clock, Ids, Logger } from './system.js';

export type * from './artifacts.js';
export type * from './build-logs.js';
export type * from './builder.js';
export type * from './deliveries.js';
export type * from './certificates.js';
export type * from './deployments.js';
export type * from './dns.js';
export type * from './domain-routing.js';
export type * from './domains.js';
export type * from './env-vars.js';
export type * from './function-host.js';
export type * from './function-states.js';
export type * from './job-queue.js';
export type * from './projects.js';
export type * from './repo-hooks.js';
export type * from './repo-statuses.js';
export type * from './repo-tokens.js';
export type * from './runtime-logs.js';
export type * from './secret-box.js';
export type * from './site-probe.js';
export type * from './static-host.js';
export type * from './system.js';

/** Everything a backend provides. Use cases take a `Pick` of it. */
export interface Ports {
  projects: Projects;
  deployments: Deployments;
  envVars: EnvVars;
  deliveries: Deliveries;
  queue: JobQueue;
  builder: Builder;
  logs: BuildLogs;
  artifacts: Artifacts;
  staticHost: StaticHost;
  functions: FunctionHost;
  functionStates: FunctionStates;
  runtimeLogs: RuntimeLogs;
  secrets: SecretBox;
  repoHooks: RepoHooks;
  /** Each project's GitHub token (private clones, deployment statuses). */
  repoTokens: RepoTokens;
  clock: Clock;
  ids: Ids;
  logger: Logger;
}
