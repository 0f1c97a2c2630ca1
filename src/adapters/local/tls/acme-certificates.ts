import type { CertificateInfo } from '../../../core/domain.js';
import { errorMessage } from '../../../core/errors.js';
import type { CertificateSet, Certificates, Clock, Logger, NameCertificate } from '../../../core/ports/index.js';
import type { Project } from '../../../core/project.js';
import { AcmeFailure, type AcmeIssuer } from './acme-issuer.js';
import type { CertificateFiles, IssueAttempts, StoredCertificate } from './certificate-files.js';

/** A failed try waits 5 min, then twice as long each time up to 6 h (Let's Encrypt allows 5 failed validations per name an hour). */
const FIRST_RETRY_MS = 5 * 60_000;
const LONGEST_RETRY_MS = 6 * 60 * 60_000;

export function retryDelayMs(failures: number): number {
  return Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1));
}

/**
 * The local backend's certificates: one per name, from an ACME CA, kept in CertificateFiles.
 * `ensure` starts an order in the background for a name whose DNS points here and that has no
 * certificate (or one due for renewal at two thirds of its lifetime, or from another CA), at most
 * one per name at a time, with backoff after a failure. Without an issuer (a CLI process) it
 * only reads: `anchor server` is the one that obtains and renews.
 */
export class AcmeCertificates implements Certificates {
  readonly maxNamesPerProject = null;
  private readonly running = new Map<string, Promise<void>>();
  private readonly released = new Set<string>();

  constructor(
    private readonly options: {
      files: CertificateFiles;
      issuer: AcmeIssuer | null;
      clock: Clock;
      logger: Logger;
      /** Called when a certificate was written (so routing picks it up at once). */
      onIssued?: (name: string) => void;
    },
  ) {}

  async status(_project: Project, names: readonly string[]): Promise<CertificateSet> {
    return { byName: new Map(names.map((name) => [name, this.view(name, true)])), reference: null };
  }

  async ensure(_project: Project, names: ReadonlyArray<{ name: string; dnsReady: boolean }>): Promise<CertificateSet> {
    return { byName: new Map(names.map(({ name, dnsReady }) => [name, this.ensureName(name, dnsReady)])), reference: null };
  }

  async release(_project: Project, names: readonly string[]): Promise<void> {
    for (const name of names) {
      this.released.add(name);
      this.options.files.remove(name);
    }
  }

  /** Starts what the name needs (an order, a renewal) if nothing is under way and no backoff holds; answers its view. */
  ensureName(name: string, dnsReady: boolean): NameCertificate {
    this.released.delete(name);
    const issuer = this.options.issuer;
    const stored = this.options.files.read(name);
    const attempts = this.options.files.attempts(name);
    const now = this.options.clock.now();
    const due = !stored || stored.expiresAt <= now || stored.renewAt <= now || (issuer !== null && stored.directory !== issuer.directoryUrl);
    const waiting = attempts.nextTryAt !== null && Date.parse(attempts.nextTryAt) > now.getTime();
    // A renewal needs no DNS check: the name was proven when it was issued, and the CA checks again.
    if (issuer && due && !attempts.hard && !waiting && !this.running.has(name) && (dnsReady || stored)) this.start(issuer, name, stored);
    return this.view(name, dnsReady);
  }

  private start(issuer: AcmeIssuer, name: string, previous: StoredCertificate | null): void {
    const what = previous ? 'renewal' : 'certificate';
    this.options.logger.info(`${what} for ${name}: ordering from ${issuer.directoryUrl}`);
    const run = issuer
      .issue(name)
      .then((issued) => {
        if (this.released.has(name)) return;
        const stored = this.options.files.write(name, { ...issued, directory: issuer.directoryUrl });
        this.options.logger.info(`${what} for ${name}: issued by ${stored.issuer}, valid until ${stored.expiresAt.toISOString()}`);
        this.options.onIssued?.(name);
      })
      .catch((error: unknown) => this.failed(name, what, previous, error))
      .finally(() => this.running.delete(name));
    this.running.set(name, run);
  }

  private failed(name: string, what: string, previous: StoredCertificate | null, error: unknown): void {
    if (this.released.has(name)) return;
    const failure = error instanceof AcmeFailure ? error : new AcmeFailure(errorMessage(error), false);
    const before = this.options.files.attempts(name);
    const now = this.options.clock.now();
    const failures = before.failures + 1;
    const nextTryAt = new Date(now.getTime() + (failure.retryAfterMs ?? retryDelayMs(failures)));
    const attempts: IssueAttempts = { failures, lastError: failure.message, since: before.since ?? now.toISOString(), nextTryAt: nextTryAt.toISOString(), hard: failure.hard };
    this.options.files.recordAttempts(name, attempts);
    const expiry = previous ? `; the current certificate expires ${previous.expiresAt.toISOString()}` : '';
    const next = failure.hard ? 'the CA refuses this name: no retry' : `next try ${nextTryAt.toISOString()}`;
    this.options.logger.warn(`${what} for ${name} failed (try ${failures}): ${failure.message}; ${next}${expiry}`);
  }

  private view(name: string, dnsReady: boolean): NameCertificate {
    const stored = this.options.files.read(name);
    const attempts = this.options.files.attempts(name);
    const now = this.options.clock.now();
    const failing = attempts.failures > 0 ? `the last try failed (${attempts.lastError})${attempts.hard ? '' : `; next try ${attempts.nextTryAt}`}` : null;
    if (stored && stored.expiresAt > now) {
      const info: CertificateInfo = {
        issuedAt: stored.issuedAt.toISOString(),
        expiresAt: stored.expiresAt.toISOString(),
        renewAt: stored.renewAt.toISOString(),
        renewalFailure: attempts.failures > 0 ? { since: attempts.since ?? '', error: attempts.lastError ?? '', nextTryAt: attempts.nextTryAt ?? '' } : null,
      };
      return { state: 'issued', detail: `Issued by ${stored.issuer}, valid until ${info.expiresAt}${failing ? `; renewal: ${failing}` : ''}.`, info, validation: [] };
    }
    const none = { info: null, validation: [] };
    if (attempts.hard) return { state: 'failed', detail: `The CA refused the certificate: ${attempts.lastError}.`, ...none };
    if (this.running.has(name)) return { state: 'pending', detail: 'Being obtained from the CA (HTTP-01).', ...none };
    if (failing) return { state: 'pending', detail: `Not issued yet: ${failing}.`, ...none };
    if (stored) return { state: 'pending', detail: `The certificate expired ${stored.expiresAt.toISOString()}; a new one is requested.`, ...none };
    return { state: dnsReady ? 'pending' : 'none', detail: dnsReady ? 'Requested by anchor server.' : 'Requested once DNS points here.', ...none };
  }
}
