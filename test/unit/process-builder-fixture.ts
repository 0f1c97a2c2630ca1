import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BuildEnd } from '../../src/core/ports/builder.js';

/**
 * A tiny app repo that npm can install offline: its only dependency is a `file:` package in the
 * repo providing an `open-next` bin which, like the real one, runs `npm run build` and then
 * writes `.open-next/`. What the app's build does is up to each test (`build.js`).
 */
export const FAKE_OPEN_NEXT = `#!/usr/bin/env node
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
if (process.env.PIDS_FILE) fs.appendFileSync(process.env.PIDS_FILE, process.pid + '\\n');
console.log('fake open-next: building');
const config = ['open-next.config.ts', 'open-next.config.mjs', 'open-next.config.js'].find((name) => fs.existsSync(name));
const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
fs.mkdirSync('.open-next/server-functions/default', { recursive: true });
fs.writeFileSync('.open-next/open-next.output.json', JSON.stringify({ config }));
fs.writeFileSync('.open-next/config.txt', config ? fs.readFileSync(config, 'utf8') : '(none)');
if (fs.existsSync('version.txt')) fs.copyFileSync('version.txt', '.open-next/version.txt');
console.log('fake open-next: done');
`;

export const DEFAULT_BUILD = `const fs = require('node:fs');
console.log('build: step 1');
console.error('build: a note on stderr');
process.stdout.write('progress 10%\\rprogress 50%\\rprogress 100%\\n');
fs.mkdirSync('.next/cache', { recursive: true });
let runs = 0;
try { runs = Number(fs.readFileSync('.next/cache/runs', 'utf8')); } catch {}
fs.writeFileSync('.next/cache/runs', String(runs + 1));
console.log('build: cache runs=' + (runs + 1));
if (process.env.ENV_DUMP) fs.writeFileSync(process.env.ENV_DUMP, JSON.stringify(process.env));
console.log('build: step 2');
`;

const PACKAGE_LOCK = {
  name: 'fixture-app',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'fixture-app', version: '1.0.0', devDependencies: { 'fake-open-next': 'file:vendor/fake-open-next' } },
    'node_modules/fake-open-next': { resolved: 'vendor/fake-open-next', link: true },
    'vendor/fake-open-next': { version: '1.0.0', dev: true, bin: { 'open-next': 'bin.js' } },
  },
};

export function appFiles(options: { build?: string; scripts?: Record<string, string> } = {}): Record<string, string> {
  return {
    'package.json': JSON.stringify({
      name: 'fixture-app',
      version: '1.0.0',
      private: true,
      scripts: { build: 'node build.js', ...options.scripts },
      devDependencies: { 'fake-open-next': 'file:vendor/fake-open-next' },
    }),
    'package-lock.json': JSON.stringify(PACKAGE_LOCK, null, 2),
    'build.js': options.build ?? DEFAULT_BUILD,
    'vendor/fake-open-next/package.json': JSON.stringify({ name: 'fake-open-next', version: '1.0.0', bin: { 'open-next': 'bin.js' } }),
    'vendor/fake-open-next/bin.js': FAKE_OPEN_NEXT,
  };
}

export class FixtureRepo {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    git(dir, 'init', '--quiet', '--initial-branch=main');
  }

  /** Writes the files and commits them; returns the new commit's sha. */
  commit(files: Record<string, string>, message: string): string {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.dir, path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
      if (path.endsWith('bin.js')) chmodSync(full, 0o755);
    }
    git(this.dir, 'add', '--all');
    git(this.dir, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', 'commit', '--quiet', '-m', message);
    return git(this.dir, 'rev-parse', 'HEAD').trim();
  }
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

/** True while `pid` is a live process (a zombie waiting to be reaped counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Where a successful local build left its output. */
export function outputDir(end: BuildEnd): string {
  if (!end.ok || end.output.kind !== 'directory') throw new Error(`the build did not leave a directory: ${JSON.stringify(end)}`);
  return end.output.path;
}

/**
 * Live processes whose command line or environment holds `marker`, by their pid on this machine:
 * how a test finds what a sandboxed build started (its pids inside the sandbox are its own).
 */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const has = (file: string): boolean => {
      try {
        return readFileSync(`/proc/${name}/${file}`, 'latin1').includes(marker);
      } catch {
        return false; // Gone meanwhile, or not ours to read.
      }
    };
    if ((has('cmdline') || has('environ')) && isAlive(Number(name))) found.push(Number(name));
  }
  return found;
}

/**
 * A builder test's scratch: a folder a sandbox uid may pass through, a fixture repo in it and
 * anchor's default OpenNext config.
 */
export function builderScratch(): { root: string; repo: FixtureRepo; defaultConfig: string } {
  const root = mkdtempSync(join(tmpdir(), 'anchor-builder-'));
  // Sandboxed builds run as a uid of their own: it must pass through to the repository.
  chmodSync(root, 0o711);
  const repo = new FixtureRepo(mkdtempSync(join(root, 'repo-')));
  chmodSync(repo.dir, 0o755);
  const defaultConfig = join(root, 'default-open-next.config.ts');
  writeFileSync(defaultConfig, '// anchor default config\nexport default {};\n');
  return { root, repo, defaultConfig };
}
