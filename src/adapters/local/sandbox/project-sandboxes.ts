import { execFile } from 'node:child_process';
import { chmod, chown, lchown, lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AnchorError } from '../../../core/errors.js';
import type { Projects } from '../../../core/ports/projects.js';
import type { SqliteSandboxUids } from '../store/sqlite-sandbox-uids.js';
import type { SandboxedCommand } from '../runtime/handler-process.js';
import { bwrapArgs, type Mount } from './bwrap-args.js';
import type { Isolation } from './isolation.js';
import { SANDBOX_STATE_DIR, SandboxUidClaims } from './sandbox-uids.js';

const run = promisify(execFile);


/**
 * One project's sandbox: who its processes run as, the folders of its own they may use, and how
 * to start a command in it. Its folders are outside the platform dir (which only the server can
 * enter), so a process of the project's uid reaches them.
 */
export interface ProjectSandbox {
  readonly projectId: string;
  readonly isolation: Isolation;
  /** Null when processes run as the server's user. */
  readonly identity: { uid: number; gid: number } | null;
  /** Its builds' HOME. */
  readonly home: string;
  /** Package managers' download stores (npm's cache, …), written by the build itself. */
  readonly tools: string;
  /** Deployments laid out to run. */
  readonly runtime: string;
  /** Where its function processes listen, a folder only the server and the project enter. */
  readonly sockets: string;
  /** Gives what the server made at `path` to the project's uid (its processes write there). */
  handOver(path: string, options?: { recursive?: boolean }): Promise<void>;
  /** `file args` to run in the sandbox, seeing the system, its home and `mounts` only. */
  command(input: { file: string; args: readonly string[]; cwd: string; env: Record<string, string>; mounts: readonly Mount[]; home?: string }): SandboxedCommand;
}

export interface ProjectSandboxesOptions {
  isolation: Isolation;
  platformDir: string;
  /** The server's run dir (sockets, passwd files): gone when it stops. */
  runDir: string;
  projects: Pick<Projects, 'get'>;
  uids: SqliteSandboxUids;
  /** Machine-wide state for uids (default /var/lib/anchor). */
  stateDir?: string;
}

/**
 * The projects' sandboxes of one `anchor server`. With uids, each project gets a uid claimed
 * machine-wide (SandboxUidClaims) and its folders in `<stateDir>/sites/<uid>/`: home and tools
 * its uid's, the area and `runtime/` the server's in the project's group (0710), closed to everyone
 * else; without, its folders are in `<platformDir>/sites/<projectId>/`.
 * A project removed and added again under the same name is another project: another id, another
 * uid, empty folders.
 */
export class ProjectSandboxes {
  private readonly opened = new Map<string, Promise<ProjectSandbox>>();
  private readonly claims: SandboxUidClaims;
  private readonly stateDir: string;

  constructor(private readonly options: ProjectSandboxesOptions) {
    this.stateDir = options.stateDir ?? SANDBOX_STATE_DIR;
    this.claims = new SandboxUidClaims(this.stateDir);
  }

  get isolation(): Isolation {
    return this.options.isolation;
  }

  /** The sandbox of the project named `projectName` now. */
  async forProject(projectName: string): Promise<ProjectSandbox> {
    const project = await this.options.projects.get(projectName);
    if (!project) throw new AnchorError({ code: 'PROJECT_NOT_FOUND', kind: 'not-found', message: `There is no project "${projectName}" on this platform.` });
    let opened = this.opened.get(project.id);
    if (!opened) {
      opened = this.open(project.id);
      this.opened.set(project.id, opened);
      opened.catch(() => this.opened.delete(project.id));
    }
    return opened;
  }

  /** The folder of a project's own files outside the platform dir, or null when it never had one. */
  areaOf(projectId: string): string | null {
    if (!this.options.isolation.uids) return join(this.options.platformDir, 'sites', projectId);
    const uid = this.options.uids.get(projectId);
    return uid === null ? null : join(this.stateDir, 'sites', String(uid));
  }

  /** Deletes a removed project's folders and forgets its uid (never handed out again). */
  async remove(projectId: string): Promise<void> {
    this.opened.delete(projectId);
    const area = this.areaOf(projectId);
    const uid = this.options.uids.get(projectId);
    if (area !== null) await rm(area, { recursive: true, force: true });
    await rm(join(this.options.runDir, uid === null ? projectId : String(uid)), { recursive: true, force: true });
    this.options.uids.remove(projectId);
  }

