import type { CertificateInfo, DnsRecord, DomainObservation } from '../domain.js';
import type { Project } from '../project.js';

export interface NameCertificate {
  state: DomainObservation['certificate']['state'];
  detail: string;
  info: CertificateInfo | null;
  /** Records the CA needs to see for this name (ACM's validation CNAME); empty for HTTP-01. */
  validation: DnsRecord[];
}

/**
 * Certificates for a project's names (ACME per name locally, one ACM certificate per project on
 * AWS). `status` only reads; `ensure` may also request, renew or replace, and is safe to call on
 * every check (it starts nothing that is already under way). Names are only ever the project's
 * registered domains: a certificate is never requested for a name from a request or a handshake.
 */
export interface Certificates {
  /** ACM's names-per-certificate quota; null where a name gets a certificate of its own. */
  readonly maxNamesPerProject: number | null;
  status(project: Project, names: readonly string[]): Promise<CertificateSet>;
  ensure(project: Project, names: ReadonlyArray<{ name: string; dnsReady: boolean }>): Promise<CertificateSet>;
  /** The names are no longer the project's: stop renewing, delete what only they used. */
  release(project: Project, names: readonly string[]): Promise<void>;
}

export interface CertificateSet {
  byName: Map<string, NameCertificate>;
  /** What routing must present (an ACM ARN); null where certificates are found by name. */
  reference: string | null;
}
