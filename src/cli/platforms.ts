import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnchorError } from '../core/errors.js';

export interface LocalPlatformConfig {
  name: string;
  backend: 'local';
  dir: string;
  createdAt: string;
  /** Where `anchor server` listens, and the base of webhook and site URLs. */
  server: { host: string; port: number; publicUrl?: string };
}

export interface AwsPlatformConfig {
  name: string;
  backend: 'aws';
  /** Where platform.json lives; nothing else is stored locally for an aws platform. */
  dir: string;
  createdAt: string;
  updatedAt: string;
  region: string;
  stage: string;
  account: string;
  /** The platform stack's outputs (infra/stack PLATFORM_OUTPUTS): table, bucket, queue and function names. */
  outputs: Record<string, string>;
  /** Where `anchor init --aws` uploaded the handler zips. */
  bootstrapBucket: string;
  /** Each project stack's outputs (PROJECT_OUTPUTS), by project name. */
  projects: Record<string, Record<string, string>>;
}

/** A platform run elsewhere, reached through its HTTP API (`anchor login <url>`); the token is in a 0600 file beside this. */
export interface RemotePlatformConfig {
  name: string;
  backend: 'remote';
  dir: string;
  createdAt: string;
  /** The platform's origin, e.g. https://anchor.example.com (the API is under /api/v1). */
  url: string;
  /** Who the token acts as, and what it may do, as the platform said at login. */
  owner: { id: string; name: string };
  scope: string;
}

/** A platform this machine runs or provisions itself: its ports open here. */
export type HostedPlatformConfig = LocalPlatformConfig | AwsPlatformConfig;

export type PlatformConfig = HostedPlatformConfig | RemotePlatformConfig;

const PLATFORM_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * ANCHOR_HOME (default ~/.anchor) holds named platforms, each in platforms/<name>/ with its
 * platform.json, and config.json naming the default one.
 */
export class PlatformStore {
  constructor(readonly home: string) {}

  platformDir(name: string): string {
    return join(this.home, 'platforms', name);
  }

  /**
   * ANCHOR_HOME closed to other users (0700): the platforms' keys, databases and control sockets
   * are inside. Left alone when another user owns it (that is theirs to decide; doctor says so).
   */
  secureHome(): void {
    mkdirSync(this.home, { recursive: true, mode: 0o700 });
    if (statSync(this.home).uid === process.getuid?.()) chmodSync(this.home, 0o700);
  }

  defaultName(): string | null {
    const config = readJson<{ defaultPlatform?: string }>(join(this.home, 'config.json'));
    return config?.defaultPlatform ?? null;
  }

  setDefault(name: string): void {
    this.secureHome();
    writeJsonAtomic(join(this.home, 'config.json'), { defaultPlatform: name });
  }

  clearDefault(): void {
    rmSync(join(this.home, 'config.json'), { force: true });
  }

  get(name: string): PlatformConfig | null {
    return readJson<PlatformConfig>(join(this.platformDir(name), 'platform.json'));
  }

  save(config: PlatformConfig): void {
    this.secureHome();
    mkdirSync(config.dir, { recursive: true, mode: 0o700 });
    writeJsonAtomic(join(config.dir, 'platform.json'), config);
  }

  /** The platform a command runs against: --platform, then ANCHOR_PLATFORM, then the default. */
  resolve(requested: string | undefined): PlatformConfig {
    const name = requested ?? this.defaultName();
    if (!name) {
      throw new AnchorError({
        code: 'NO_PLATFORM',
        kind: 'not-found',
        message: `No anchor platform is set up yet (looked in ${this.home}).`,
        hint: 'Run "anchor init" first (or "anchor init --local" to skip the questions).',
      });
    }
    const config = this.get(name);
    if (!config) {
      throw new AnchorError({
        code: 'PLATFORM_NOT_FOUND',
        kind: 'not-found',
        message: `There is no platform named "${name}" in ${this.home}.`,
        hint: requested ? `Run "anchor init --local --platform ${name}" to create it, or drop --platform / ANCHOR_PLATFORM.` : 'Run "anchor init" to set one up.',
      });
    }
    return config;
  }

  /**
   * The platform for a command that runs only where the platform is (init, server, doctor,
   * destroy, …): a remote one is refused with what to do instead.
   */
  resolveHosted(requested: string | undefined, command: string): HostedPlatformConfig {
    const config = this.resolve(requested);
    if (config.backend === 'remote') throw remoteRefused(config, command);
    return config;
  }

  static assertName(name: string): void {
    if (!PLATFORM_NAME.test(name)) {
      throw new AnchorError({ code: 'PLATFORM_NAME_INVALID', kind: 'usage', message: `"${name}" is not a valid platform name.`, hint: 'Use up to 32 lower-case letters, digits and hyphens.' });
    }
  }
}

export function remoteRefused(config: RemotePlatformConfig, command: string): AnchorError {
  return new AnchorError({
    code: 'REMOTE_NOT_SUPPORTED',
    kind: 'usage',
    message: `"anchor ${command}" runs only on the machine that holds a platform; "${config.name}" is a remote platform (${config.url}).`,
    hint: `Run it there, or pick a platform of this machine with --platform. Remotely these work: projects ls|show|add|rm, deploy, deployments, logs, rollback, env ls|set|rm|pull|import, domains ls|add|rm, tokens.`,
  });
}

export function siteBaseUrl(config: LocalPlatformConfig): string {
  return `http://${config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host}:${config.server.port}`;
}

/**
 * Where GitHub posts: `<base>/webhook/<projectId>` (anchor server locally, the HTTP API on aws).
 * Locally the public URL (`--public-url`) when set: the listen address (127.0.0.1 for 0.0.0.0)
 * is only right for a tunnel on the same machine.
 */
export function webhookBaseUrl(config: HostedPlatformConfig): string {
  return config.backend === 'aws' ? (config.outputs.WebhookApiUrl ?? '') : (config.server.publicUrl ?? siteBaseUrl(config));
}

/** Where the platform API and the dashboard answer: the public URL, else anchor server on localhost (aws: the platform's HTTP API). */
export function platformUrl(config: HostedPlatformConfig): string {
  if (config.backend === 'aws') return (config.outputs.WebhookApiUrl ?? '').replace(/\/+$/, '');
  return (config.server.publicUrl ?? `http://localhost:${config.server.port}`).replace(/\/+$/, '');
}

/** The address a project's site answers on, or null when an aws project has no stack yet. */
export function siteUrl(config: HostedPlatformConfig, project: string): string | null {
  return config.backend === 'aws' ? (config.projects[project]?.SiteUrl ?? null) : `http://${project}.localhost:${config.server.port}`;
}

function readJson<T>(file: string): T | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new AnchorError({ code: 'CONFIG_CORRUPT', kind: 'internal', message: `${file} is not valid JSON.`, hint: 'Fix or delete that file, then run "anchor init" again.' });
  }
}

function writeJsonAtomic(file: string, data: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
