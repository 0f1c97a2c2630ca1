import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { errorMessage } from '../../../core/errors.js';
import { readRegularFile } from '../../../lib/read-regular-file.js';

/**
 * One package `package-lock.json` may put at `path`, known by the integrity of its tarball. npm
 * leaves some optional ones out (another platform's builds, and what only they need), for reasons
 * the lockfile does not always record: the store learns which from npm ci's own result.
 */
export interface LockedPackage {
  /** Where it goes, relative to the install dir: `node_modules/a/node_modules/b`. */
  path: string;
  /** The tarball's integrity as hex: the package store's key for what is inside it. */
  key: string;
  /** It has install scripts (which change it after npm unpacks it). */
  scripts: boolean;
}

export type LockedTree = { ok: true; packages: LockedPackage[]; lockKey: string } | { ok: false; reason: string };

/** Lockfiles of the largest apps are a few MB. */
const SETTING_FILE_MAX_BYTES = 64 * 1024 * 1024;

/** The root's scripts `npm ci` runs itself; a package store cannot stand in for them. */
const ROOT_INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare'];
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

/**
 * npm settings that change which packages `npm ci` puts where, or how: with any of them set, the
 * tree cannot be laid out from the lockfile alone. (Settings that only change how npm ci checks
 * the lockfile, such as legacy-peer-deps, are fine: the store is used only for a lockfile that npm
 * ci installed here with the same settings.)
 */
const LAYOUT_SETTINGS = new Set([
  'omit', 'include', 'production', 'only', 'also', 'dev', 'optional', 'install-strategy', 'global-style', 'legacy-bundling',
  'install-links', 'bin-links', 'ignore-scripts', 'os', 'cpu', 'libc', 'package-lock', 'package-lock-only',
  'dry-run', 'global', 'location', 'workspace', 'workspaces', 'include-workspace-root', 'link', 'rebuild-bundle', 'lockfile-version', 'shrinkwrap',
]);

/**
 * Reads what `npm ci` would install in `installDir` from its lockfile, when that can be done
 * without npm: every package a registry (or tarball) download with an integrity, package.json in
 * step with the lockfile, nothing that makes npm do more than unpack, link bins and run package
 * scripts. Otherwise says why not, for the build log.
 */
