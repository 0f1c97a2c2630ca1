import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliPorts, LocalPlatform } from '../adapters/local/create-local-ports.js';
import type { AwsProvisioning } from '../adapters/aws/provisioning/aws-provisioning.js';
import type { startLocalServer } from '../adapters/local/server/create-local-server.js';
import type { DomainPorts } from '../core/ports/index.js';
import type { Access } from '../core/ports/access.js';
import type { Project } from '../core/project.js';
import { getProject } from '../core/use-cases/projects.js';
import { AnchorError } from '../core/errors.js';
import { AwsClients } from './aws-clients.js';
import type { CliEnv } from './env.js';
import type { Io } from './io.js';
import type { PlatformOperations } from '../core/operations/platform-operations.js';
import type { ApiHttpClient } from '../adapters/remote/api-http-client.js';
import { PlatformStore, remoteRefused, siteUrl, type HostedPlatformConfig, type RemotePlatformConfig } from './platforms.js';
import { readToken } from './remote-credentials.js';
import { Prompter } from './prompter.js';
import { Ui } from './ui.js';

export interface GlobalFlags {
  json: boolean;
  yes: boolean;
  platform: string | undefined;
  verbose: boolean;
}

export interface OpenPlatform {
  config: HostedPlatformConfig;
  ports: CliPorts;
  /** True once a call found no running `anchor server` to switch (the change applies when it starts). */
  serverDeferred(): boolean;
  /** The local backend's own handle (its database, paths), for the commands that need more than the ports. */
  local?: LocalPlatform;
  /** Custom domains' ports (ACM, CloudFront and Route 53 on aws load only here). */
  domains(): Promise<DomainPorts>;
  /** Owners, API tokens and sign-in codes (`anchor tokens`, `owners`, `dashboard`). */
  access(): Promise<Access>;
  close(): Promise<void>;
}

/** What every command gets: the terminal, the environment, the flags, and the platform on demand. */
export class Context {
  readonly ui: Ui;
  readonly prompter: Prompter;
  readonly store: PlatformStore;
  private opened: OpenPlatform | null = null;
  /** The command being run (`env set`), for messages about where it can run. */
  commandName = 'this command';
  private readonly awsClients = new Map<string, AwsClients>();

  constructor(
    readonly io: Io,
    readonly env: CliEnv,
    readonly flags: GlobalFlags,
  ) {
    this.ui = new Ui(io, { json: flags.json, ci: env.ci, noColor: env.noColor });
    this.prompter = new Prompter(io.stdinIsTTY && io.stderrIsTTY && !env.ci && !flags.json);
    this.store = new PlatformStore(env.anchorHome ? resolve(io.cwd, env.anchorHome) : join(env.home || homedir(), '.anchor'));
  }

  get platformName(): string | undefined {
    return this.flags.platform ?? this.env.anchorPlatform;
  }

  resolvePath(path: string): string {
    return resolve(this.io.cwd, path);
  }

  /** Opens the selected platform's ports; SQLite and the adapters load only here. */
  async platform(options: { githubToken?: string | undefined; name?: string } = {}): Promise<OpenPlatform> {
    if (this.opened) return this.opened;
    const config = this.store.resolve(options.name ?? this.platformName);
    if (config.backend === 'remote') throw remoteRefused(config, this.commandName);
    if (config.backend === 'aws') {
      // The aws adapters (and the SDK) load only for a command that opens an aws platform.
      const { createAwsPorts } = await import('../adapters/aws/create-aws-ports.js');
      const aws = await createAwsPorts({ region: config.region, stage: config.stage, outputs: config.outputs, githubToken: options.githubToken ?? this.env.githubToken, githubApiUrl: this.env.githubApiUrl });
      let domainPorts: Promise<{ ports: DomainPorts; close(): void }> | null = null;
      const domains = async () => {
        domainPorts ??= import('../adapters/aws/create-aws-domain-ports.js').then((m) => m.createAwsDomainPorts({ region: config.region, stage: config.stage, outputs: config.outputs, projectOutputs: config.projects, dnsServers: this.env.dnsServers }));
        return (await domainPorts).ports;
      };
      const close = async () => {
        (await domainPorts?.catch(() => null))?.close();
        await aws.close();
      };
      const access = async (): Promise<Access> => {
        if (!aws.access) throw new AnchorError({ code: 'API_NOT_PROVISIONED', kind: 'conflict', message: `Platform "${config.name}" has no owners and tokens tables yet.`, hint: 'Run "anchor init --aws" again to update the platform stack.' });
        return aws.access;
      };
      this.opened = { config, ports: aws.ports, serverDeferred: () => false, domains, access, close };
      return this.opened;
    }
    const { createLocalPorts } = await import('../adapters/local/create-local-ports.js');
    const local = createLocalPorts({ dir: config.dir, baseEnv: this.env.baseEnv, githubToken: options.githubToken ?? this.env.githubToken, githubApiUrl: this.env.githubApiUrl });
    const domains = async () => (await import('../adapters/local/create-local-domain-ports.js')).createLocalDomainPorts(local, { publicUrl: config.server.publicUrl ?? null, listenHost: config.server.host, dnsServers: this.env.dnsServers });
    const opened: OpenPlatform = { config, ports: local.ports, serverDeferred: local.serverDeferred, local, domains, access: async () => local.access, close: local.close };
    this.opened = opened;
    return opened;
  }

