import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { execa } from 'execa';

export interface SampleBuild {
  /** The built copy of templates/sample-app. Read-only: copy it (prepareRuntimeDir) to run it. */
  appDir: string;
  /** Its `.open-next` output. */
  openNextDir: string;
}

const templates = resolve(import.meta.dirname, '../../templates');
const SKIP = new Set(['node_modules', '.next', '.open-next']);

/**
 * templates/sample-app with anchor's default open-next.config.ts, built once (npm ci + OpenNext
 * build, about a minute, needs the npm registry) into a temp dir keyed by the hash of the
 * template's files, and reused by every test file and run until the template changes. Test files
 * run in parallel processes, so the first one builds under a lock and the others wait for it.
 */
export async function sampleBuild(): Promise<SampleBuild> {
  const dir = join(tmpdir(), `anchor-sample-build-${templateHash().slice(0, 16)}`);
  const done = join(dir, '.anchor-build-ok');
  const result = { appDir: dir, openNextDir: join(dir, '.open-next') };
  const lock = `${dir}.lock`;
  for (;;) {
    if (existsSync(done)) return result;
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      if (!lockOwnerAlive(lock)) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    if (existsSync(done)) return result;
    const work = `${dir}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    cpSync(join(templates, 'sample-app'), work, { recursive: true, filter: (source) => !SKIP.has(basename(source)) });
    cpSync(join(templates, 'open-next.config.ts'), join(work, 'open-next.config.ts'));
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), NEXT_TELEMETRY_DISABLED: '1' };
    const started = Date.now();
    await execa('npm', ['ci', '--no-audit', '--no-fund'], { cwd: work, env, extendEnv: false });
    const installed = Date.now();
    await execa(join(work, 'node_modules', '.bin', 'open-next'), ['build'], { cwd: work, env, extendEnv: false });
    console.log(`[sample-build] npm ci ${((installed - started) / 1000).toFixed(1)} s, open-next build ${((Date.now() - installed) / 1000).toFixed(1)} s`);
    if (!existsSync(join(work, '.open-next', 'image-optimization-function', 'node_modules', 'sharp'))) {
      throw new Error('The OpenNext build installed no sharp into the image function (npm registry unreachable?).');
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    writeFileSync(done, new Date().toISOString());
    return result;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function templateHash(): string {
  const hash = createHash('sha256');
  const files = [join(templates, 'open-next.config.ts'), ...listFiles(join(templates, 'sample-app'))];
  for (const file of files) {
    hash.update(relative(templates, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !SKIP.has(name))
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    });
}

function lockOwnerAlive(lock: string): boolean {
  try {
    process.kill(Number(readFileSync(join(lock, 'pid'), 'utf8')), 0);
    return true;
  } catch {
    // No pid file yet means its owner is between mkdir and write: alive.
    return !existsSync(join(lock, 'pid')) && existsSync(lock);
  }
}
