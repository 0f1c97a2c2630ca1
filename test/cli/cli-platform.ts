import { createServer } from 'node:net';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startLocalServer, type LocalServer, type LocalServerOptions } from '../../src/adapters/local/server/create-local-server.js';
import { readCliEnv } from '../../src/cli/env.js';
import { http, sandboxFolders } from '../e2e/local-platform.js';
import { pipelineAppFiles, type SiteConfig } from '../fakes/pipeline-app.js';
import { FixtureRepo } from '../unit/process-builder-fixture.js';
import { runCli, tempHome, type CliResult } from './run-cli.js';

/**
 * A local platform set up with the CLI (`init --local`, `projects add shop`) and its `anchor
 * server` running in this process, so CLI commands and the server share one platform directory.
 */
export class CliPlatform {
  readonly home = tempHome();
  readonly dir = join(this.home.dir, '.anchor', 'platforms', 'local');
  readonly repo = new FixtureRepo(join(this.home.dir, 'repo'));
  port = 0;
  server!: LocalServer;
  /** What the server logged (its stderr when run as `anchor server`). */
  serverLog = '';

  async start(site: SiteConfig, serverOptions: Partial<LocalServerOptions> = {}): Promise<this> {
    this.port = await freePort();
    expect((await this.cli('init', '--local', '--port', String(this.port))).code).toBe(0);
    this.repo.commit(pipelineAppFiles(site), site.version);
    expect((await this.cli('projects', 'add', 'shop', '--repo', this.repo.dir)).code).toBe(0);
    await this.startServer(serverOptions);
    return this;
  }

  async startServer(serverOptions: Partial<LocalServerOptions> = {}): Promise<void> {
    this.server = await startLocalServer({
      dir: this.dir,
      baseEnv: { ...readCliEnv(process.env).baseEnv, HOME: this.home.dir },
      githubToken: undefined,
      githubApiUrl: undefined,
      host: '127.0.0.1',
      port: this.port,
      concurrency: 2,
      logStream: { write: (text: string) => (this.serverLog += text) },
      ...serverOptions,
    });
  }

  cli(...args: string[]): Promise<CliResult> {
    return runCli(args, { home: this.home.dir });
  }

  /** GET on the site through the edge. */
  site(path = '/') {
    return http({ method: 'GET', path, headers: { host: `shop.localhost:${this.port}` }, port: this.port });
  }

  private closed: LocalServer | null = null;

  /** Stops the server (once): a test may stop it itself to see what the CLI says then. */
  async stopServer(): Promise<void> {
    if (this.closed === this.server) return;
    this.closed = this.server;
    await this.server?.close();
  }

  async stop(): Promise<void> {
    // What the projects have outside the platform dir (their sandbox folders) goes too.
    const folders = this.server ? await sandboxFolders(this.server) : [];
    await this.stopServer();
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
    this.home.cleanup();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Calls `read` until `ok` holds (or fails after `timeoutMs` with the last value). */
export async function poll<T>(read: () => Promise<T> | T, ok: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`timed out; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
