import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * What may differ between two OpenNext builds of the same commit, each for a reason that has
 * nothing to do with how the build was packaged (two clean `open-next build` runs differ the same way):
 * - Next.js draws a new build id at every build: in paths (`_next/static/<id>/`, `cache/<id>/`)
 *   and in files (BUILD_ID, manifests);
 * - Next.js draws new secrets at every build: the preview-mode keys and the server actions'
 *   encryption key;
 * - OpenNext installs the image function's packages in a temp folder with a random name, which npm
 *   writes into node_modules/.package-lock.json;
 * - Next.js writes the folder the app was built in into required-server-files.json (two builds of
 *   the same commit in two folders name two folders);
 * - the ISR seed (`cache/<id>/*.cache`) holds pages prerendered at build time, with their render
 *   time (the sample app's /isr page prints it) and Next's cache metadata timestamps.
 * Everything else must be byte for byte the same.
 */
// As JSON, or as JSON inside a JS string (`\"encryptionKey\": \"…\"`).
const SECRETS = /(\\?")(encryptionKey|previewModeId|previewModeSigningKey|previewModeEncryptionKey)\\?"(\s*:\s*)\\?"[^"\\]*\\?"/g;
const INSTALL_DIR = /(open-next-install-[a-z-]+?function)[A-Za-z0-9]{6}\b/g;
const RENDERED = /\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z|1\d{12})\b/g;

export interface OutputFile {
  path: string;
  content: string;
}

/** The files of an `.open-next` folder, paths and contents with the differences above replaced by placeholders. */
export function normalizedOutput(dir: string): OutputFile[] {
  const buildId = readFileSync(join(dir, 'assets', 'BUILD_ID'), 'utf8').trim();
  // The folder the app was built in, as Next wrote it (the sample build fixture is built in a temp folder, then renamed).
  const appDir = (JSON.parse(readFileSync(join(dir, 'server-functions', 'default', '.next', 'required-server-files.json'), 'utf8')) as { appDir: string }).appDir;
  const files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() || entry.isSymbolicLink())
    .map((entry) => join(entry.parentPath, entry.name));
  return files
    .map((file) => {
      const path = relative(dir, file).replaceAll(buildId, '<BUILD_ID>');
      let content = readFileSync(file).toString('latin1').replaceAll(buildId, '<BUILD_ID>').replaceAll(appDir, '<APP_DIR>').replace(SECRETS, '$1$2$1$3$1<secret>$1').replace(INSTALL_DIR, '$1XXXXXX');
      if (path.startsWith('cache/<BUILD_ID>/') && path.endsWith('.cache')) content = content.replace(RENDERED, '<time>');
      return { path, content };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** Paths present in one output and not the other, and paths whose normalized contents differ. */
export function outputDifferences(a: OutputFile[], b: OutputFile[]): string[] {
  const left = new Map(a.map((file) => [file.path, file.content]));
  const right = new Map(b.map((file) => [file.path, file.content]));
  const differences: string[] = [];
  for (const [path, content] of left) {
    if (!right.has(path)) differences.push(`only in the first: ${path}`);
    else if (right.get(path) !== content) differences.push(`differs: ${path}`);
  }
  for (const path of right.keys()) if (!left.has(path)) differences.push(`only in the second: ${path}`);
  return differences;
}
