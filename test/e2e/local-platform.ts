import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeploymentState } from '../../src/core/deployment.js';
import type { Project } from '../../src/core/project.js';
import { addProject } from '../../src/core/use-cases/projects.js';
import { startLocalServer, type LocalServer, type LocalServerOptions } from '../../src/adapters/local/server/create-local-server.js';
import type { LocalDomainOptions } from '../../src/adapters/local/tls/domain-serving.js';
import { readCliEnv } from '../../src/cli/env.js';
import type { IsolationChoice } from '../../src/adapters/local/sandbox/isolation.js';
import { signedDelivery, pushPayload } from '../fakes/github-push.js';
import { FixtureRepo } from '../unit/process-builder-fixture.js';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One `anchor server` on a temp platform with one project whose repo is a local git repo. */
export class LocalPlatformHarness {
  readonly home = passableTempDir('anchor-e2e-');
  readonly repo = new FixtureRepo(join(this.home, 'repo'));
  server!: LocalServer;
  /** What the server logged, a line per entry. */
  readonly serverLog: string[] = [];
  project!: Project;
  webhookSecret!: string;

  async start(options: { project?: string; concurrency?: number; env?: Record<string, string>; server?: Partial<LocalServerOptions>; isolation?: IsolationChoice; port?: number; domains?: Partial<LocalDomainOptions> } = {}): Promise<this> {
    await this.startServer(options);
    const { project, webhook } = await addProject(
      { ...this.server.ports, repoHooks: null },
      { name: options.project ?? 'shop', repo: { kind: 'path', url: this.repo.dir }, branch: 'main', root: '', webhookBaseUrl: `http://127.0.0.1:${this.server.port}` },
    );
    this.project = project;
    this.webhookSecret = webhook.secret;
    return this;
  }

  async startServer(options: { concurrency?: number; server?: Partial<LocalServerOptions>; isolation?: IsolationChoice; port?: number; domains?: Partial<LocalDomainOptions> } = {}): Promise<void> {
    this.server = await startLocalServer({
      ...(options.isolation ? { isolation: options.isolation } : {}),
      dir: join(this.home, 'platform'),
      // What `anchor server` passes its builds (PATH, CA certificates, proxies…), with a home of its own.
      baseEnv: { ...readCliEnv(process.env).baseEnv, HOME: this.home },
      githubToken: undefined,
      githubApiUrl: undefined,
      host: '127.0.0.1',
      port: options.port ?? 0,
      concurrency: options.concurrency ?? 2,
      logStream: { write: (line: string) => this.serverLog.push(line) },
      ...(options.domains ? { domains: options.domains } : {}),
      ...options.server,
    });
  }

  /** Another project, with a repository of its own. */
  async addProject(name: string): Promise<{ project: Project; webhookSecret: string; repo: FixtureRepo }> {
    const repo = new FixtureRepo(join(this.home, `repo-${name}`));
    const { project, webhook } = await addProject(
      { ...this.server.ports, repoHooks: null },
      { name, repo: { kind: 'path', url: repo.dir }, branch: 'main', root: '', webhookBaseUrl: `http://127.0.0.1:${this.server.port}` },
    );
    return { project, webhookSecret: webhook.secret, repo };
  }

  /** Pushes `sha` to another project's webhook; answers its deployment id. */
  async pushTo(target: { project: Project; webhookSecret: string }, sha: string): Promise<string> {
    const delivery = signedDelivery(target.webhookSecret, pushPayload({ ref: 'refs/heads/main', after: sha }));
    const answer = await this.post(`/webhook/${target.project.id}`, delivery.body, delivery.headers);
    return (JSON.parse(answer.body) as { deploymentId?: string }).deploymentId ?? '';
  }

  /** Delivers a signed push webhook for `sha` on `ref` (default main); answers GitHub's view. */
  async push(sha: string, options: { ref?: string; deliveryId?: string; message?: string } = {}): Promise<HttpAnswer & { json: { message: string; deploymentId?: string } }> {
    const delivery = signedDelivery(this.webhookSecret, pushPayload({ ref: options.ref ?? 'refs/heads/main', after: sha, message: options.message }), { deliveryId: options.deliveryId });
    const answer = await this.post(`/webhook/${this.project.id}`, delivery.body, delivery.headers);
    return { ...answer, json: JSON.parse(answer.body) as { message: string; deploymentId?: string } };
  }

  post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<HttpAnswer> {
    return http({ method: 'POST', path, headers: { ...headers, host: `127.0.0.1:${this.server.port}` }, port: this.server.port }, body);
  }

  /** GET on the project's site through the edge (Host: <project>.localhost:<port>). */
  site(path = '/', headers: Record<string, string> = {}, project = this.project.name): Promise<HttpAnswer> {
    return http({ method: 'GET', path, headers: { host: `${project}.localhost:${this.server.port}`, ...headers }, port: this.server.port });
  }

  async waitFor(deploymentId: string, states: readonly DeploymentState[], timeoutMs = 120_000): Promise<DeploymentState> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const d = await this.server.ports.deployments.get(deploymentId);
      if (d && states.includes(d.state)) return d.state;
      if (Date.now() > until) throw new Error(`${deploymentId} is ${d?.state ?? 'missing'}, not ${states.join('/')}; reason: ${d?.reason ?? '-'}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async logText(deploymentId: string): Promise<string> {
    return (await this.server.ports.logs.read(deploymentId, { after: 0 })).map((l) => l.text).join('\n');
  }

  private stopped = false;

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const leftovers = this.server ? await sandboxFolders(this.server) : [];
    await this.server?.close();
    for (const dir of [this.home, ...leftovers]) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A temp folder the projects' sandbox uids may pass through (when the tests run as root), so a
 * build can fetch a repository in it; what is secret in it (the platform dir) is closed by itself.
 */
export function passableTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o711);
  return dir;
}

/** What a test server's projects have outside its platform dir (with uids: in /var/lib/anchor), to remove after. */
export async function sandboxFolders(server: LocalServer): Promise<string[]> {
  const areas = (await server.ports.projects.list()).map((project) => server.sandbox.sandboxes.areaOf(project.id));
  return [...areas.filter((dir): dir is string => dir !== null), ...(server.isolation.uids ? [server.sandbox.diskBuildDir] : [])];
}

export function http(options: { method: string; path: string; headers: Record<string, string>; port: number }, body?: string | Buffer): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: options.port, method: options.method, path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
