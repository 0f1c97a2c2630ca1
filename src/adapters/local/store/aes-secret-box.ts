import { nodeCrypto } from '../../system/node-crypto.js';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AnchorError } from '../../../core/errors.js';
import type { SecretBox } from '../../../core/ports/secret-box.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';
const OPENED_KEPT = 256;

/**
 * AES-256-GCM. Sealed form: `v1:<iv>:<tag>:<ciphertext>`, each part base64. A fresh random IV per
 * seal, so sealing the same value twice gives different strings; the tag makes any change detectable.
 */
export class AesSecretBox implements SecretBox {
  private readonly key: Buffer;
  /**
   * Values opened before, by sealed form: `anchor server` opens a project's webhook secret for each
   * delivery, and deciphering costs more than the rest of the signature check. Bounded, so a
   * long-running server holds only the most recent ones.
   */
  private readonly opened = new Map<string, string>();

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) {
      throw new AnchorError({ code: 'SECRET_KEY_INVALID', kind: 'internal', message: `An AES-256 key has ${KEY_BYTES} bytes; this one has ${key.length}.` });
    }
    this.key = Buffer.from(key);
  }

  async seal(plaintext: string): Promise<string> {
    const iv = nodeCrypto().randomBytes(IV_BYTES);
    const cipher = nodeCrypto().createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
  }

  async open(sealed: string): Promise<string> {
    const known = this.opened.get(sealed);
    if (known !== undefined) return known;
    const plaintext = this.decipher(sealed);
    if (this.opened.size >= OPENED_KEPT) this.opened.delete(this.opened.keys().next().value as string);
    this.opened.set(sealed, plaintext);
    return plaintext;
  }

  private decipher(sealed: string): string {
    const parts = sealed.split(':');
    const [version, iv, tag, ciphertext] = parts;
    if (parts.length !== 4 || version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined) throw unreadable('it is not a value sealed by anchor');
    const ivBytes = Buffer.from(iv, 'base64');
    const tagBytes = Buffer.from(tag, 'base64');
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw unreadable('it is not a value sealed by anchor');
    try {
      const decipher = nodeCrypto().createDecipheriv('aes-256-gcm', this.key, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString('utf8');
    } catch (error) {
      throw unreadable('it was changed, or sealed with another key', error);
    }
  }
}

function unreadable(why: string, cause?: unknown): AnchorError {
  return new AnchorError({
    code: 'SECRET_UNREADABLE',
    kind: 'failed',
    message: `A secret value cannot be opened: ${why}.`,
    hint: 'If the platform key file was replaced, restore the old one; otherwise set the secret again with "anchor env set <project> KEY --secret".',
    cause,
  });
}

/**
 * Reads the platform's 32-byte key, creating it (mode 0600) on first use. Refuses a key file that
 * other users can read, or whose size is wrong, rather than silently using or replacing it.
 */
export function loadOrCreateKeyFile(path: string): Buffer {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Written aside, then linked into place: link fails if the key exists, so two processes starting
    // at once never overwrite each other's key, and nobody ever sees a half-written one.
    const draft = `${path}.${nodeCrypto().randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(draft, nodeCrypto().randomBytes(KEY_BYTES), { flag: 'wx', mode: 0o600 });
    try {
      chmodSync(draft, 0o600);
      linkSync(draft, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(draft);
    }
  }
  const stat = statSync(path);
  if (!stat.isFile()) {
    throw new AnchorError({ code: 'SECRET_KEY_FILE_INVALID', kind: 'conflict', message: `The platform key ${path} is not a regular file.`, hint: 'Move it away; anchor creates a new key only where none exists.' });
  }
  // Windows has no POSIX modes: statSync reports 0o666 for every writable file.
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new AnchorError({
      code: 'SECRET_KEY_FILE_EXPOSED',
      kind: 'conflict',
      message: `The platform key ${path} can be read by other users (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}): anyone who can read it can open every secret.`,
      hint: `Run "chmod 600 ${path}", and rotate your secrets if others may have read it.`,
      details: { path, mode: stat.mode & 0o777 },
    });
  }
  if (stat.size !== KEY_BYTES) {
    throw new AnchorError({
      code: 'SECRET_KEY_FILE_INVALID',
      kind: 'conflict',
      message: `The platform key ${path} has ${stat.size} bytes; a key has exactly ${KEY_BYTES}.`,
      hint: 'Restore the key file from a backup. Do not delete it: secrets sealed with it cannot be opened without it.',
      details: { path, size: stat.size },
    });
  }
  return readFileSync(path);
}
