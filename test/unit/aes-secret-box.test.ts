import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AesSecretBox, loadOrCreateKeyFile } from '../../src/adapters/local/store/aes-secret-box.js';
import { AnchorError } from '../../src/core/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anchor-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function thrown(fn: () => unknown): AnchorError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AnchorError);
    return error as AnchorError;
  }
  throw new Error('expected an error');
}

describe('loadOrCreateKeyFile', () => {
  it('creates a random 32-byte key readable only by its owner, and returns the same key afterwards', async () => {
    const path = join(dir, 'home', 'secret.key');

    const key = loadOrCreateKeyFile(path);

    expect(key).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(loadOrCreateKeyFile(path).equals(key)).toBe(true);
    expect(await readdir(join(dir, 'home'))).toEqual(['secret.key']);
    expect(loadOrCreateKeyFile(join(dir, 'other.key')).equals(key)).toBe(false);
  });

  it('opens, with the key from the file, what was sealed before a restart', async () => {
    const path = join(dir, 'secret.key');
    const sealed = await new AesSecretBox(loadOrCreateKeyFile(path)).seal('DATABASE_URL=postgres://x');
    expect(await new AesSecretBox(loadOrCreateKeyFile(path)).open(sealed)).toBe('DATABASE_URL=postgres://x');
  });

  it.skipIf(process.platform === 'win32')('refuses a key file other users can read, naming the fix', async () => {
    const path = join(dir, 'secret.key');
    loadOrCreateKeyFile(path);
    await chmod(path, 0o644);

    const error = thrown(() => loadOrCreateKeyFile(path));

    expect(error.code).toBe('SECRET_KEY_FILE_EXPOSED');
    expect(error.message).toContain('0644');
    expect(error.hint).toContain(`chmod 600 ${path}`);
  });

  it('refuses a key file of the wrong size instead of replacing it', async () => {
    const path = join(dir, 'secret.key');
    await writeFile(path, randomBytes(16), { mode: 0o600 });

    const error = thrown(() => loadOrCreateKeyFile(path));

    expect(error.code).toBe('SECRET_KEY_FILE_INVALID');
    expect((await stat(path)).size).toBe(16);
  });
});

describe('AesSecretBox (local only)', () => {
  it('cannot open a value sealed with another key', async () => {
    const sealed = await new AesSecretBox(randomBytes(32)).seal('secret');
    const error = await new AesSecretBox(randomBytes(32)).open(sealed).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SECRET_UNREADABLE' });
  });

  it('writes the documented v1 format', async () => {
    expect(await new AesSecretBox(randomBytes(32)).seal('x')).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
  });
});
