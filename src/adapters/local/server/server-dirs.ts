import { chmodSync, lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import type { ServerRecord } from './server-lock.js';

/**
 * The server's run dir, `<tmp>/anchor-run-<random>`: the projects' socket folders, the passwd
 * files sandboxes show and a copy of the handler child. Its own for as long as it runs (random,
 * made by this process); with uids, the sandbox uids may pass through it but not list it.
 */
export function makeRunDir(traversable: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'anchor-run-'));
  chmodSync(dir, traversable ? 0o711 : 0o700);
  return dir;
}

/**
 * Removes the temporary folders a server that died left behind (it wrote them in server.json),
 * after checking each is what a server makes: an anchor-… folder, not a link, this user's.
 */
export function removeLeftovers(record: ServerRecord | null): string[] {
  const removed: string[] = [];
  for (const dir of [record?.runDir, record?.memoryDir]) {
    if (typeof dir !== 'string' || !isAbsolute(dir) || !/^anchor-(run-)?[A-Za-z0-9_-]+$/.test(basename(dir))) continue;
    const info = lstatSync(dir, { throwIfNoEntry: false });
    if (info === undefined || !info.isDirectory() || info.uid !== process.getuid?.()) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