  private async open(projectId: string): Promise<ProjectSandbox> {
    const { isolation } = this.options;
    let identity: { uid: number; gid: number } | null = null;
    if (isolation.uids) {
      const uid = this.options.uids.get(projectId) ?? this.options.uids.put(projectId, this.claims.claim(`${this.options.platformDir} ${projectId}`), new Date().toISOString());
      identity = { uid, gid: uid };
    }
    const key = identity === null ? projectId : String(identity.uid);
    const area = identity === null ? join(this.options.platformDir, 'sites', projectId) : join(this.stateDir, 'sites', key);
    if (identity !== null) await ensureTraversable(this.stateDir);
    const sockets = join(this.options.runDir, key);
    const dirs = { home: join(area, 'home'), tools: join(area, 'tools'), runtime: join(area, 'runtime') };
    // The area and the deployments' runtime folder are the server's (the project's group may pass): it lays deployments out in
    // there, and a project that could rename or replace entries (a site or a build as its uid,
    // without bubblewrap) could swap a folder for a link while it does. Home and tools are the project's.
    for (const dir of [area, dirs.runtime]) await serversDir(dir, identity);
    for (const dir of [dirs.home, dirs.tools, sockets]) await ownedDir(dir, identity);
    const passwd = isolation.bwrap === null ? null : await writeUserFiles(this.options.runDir, key, identity, dirs.home);
    const handOver = async (path: string, options: { recursive?: boolean } = {}): Promise<void> => {
      if (identity === null) return;
      // chown -h never follows a link the project planted; -R walks without following them either.
      if (options.recursive) await run('chown', ['-R', '-h', '--', `${identity.uid}:${identity.gid}`, path]);
      else await lchown(path, identity.uid, identity.gid);
    };
    const command: ProjectSandbox['command'] = (input) => {
      const home = input.home ?? dirs.home;
      const env = isolation.mode === 'none' ? input.env : { ...input.env, HOME: home };
      const as = identity === null ? {} : { uid: identity.uid, gid: identity.gid };
      if (isolation.bwrap === null) return { file: input.file, args: [...input.args], env, ...as };
      const mounts: Mount[] = [...(home === dirs.home ? [{ source: home, writable: true }] : []), ...input.mounts];
      const view = { mounts, cwd: input.cwd, env, ...(passwd === null ? {} : passwd) };
      return { file: isolation.bwrap, args: [...bwrapArgs(view), '--', input.file, ...input.args], env, ...as };
    };
    return { projectId, isolation, identity, ...dirs, sockets, handOver, command };
  }
}

/** A folder of the project's own: its uid's, mode 0700 (the server's, 0700, without uids). */
async function ownedDir(dir: string, identity: { uid: number; gid: number } | null): Promise<void> {
  await realDir(dir, 0o700);
  if (identity !== null) await chown(dir, identity.uid, identity.gid);
  await chmod(dir, 0o700);
}

/**
 * A folder of the server's that the project may pass through and not change: the server's, in the
 * project's group, 0710 (other projects may not even pass); 0700 without uids.
 */
async function serversDir(dir: string, identity: { uid: number; gid: number } | null): Promise<void> {
  const mode = identity === null ? 0o700 : 0o710;
  await realDir(dir, mode);
  if (identity !== null) await chown(dir, process.getuid?.() ?? 0, identity.gid);
  await chmod(dir, mode);
}

/** `dir` as a real folder: a link or a file left in its place (a project's, before its area was the server's) goes first. */
async function realDir(dir: string, mode: number): Promise<void> {
  const info = await lstat(dir).catch(() => null);
  if (info !== null && !info.isDirectory()) await rm(dir, { force: true });
  await mkdir(dir, { recursive: true, mode });
}

/** `<stateDir>/sites`: root's, and every sandbox uid may pass through it (but not list it). */
async function ensureTraversable(stateDir: string): Promise<void> {
  for (const dir of [stateDir, join(stateDir, 'sites')]) {
    await mkdir(dir, { recursive: true, mode: 0o711 });
    await chmod(dir, 0o711);
  }
}

/** /etc/passwd and /etc/group as the sandbox shows them: one user, the project's, named anchor. */
async function writeUserFiles(runDir: string, key: string, identity: { uid: number; gid: number } | null, home: string): Promise<{ passwd: string; group: string }> {
  const uid = identity?.uid ?? process.getuid?.() ?? 0;
  const gid = identity?.gid ?? process.getgid?.() ?? 0;
  const dir = join(runDir, 'etc');
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const passwd = join(dir, `${key}.passwd`);
  const group = join(dir, `${key}.group`);
  await writeFile(passwd, `anchor:x:${uid}:${gid}:anchor site:${home}:/bin/sh\n`, { mode: 0o644 });
  await writeFile(group, `anchor:x:${gid}:\n`, { mode: 0o644 });
  return { passwd, group };
}
