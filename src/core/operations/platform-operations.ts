import type { Deployment, PhaseTiming, DeploymentState } from '../deployment.js';
import type { EnvImportVar } from '../env-import.js';
import type { EnvTarget } from '../env-var.js';
import type { FunctionStatus } from '../ports/function-states.js';
import type { LogLine } from '../ports/build-logs.js';
import type { TokenScope } from '../api/token-format.js';
import type { ProjectView } from '../api/api-views.js';
import type { DnsRecord } from '../domain.js';
import type { mergeDotenv } from '../dotenv-format.js';
import type { EnvListing } from '../use-cases/env.js';
import type { Rollback } from '../use-cases/rollback.js';
import type { TokenView } from '../use-cases/tokens.js';

export type PulledEnv = ReturnType<typeof mergeDotenv>;

/** A project as `projects ls` shows it. */
export interface ProjectRow {
  name: string;
  id: string;
  repo: string;
  branch: string;
  live: string | null;
}

/**
 * A deployment as the commands show it. Here it is the whole public deployment (more fields);
 * through the API, what the API tells.
 */
export type DeploymentSummary = Pick<Deployment, 'id' | 'state' | 'commitSha' | 'commitMessage' | 'ref' | 'trigger' | 'transitions' | 'reason' | 'createdAt'> & {
  runtime?: FunctionStatus | null;
};

export interface DeploymentDetail {
  deployment: DeploymentSummary;
  project: string | null;
  phases: PhaseTiming[];
  totalMs: number | null;
  lastLines: LogLine[];
  live: boolean;
  runtime: FunctionStatus | null;
}

/** A deployment whose log is read: its project by name (the API addresses logs through it). */
export interface LogTarget {
  deploymentId: string;
  project: string | null;
  state: DeploymentState;
}

export interface TokenInput {
  name: string;
  project: string | undefined;
  scope: TokenScope;
  expires: string;
  /** An owner by name: only on the platform's own machine (remotely a token acts as its owner). */
  owner: string | undefined;
}

/** A custom domain as the API shows it. */
export interface RemoteDomain {
  domain: string;
  state: string;
  certificateExpiresAt?: string;
  records?: DnsRecord[];
  nextAction: string;
}

/**
 * Projects and their domains through the API: what a remote caller may do to them (by GitHub
 * owner/name or https:// repository, no local paths, no per-project GitHub token or AWS stack from
 * here; a domain as the bare name, its DNS managed where the platform can).
 */
export interface RemoteProjects {
  listDomains(project: string): Promise<RemoteDomain[]>;
  addDomain(project: string, domain: string): Promise<{ items: RemoteDomain[]; added: string[] }>;
  removeDomain(project: string, domain: string): Promise<void>;
  showProject(name: string): Promise<ProjectView>;
  addProject(input: { name: string; repo: string; branch: string }): Promise<{ project: ProjectView; webhook: { url: string; secret: string } }>;
  removeProject(name: string): Promise<void>;
}

/**
 * What the everyday commands do, whether the platform is here (core use cases over its ports)
 * or elsewhere (its HTTP API, after `anchor login`). One command file, two ways to reach a
 * platform, the same output and the same errors.
 */
export interface PlatformOperations {
  /** Projects as the API shows and changes them; null here, where the commands use the ports (stacks, local paths, tokens). */
  readonly remote: RemoteProjects | null;
  listProjects(): Promise<ProjectRow[]>;
  /** A project's site address, null when it has none yet. */
  siteUrl(project: string): Promise<string | null>;
  requestDeploy(input: { project: string; ref: string | undefined }): Promise<{ id: string; ref: string; state: DeploymentState }>;
  listDeployments(input: { project: string; limit: number }): Promise<{ deployments: DeploymentSummary[]; live: string | null; rollbackTargets: string[] }>;
  showDeployment(input: { id: string; tail: number }): Promise<DeploymentDetail>;
  resolveLogTarget(target: string): Promise<LogTarget>;
  /** A page of a deployment's log after line `after`. */
  readLogs(target: LogTarget, page: { after: number; limit: number }): Promise<LogLine[]>;
  /** Streams the log until the deployment ends (or `signal`); answers how it ended. */
  followLogs(target: LogTarget, input: { after: number; signal: AbortSignal; onLines: (lines: LogLine[]) => void }): Promise<{ state: DeploymentState; reason: string | null }>;
  rollback(input: { project: string; to: string | undefined }): Promise<Rollback & { serverDeferred: boolean }>;
  listEnv(project: string): Promise<EnvListing[]>;
  setEnv(input: { project: string; key: string; value: string; secret: boolean; targets: EnvTarget[] }): Promise<{ key: string; created: boolean; secret: boolean; targets: EnvTarget[] }>;
  removeEnv(input: { project: string; key: string }): Promise<void>;
  /** `env import`: many variables set at once, all or nothing (the file already read by parseEnvImport). */
  importEnv(input: { project: string; vars: EnvImportVar[] }): Promise<{ imported: string[] }>;
  /** `env pull`: the target's variables merged into a dotenv text (secrets marked, never pulled). */
  pullEnv(input: { project: string; existing: string | null; target: EnvTarget }): Promise<PulledEnv>;
  listTokens(input: { owner: string | undefined }): Promise<TokenView[]>;
  createToken(input: TokenInput): Promise<{ token: string; view: TokenView }>;
  revokeToken(id: string): Promise<TokenView>;
}