  /**
   * What the everyday commands do (projects, deployments, env, logs, tokens), on the selected
   * platform: its ports when this machine holds it, its HTTP API when it is remote (anchor login).
   */
  async operations(): Promise<PlatformOperations> {
    const config = this.store.resolve(this.platformName);
    if (config.backend === 'remote') {
      const { HttpOperations } = await import('../adapters/remote/http-operations.js');
      return new HttpOperations(await this.remoteApi(config.url, readToken(config), `anchor login ${config.url} --name ${config.name}`));
    }
    const platform = await this.platform();
    const { PortOperations } = await import('../core/operations/port-operations.js');
    const local = platform.config.backend === 'local' ? platform.config : null;
    // A local platform's store is its folder's anchor.db: `anchor destroy` removes it.
    const gone = local === null ? undefined : () => (existsSync(join(local.dir, 'anchor.db')) ? null : `The platform "${local.name}" at ${local.dir} was removed`);
    return new PortOperations(platform.ports, { siteUrl: (project) => siteUrl(platform.config, project), serverDeferred: platform.serverDeferred, access: platform.access, ...(gone ? { gone } : {}) });
  }

  /** The selected platform when it is remote, else null. */
  remotePlatform(): RemotePlatformConfig | null {
    const config = this.store.resolve(this.platformName);
    return config.backend === 'remote' ? config : null;
  }

  /** A client of a platform's HTTP API (anchor login, remote platforms). */
  async remoteApi(url: string, token: string, loginHint: string): Promise<ApiHttpClient> {
    const { ApiHttpClient } = await import('../adapters/remote/api-http-client.js');
    return new ApiHttpClient(url, token, loginHint);
  }

  /** Starts `anchor server` on a local platform's dir; the local server's adapters load only here. */
  async startLocalServer(options: Omit<Parameters<typeof startLocalServer>[0], 'baseEnv' | 'githubToken' | 'githubApiUrl'>): ReturnType<typeof startLocalServer> {
    const local = await import('../adapters/local/server/create-local-server.js');
    return local.startLocalServer({ ...options, baseEnv: this.env.baseEnv, githubToken: this.env.githubToken, githubApiUrl: this.env.githubApiUrl });
  }

  /** Removes a project of a local platform with its processes, builds and files (through its running server when there is one). */
  async removeLocalProject(local: LocalPlatform, name: string): Promise<Project> {
    const project = await getProject(local.ports, name);
    const { removeProjectFromCli } = await import('../adapters/local/project-removal.js');
    await removeProjectFromCli(local, project.id);
    return project;
  }

  /** What the CLI provisions on AWS in a region (stacks, handler upload, bucket removal, account check); the SDK loads only here. */
  async provisioning(region: string): Promise<AwsProvisioning> {
    const { AwsProvisioning } = await import('../adapters/aws/provisioning/aws-provisioning.js');
    return new AwsProvisioning(this.aws(region), region, { pollMs: this.env.awsPollMs, handlerBundles: this.env.handlerBundles });
  }

  /** Opens a URL in the user's browser (xdg-open / open); false when there is none to ask. */
  async openUrl(url: string): Promise<boolean> {
    const { spawn } = await import('node:child_process');
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    return new Promise((resolve) => {
      const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    });
  }

  /** AWS SDK clients for a region, made on first use and closed with the context. */
  aws(region: string): AwsClients {
    let clients = this.awsClients.get(region);
    if (!clients) {
      clients = new AwsClients(region);
      this.awsClients.set(region, clients);
    }
    return clients;
  }

  async close(): Promise<void> {
    await this.opened?.close();
    this.opened = null;
    for (const clients of this.awsClients.values()) await clients.destroy();
    this.awsClients.clear();
  }
}
