import { randomBytes, randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { AnchorError } from '../../../src/core/errors.js';
import type { Clock, Ids, Logger, RepoHooks, RepoTokens, SecretBox, TokenOwner } from '../../../src/core/ports/index.js';

/**
 * A clock that moves only when told: `advance`, or `sleep`, which moves it by the time slept and
 * returns at once (after letting other work run, so a polling loop cannot starve timers).
 */
export class ManualClock implements Clock {
  private time: number;

  constructor(start = '2025-01-01T00:00:00.000Z') {
    this.time = Date.parse(start);
  }

  now(): Date {
    return new Date(this.time);
  }

  advance(ms: number): void {
    this.time += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (!signal?.aborted) this.time += ms;
    await setImmediate();
  }
}

/** Ids that sort in the order they were made: `d_00000001`, `d_00000002`, … */
export class SequentialIds implements Ids {
  private count = 0;

  next(prefix: string): string {
    this.count += 1;
    return `${prefix}_${this.count.toString(36).padStart(8, '0')}`;
  }

  secret(bytes: number): string {
    return randomBytes(bytes).toString('base64url');
  }
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown> | undefined;
}

export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];

  info(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'info', message, fields });
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'warn', message, fields });
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.entries.push({ level: 'error', message, fields });
  }
}

/**
 * Seals a value as a random handle and keeps the plaintext aside: the sealed form carries nothing
 * of the value, differs on every seal, and a changed or unknown handle does not open.
 */
export class MemorySecretBox implements SecretBox {
  private readonly sealed = new Map<string, string>();

  async seal(plaintext: string): Promise<string> {
    const handle = `sealed:${randomUUID()}`;
    this.sealed.set(handle, plaintext);
    return handle;
  }

  async open(sealed: string): Promise<string> {
    const plaintext = this.sealed.get(sealed);
    if (plaintext === undefined) throw new AnchorError({ code: 'SECRET_UNREADABLE', kind: 'failed', message: 'A secret value cannot be opened: it was not sealed here, or it was changed.' });
    return plaintext;
  }
}

/** Push hooks per repository, as GitHub keeps them: registering a URL again updates its hook. */
export class MemoryRepoHooks implements RepoHooks {
  readonly hooks: Array<{ id: number; owner: string; repo: string; url: string; secret: string }> = [];

  async ensurePushHook(input: { owner: string; repo: string; url: string; secret: string; hookId: number | null }): Promise<{ hookId: number; created: boolean }> {
    const existing = this.hooks.find((h) => (input.hookId !== null && h.id === input.hookId) || (h.owner === input.owner && h.repo === input.repo && h.url === input.url));
    if (existing) {
      Object.assign(existing, { url: input.url, secret: input.secret });
      return { hookId: existing.id, created: false };
    }
    const id = this.hooks.length + 1;
    this.hooks.push({ id, owner: input.owner, repo: input.repo, url: input.url, secret: input.secret });
    return { hookId: id, created: true };
  }
}

/** Project tokens in a map, keyed by project id (the sealed form does not matter here). */
export class MemoryRepoTokens implements RepoTokens {
  readonly tokens = new Map<string, string>();

  async set(project: TokenOwner, token: string): Promise<void> {
    this.tokens.set(project.id, token);
  }

  async get(project: TokenOwner): Promise<string | null> {
    return this.tokens.get(project.id) ?? null;
  }

  async remove(project: TokenOwner): Promise<void> {
    this.tokens.delete(project.id);
  }
}
