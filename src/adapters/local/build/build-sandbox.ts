import { existsSync } from 'node:fs';
import { lstat, readdir, realpath, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { realPathInside } from '../../../lib/real-path-inside.js';
import { fileURLToPath } from 'node:url';
import type { Mount } from '../sandbox/bwrap-args.js';
import type { ProjectSandbox } from '../sandbox/project-sandboxes.js';
import type { StepOptions } from './build-processes.js';
import { BuildFailure } from './build-failure.js';
import { blockedForOthers } from '../sandbox/reachable.js';

const GIT_CONFIG = 'anchor-gitconfig';

/** The project sandboxes builds run in (sandbox/project-sandboxes.ts). */
export interface BuildSandboxes {
  forProject(projectName: string): Promise<ProjectSandbox>;
}

/**
 * How one build's steps run. In its project's sandbox, a step sees the system, the build's
 * scratch dir, its TMPDIR (as /tmp inside bubblewrap), the project's HOME and package managers'
 * stores, and, for a repository on this machine, that repository read-only; it runs as the
 * project's uid when there is one. Without a sandbox, as this process's user.
 */
export class BuildSandbox {
  private constructor(
    private readonly box: ProjectSandbox | null,
    private readonly mounts: Mount[],
    /** TMPDIR as the steps see it. */
    readonly tmpDir: string,
  ) {}

  static async open(sandboxes: BuildSandboxes | undefined, input: { projectName: string; repoUrl: string; scratch: string; tmpDir: string }): Promise<BuildSandbox> {
    const box = sandboxes === undefined ? null : await sandboxes.forProject(input.projectName);
    if (box === null) return new BuildSandbox(null, [], input.tmpDir);
    await box.handOver(input.scratch);
    await box.handOver(input.tmpDir);
    const inBwrap = box.isolation.bwrap !== null;
    const repo = localRepoPath(input.repoUrl);
    if (repo !== null && box.identity !== null) {
      const blocked = blockedForOthers(join(repo, '.git'));
      if (blocked !== null) {
        throw new BuildFailure(`the repository ${repo} is on this machine in ${blocked}, which other users may not enter, so the project's sandbox user cannot read it: let others read it (chmod o+rx ${blocked}) or use a git URL`, true);
      }
    }
    const mounts: Mount[] = [
      { source: input.scratch, writable: true },
      { source: input.tmpDir, target: '/tmp', writable: true },
      { source: box.tools, writable: true },
      ...(repo !== null && existsSync(repo) ? [{ source: repo, writable: false }] : []),
    ];
    await writeFile(join(input.tmpDir, GIT_CONFIG), '[safe]\n\tdirectory = *\n', { mode: 0o644 });
    return new BuildSandbox(box, mounts, inBwrap ? '/tmp' : input.tmpDir);
  }

  /** The project's uid when steps run as it outside bubblewrap (BuildProcesses.ownUid). */
  get uidWithoutSandbox(): number | null {
    const box = this.box;
    return box !== null && box.identity !== null && box.isolation.bwrap === null ? box.identity.uid : null;
  }

  /** Where package managers keep their download stores, when not in the build cache. */
  get toolsDir(): string | undefined {
    return this.box?.tools;
  }

  /** What `StepOptions.sandbox` takes: null without a sandbox. */
  get wrap(): StepOptions['sandbox'] {
    const box = this.box;
    if (box === null || box.isolation.mode === 'none') return undefined;
    return (command) => box.command({ ...command, mounts: this.mounts });
  }

  /**
   * Variables git needs in the sandbox: a repository on this machine belongs to another user
   * than the project's uid, which git refuses unless its global config says safe.directory (the
   * only place git 2.39 honours it); that config is a file of the build's own, in its TMPDIR.
   */
  gitEnv(): Record<string, string> {
    if (this.box === null || this.box.isolation.mode === 'none') return {};
    return { GIT_CONFIG_GLOBAL: join(this.tmpDir, GIT_CONFIG) };
  }

  /** Gives what the server wrote at `path` (outside a step) to the project's uid. */
  async handOver(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    if (this.box !== null && existsSync(path)) await this.box.handOver(path, options);
  }
}

/** The folder of a repository given as a local path or a file:// URL; null for a remote one. */
export function localRepoPath(repoUrl: string): string | null {
  if (/^file:\/\//i.test(repoUrl)) return fileURLToPath(repoUrl);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repoUrl) || /^[^/]+@[^/]+:/.test(repoUrl)) return null;
  return isAbsolute(repoUrl) ? repoUrl : resolve(repoUrl);
}


/** Whether `path` is a real directory (not a link to one). */
export async function isRealDirectory(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null))?.isDirectory() === true;
}

/**
 * Whether a link in `dir` leads out of it (or nowhere): only then has the build to copy what
 * links lead to (COPY_LINKED_FILES_IN). Reads link targets only, never a file.
 */
export async function hasLinksLeadingOut(dir: string): Promise<boolean> {
  const root = await realpath(dir);
  const walk = async (at: string): Promise<boolean> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory() && (await walk(path))) return true;
      if (entry.isSymbolicLink() && (await realPathInside(root, path)) === null) return true;
    }
    return false;
  };
  return walk(root);
}

/**
 * Run in the build's sandbox as its last step (`node -e <this> <outputDir>`): every link in the
 * output that leads out of it is replaced by a copy of what it leads to (pnpm-style
 * node_modules in a server bundle), with the build's own rights, so what it could not read stays
 * out. The server then stores the output without following any link out of it.
 */
export const COPY_LINKED_FILES_IN = String.raw`
const fs = require('node:fs'), path = require('node:path');
const root = fs.realpathSync(process.argv[1]);
const walk = (dir) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const at = path.join(dir, entry.name);
    if (entry.isDirectory()) { walk(at); continue; }
    if (!entry.isSymbolicLink()) continue;
    let real;
    try { real = fs.realpathSync(at); } catch { continue; }
    const inside = path.relative(root, real);
    if (!inside.startsWith('..') && !path.isAbsolute(inside)) continue;
    fs.rmSync(at);
    fs.cpSync(real, at, { recursive: true, dereference: true });
    if (fs.statSync(at).isDirectory()) walk(at);
  }
};
walk(root);
`;