export async function readLockedTree(
  installDir: string,
  env: Record<string, string>,
  npmrcFiles: readonly string[],
): Promise<LockedTree> {
  if (/^(0|off|false|no)$/i.test(env.ANCHOR_PACKAGE_STORE ?? '')) return no('ANCHOR_PACKAGE_STORE is off in the build environment');
  if (env.NODE_ENV === 'production') return no('NODE_ENV=production makes npm ci leave devDependencies out');
  // The npm settings in force, part of the lockfile's key: with other settings npm ci may decide otherwise.
  const settings: string[] = [];
  for (const key of Object.keys(env).sort()) {
    const setting = npmEnvSetting(key);
    if (setting === null) continue;
    if (LAYOUT_SETTINGS.has(setting)) return no(`the npm setting "${setting}" (from ${key}) changes what npm ci installs`);
    settings.push(`${key}=${env[key] ?? ''}`);
  }
  const npmrcs = await readSettingFiles(npmrcFiles);
  if (!Array.isArray(npmrcs)) return npmrcs;
  for (const [n, file] of npmrcFiles.entries()) {
    const text = npmrcs[n] ?? null;
    if (text === null) continue;
    const setting = npmrcSettings(text).find((name) => LAYOUT_SETTINGS.has(name));
    if (setting) return no(`the npm setting "${setting}" (in ${file}) changes what npm ci installs`);
    // By place, not path: the project's .npmrc is in a new scratch dir each build.
    settings.push(`npmrc ${n}:\n${text}`);
  }

  const read = await readSettingFiles(['npm-shrinkwrap.json', 'package-lock.json', 'package.json'].map((name) => join(installDir, name)));
  if (!Array.isArray(read)) return read;
  const [shrinkwrap = null, packageLock = null, pkgText = null] = read;
  const lockName = shrinkwrap !== null ? 'npm-shrinkwrap.json' : 'package-lock.json';
  const lockText = shrinkwrap ?? packageLock;
  if (lockText === null || pkgText === null) return no(`no ${lockText === null ? 'lockfile' : 'package.json'} in the install folder`);
  let lock: { lockfileVersion?: unknown; packages?: Record<string, Record<string, unknown>> };
  let pkg: Record<string, unknown>;
  try {
    lock = JSON.parse(lockText) as typeof lock;
    pkg = JSON.parse(pkgText) as Record<string, unknown>;
  } catch {
    return no(`${lockName} or package.json is not valid JSON`);
  }
  if (typeof lock.lockfileVersion !== 'number' || lock.lockfileVersion < 2 || typeof lock.packages !== 'object' || lock.packages === null) {
    return no(`${lockName} is version ${String(lock.lockfileVersion)}, without the package list of version 2 and later (npm 7+ writes it)`);
  }
  const scripts = (pkg.scripts ?? {}) as Record<string, unknown>;
  const rootScript = ROOT_INSTALL_SCRIPTS.find((name) => typeof scripts[name] === 'string');
  if (rootScript) return no(`package.json has a "${rootScript}" script, which npm ci runs`);
  for (const field of ['workspaces', 'overrides', 'bundleDependencies', 'bundledDependencies']) {
    if (pkg[field] !== undefined) return no(`package.json has "${field}"`);
  }
  const root = lock.packages[''] ?? {};
  for (const field of DEPENDENCY_FIELDS) {
    if (!sameMap(pkg[field], root[field])) return no(`package.json's ${field} differ from ${lockName}'s (npm ci will say how)`);
  }

  const packages: LockedPackage[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '') continue;
    if (!path.startsWith('node_modules/') || path.split('/').some((part) => part === '..' || part === '.')) return no(`${lockName} has a package outside node_modules: ${path}`);
    if (entry.link === true) return no(`${path} is a link to a folder`);
    if (entry.inBundle === true) return no(`${path} comes bundled inside another package`);
    if (entry.extraneous === true) return no(`${path} is marked extraneous`);
    const key = typeof entry.integrity === 'string' ? integrityKey(entry.integrity) : null;
    if (key === null) return no(`${path} has no sha512 integrity (a git or folder dependency)`);
    packages.push({ path, key, scripts: entry.hasInstallScript === true });
  }
  // Which optional packages npm leaves out depends on the machine, Node.js and npm's settings too;
  // package.json adds nothing once its dependencies match the lockfile's (its scripts may change).
  const lockKey = createHash('sha256')
    .update(`${process.version} ${process.platform} ${process.arch}\0${settings.join('\0')}\0`)
    .update(lockText)
    .digest('hex');
  return { ok: true, packages, lockKey };
}

/** "sha512-<base64>" → hex; null for any other algorithm (sha1 integrities are too weak a key). */
function integrityKey(integrity: string): string | null {
  const sha512 = integrity.split(/\s+/).find((part) => part.startsWith('sha512-'));
  if (sha512 === undefined) return null;
  const hex = Buffer.from(sha512.slice('sha512-'.length), 'base64').toString('hex');
  return hex.length === 128 ? hex : null;
}

function sameMap(a: unknown, b: unknown): boolean {
  const entries = (value: unknown): string => JSON.stringify(Object.entries((value ?? {}) as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  return entries(a) === entries(b);
}

/** `npm_config_foo_bar` → `foo-bar`, as npm reads it; null for any other variable. */
function npmEnvSetting(key: string): string | null {
  if (!/^npm_config_/i.test(key)) return null;
  return key.slice('npm_config_'.length).toLowerCase().replace(/_/g, '-');
}

/** The setting names an .npmrc sets (`key=value` lines; `;` and `#` start comments). */
function npmrcSettings(text: string): string[] {
  return text.split(/\r?\n/).flatMap((line) => {
    const match = /^\s*([^=;#\s][^=]*?)\s*=/.exec(line);
    return match?.[1] ? [match[1].toLowerCase()] : [];
  });
}

/** Lockfiles, package.json, npmrcs: files the project chose, read by the server. Their texts (null when absent), or why the store is not used. */
async function readSettingFiles(paths: readonly string[]): Promise<Array<string | null> | LockedTree> {
  const texts: Array<string | null> = [];
  for (const path of paths) {
    try {
      texts.push(await readRegularFile(path, SETTING_FILE_MAX_BYTES));
    } catch (error) {
      return no(`${path} was not read: ${errorMessage(error)}`);
    }
  }
  return texts;
}

function no(reason: string): LockedTree {
  return { ok: false, reason };
}
