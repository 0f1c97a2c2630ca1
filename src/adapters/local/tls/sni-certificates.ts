import { createSecureContext, type SecureContext } from 'node:tls';
import type { CertificateFiles } from './certificate-files.js';

interface Loaded {
  context: SecureContext;
  serial: string;
  mtimeMs: number;
  /** The project the name serves, or null for the platform's own host. */
  owner: string | null;
}

/**
 * The HTTPS listener's certificates by server name (SNI). A renewed certificate replaces the
 * context for new handshakes only: connections already open keep theirs and go on working.
 * A name that is not loaded here gets no certificate at all (the handshake fails), so a client
 * can never make the server present, or request, a certificate for a name it does not hold.
 */
export class SniCertificates {
  private readonly loaded = new Map<string, Loaded>();

  constructor(private readonly files: CertificateFiles) {}

  /** Loads (or reloads, once renewed on disk) `names` for `owner`, and drops the owner's other names. */
  sync(owner: string | null, names: readonly string[]): void {
    const keep = new Set(names);
    for (const [name, entry] of this.loaded) if (entry.owner === owner && !keep.has(name)) this.loaded.delete(name);
    for (const name of names) {
      const current = this.loaded.get(name);
      const stored = this.files.read(name);
      if (!stored) {
        this.loaded.delete(name);
        continue;
      }
      if (current && current.serial === stored.serial && current.mtimeMs === stored.mtimeMs && current.owner === owner) continue;
      this.loaded.set(name, { context: createSecureContext({ key: stored.keyPem, cert: stored.chainPem }), serial: stored.serial, mtimeMs: stored.mtimeMs, owner });
    }
  }

  /** Drops every name not in `names` (a domain removed, a project gone). */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.loaded.keys()) if (!names.has(name)) this.loaded.delete(name);
  }

  has(name: string): boolean {
    return this.loaded.has(name);
  }

  readonly SNICallback = (servername: string, done: (error: Error | null, context?: SecureContext) => void): void => {
    const entry = this.loaded.get(servername.toLowerCase());
    if (entry) done(null, entry.context);
    else done(new Error(`no certificate for ${servername}`));
  };
}
