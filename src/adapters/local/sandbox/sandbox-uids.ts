import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnchorError } from '../../../core/errors.js';

/**
 * The uids (each also a gid) anchor gives projects' builds and sites when the server runs as
 * root. Above the ranges systemd-nspawn and podman hand out (up to 0x6FFFFFFF) and below 2^31,
 * which some tools treat as signed. The first one is never a project's: it runs the start-up probe.
 */
export const SANDBOX_UIDS = { probe: 1_900_000_000, first: 1_900_000_001, last: 1_999_999_999 } as const;

/** Machine-wide state of root-run servers: `uids/` (who has which uid) and `sites/<uid>/` (each project's folders). */
export const SANDBOX_STATE_DIR = '/var/lib/anchor';

/**
 * Hands out sandbox uids without /etc/passwd entries. Uids come from a range rather than from
 * useradd: nothing in the system's user database changes (a platform created and destroyed
 * leaves no users behind, config management does not fight it, containers with a read-only /etc
 * work), and a uid never named in /etc/passwd cannot collide with a login.
 *
 * A uid is claimed machine-wide with a file created exclusively in `<stateDir>/uids/`, so two
 * platforms on one machine (or two test runs) never share one, and a claim is never given back:
 * files a removed project's uid left somewhere (a /tmp file of an old build) never become another
 * project's. The range holds 100 million.
 */
export class SandboxUidClaims {
  constructor(private readonly stateDir: string = SANDBOX_STATE_DIR) {}

  claim(owner: string): number {
    const dir = join(this.stateDir, 'uids');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const taken = passwdUids();
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const uid = randomInt(SANDBOX_UIDS.first, SANDBOX_UIDS.last + 1);
      if (taken.has(uid)) continue;
      try {
        writeFileSync(join(dir, String(uid)), `${owner}\n`, { flag: 'wx', mode: 0o600 });
        return uid;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw new AnchorError({
          code: 'SANDBOX_UID_UNAVAILABLE',
          kind: 'internal',
          message: `Could not claim a sandbox uid in ${dir}: ${(error as Error).message}`,
          hint: `anchor keeps which uid runs which project in ${this.stateDir}; make it writable for root, or run "anchor server --isolation bwrap" (or none) to do without uids.`,
          cause: error,
        });
      }
    }
    throw new AnchorError({ code: 'SANDBOX_UID_UNAVAILABLE', kind: 'internal', message: 'Could not find a free sandbox uid after 100 tries.', hint: `Look at ${dir}: it should hold one small file per project ever created.` });
  }
}

/** The uids /etc/passwd names: never handed out. */
function passwdUids(): Set<number> {
  try {
    return new Set(readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => Number(line.split(':')[2])).filter(Number.isInteger));
  } catch {
    return new Set();
  }
}
