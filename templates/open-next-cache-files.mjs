// Reading and writing entries of anchor's packaging cache (open-next-build.mjs and
// open-next-patch-cache.mjs): an entry that cannot be read is a miss, never an error.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';

/** Written whole under another name, then renamed: a reader never sees half an entry. */
export function writeEntry(entry, content) {
  const temp = `${entry}.new-${randomBytes(4).toString('hex')}`;
  try {
    fs.writeFileSync(temp, content);
    fs.renameSync(temp, entry);
  } catch {
    fs.rmSync(temp, { force: true });
  }
}

/** Marks an entry used now: pruning removes the least recently used first. */
export function touch(file) {
  const now = new Date();
  try {
    fs.utimesSync(file, now, now);
  } catch {
    // Only the eviction order depends on it.
  }
}

export function readIfFile(file) {
  try {
    return fs.lstatSync(file).isFile() ? fs.readFileSync(file) : null;
  } catch {
    return null;
  }
}

export function isDir(dir) {
  return fs.lstatSync(dir, { throwIfNoEntry: false })?.isDirectory() === true;
}

export function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
