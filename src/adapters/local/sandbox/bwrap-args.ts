import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, sep } from 'node:path';

/** A folder (or file) of the host made visible inside a sandbox. */
export interface Mount {
  source: string;
  /** Where it appears inside; the same path as outside unless said otherwise. */
  target?: string;
  writable: boolean;
}

export interface SandboxView {
  mounts: readonly Mount[];
  /** The working directory inside (a mounted path). */
  cwd: string;
  /** Files shown read-only as /etc/passwd and /etc/group: the sandbox user has a name and a home. */
  passwd?: string;
  group?: string;
  /** The process's environment, for the certificate files it names (NODE_EXTRA_CA_CERTS, …). */
  env: Record<string, string>;
}

/** The system's programs and libraries: visible read-only in every sandbox. */
const SYSTEM_ROOTS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * What of /etc a process needs to resolve names, check TLS certificates, read time zones and run
 * git and npm with the machine's settings. Not the rest: /etc may hold the operator's secrets.
 */
const ETC_ENTRIES = [
  'resolv.conf', 'hosts', 'host.conf', 'nsswitch.conf', 'gai.conf', 'services', 'protocols',
  'ssl', 'ca-certificates', 'ca-certificates.conf', 'pki', 'crypto-policies',
  'localtime', 'timezone', 'ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'alternatives',
  'mime.types', 'os-release', 'npmrc', 'gitconfig',
];

/** Variables that name certificate files a TLS client reads. */
const CERTIFICATE_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'];

/**
 * bubblewrap's arguments (before `--` and the command) for a process that sees only the system's
 * programs and `view.mounts`: every namespace but the network's is its own (its own process tree,
 * so killing bwrap ends everything the process started, setsid or not), its /proc shows only its
 * own processes, /tmp is empty and private, and it dies with its parent (the server). Writable
 * only where a mount says so.
 */
export function bwrapArgs(view: SandboxView): string[] {
  const args = [
    '--unshare-all', '--share-net', '--unshare-user', '--disable-userns',
    '--die-with-parent', '--hostname', 'anchor',
    ...systemMounts(),
    '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp',
  ];
  const covered = [...SYSTEM_ROOTS, '/etc'];
  for (const variable of CERTIFICATE_VARIABLES) {
    const path = view.env[variable];
    if (path && isAbsolute(path) && !covered.some((root) => isUnder(path, root))) args.push('--ro-bind-try', path, path);
  }
  const node = nodePrefix();
  if (node !== null && !SYSTEM_ROOTS.some((root) => isUnder(node, root))) args.push('--ro-bind', node, node);
  // Mounts outermost first, so one inside another (a writable cache in a read-only folder) lands on top.
  const mounts = [...view.mounts].sort((a, b) => depth(a.target ?? a.source) - depth(b.target ?? b.source));
  for (const mount of mounts) args.push(mount.writable ? '--bind' : '--ro-bind', mount.source, mount.target ?? mount.source);
  if (view.passwd) args.push('--ro-bind', view.passwd, '/etc/passwd');
  if (view.group) args.push('--ro-bind', view.group, '/etc/group');
  args.push('--chdir', view.cwd);
  return args;
}

let cachedSystemMounts: string[] | null = null;

/** /usr and the top-level folders (or, on a merged /usr, the links to it), and what of /etc is needed. */
function systemMounts(): string[] {
  if (cachedSystemMounts !== null) return cachedSystemMounts;
  const args: string[] = [];
  for (const root of SYSTEM_ROOTS) {
    const info = lstatSync(root, { throwIfNoEntry: false });
    if (info === undefined) continue;
    if (info.isSymbolicLink()) args.push('--symlink', readlinkSync(root), root);
    else if (info.isDirectory()) args.push('--ro-bind', root, root);
  }
  for (const entry of ETC_ENTRIES) {
    const path = `/etc/${entry}`;
    if (existsSync(path)) args.push('--ro-bind', path, path);
  }
  cachedSystemMounts = args;
  return args;
}

/** Where this Node is installed (…/bin/node → …), so `node` and its `npm` run inside too. */
function nodePrefix(): string | null {
  try {
    return dirname(dirname(realpathSync(process.execPath)));
  } catch {
    return null;
  }
}

function isUnder(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function depth(path: string): number {
  return path.split(sep).length;
}
