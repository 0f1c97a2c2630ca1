import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnchorError } from '../core/errors.js';
import type { RemotePlatformConfig } from './platforms.js';

/**
 * A remote platform's API token, in `platforms/<name>/token` with mode 0600 beside its
 * platform.json (which holds no secret). Written whole or not at all; never printed.
 */
export function tokenFile(dir: string): string {
  return join(dir, 'token');
}

export function saveToken(dir: string, token: string): void {
  const file = tokenFile(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  // The mode of a file that existed already is not changed by writeFileSync: set it.
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function readToken(config: RemotePlatformConfig): string {
  let text: string;
  try {
    text = readFileSync(tokenFile(config.dir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new AnchorError({ code: 'NOT_LOGGED_IN', kind: 'auth', message: `There is no token for the remote platform "${config.name}" (${config.url}).`, hint: `Log in again: anchor login ${config.url} --name ${config.name}` });
  }
  return text.trim();
}

export function removeToken(dir: string): boolean {
  try {
    rmSync(tokenFile(dir));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
