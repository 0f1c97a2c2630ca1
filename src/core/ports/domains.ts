import type { CertificateInfo, DnsRecord, Domain, DomainObservation } from '../domain.js';
import type { Project } from '../project.js';

/**
 * Contract: a name is held by at most one project (`add` fails with DOMAIN_TAKEN, writing
 * nothing, when any project holds it); `save` writes a domain that exists and is a no-op for one
 * removed meanwhile (a check racing `domains rm` must not bring it back); `list` is by name.
 */
export interface Domains {
  add(domains: readonly Domain[]): Promise<void>;
  get(name: string): Promise<Domain | null>;
  list(filter?: { projectId?: string }): Promise<Domain[]>;
  save(domain: Domain): Promise<void>;
  remove(name: string): Promise<void>;
}

/** What the project's names must resolve to: a host to CNAME to, and the addresses that count as this platform. */
export interface RoutingTarget {
  /** A host name the domain may CNAME to (the platform's public host, the CloudFront domain), or null. */
  host: string | null;
  /** Addresses a lookup of the domain may give for it to count as pointing here. */
  addresses: string[];
  /** How an apex (which cannot be a CNAME) points here: A/AAAA records to the addresses, or an ALIAS to the host. */
  apex: 'address' | 'alias';
  /** Set when the target cannot be known yet, with what to do (e.g. start the server with --public-url). */
  unknown: string | null;
}

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

/**
 * How a project's names reach its site: the local edge's host table and TLS listener, or the
 * CloudFront distribution's aliases and certificate. `apply` converges on the given names and
 * certificate (idempotent); `status` only reads.
 */
export interface DomainRouting {
  target(project: Project): Promise<RoutingTarget>;
  status(project: Project, names: readonly string[]): Promise<Map<string, DomainObservation['routing']>>;
  apply(project: Project, input: { names: readonly string[]; certificate: string | null }): Promise<Map<string, DomainObservation['routing']>>;
  /** Records that move a name held elsewhere to this project (CloudFront's TXT + AssociateAlias); empty when not in conflict. */
  ownershipRecords(project: Project, name: string): Promise<DnsRecord[]>;
}

export interface DnsAnswer {
  addresses: string[];
  /** The first CNAME hop, or null when the name has A/AAAA records itself (or nothing). */
  cname: string | null;
  /** Set when the lookup itself failed (no such name, a timeout), in words. */
  error: string | null;
}

/** Public DNS as a visitor (or the CA) sees it. */
export interface DnsLookup {
  resolve(name: string): Promise<DnsAnswer>;
  txt(name: string): Promise<string[]>;
}

/** A hosted zone anchor may write to (Route 53); records are only ever upserted or deleted one by one. */
export interface DnsZone {
  /** The zone that holds `name`, or null when the account has none for it. */
  zoneFor(name: string): Promise<{ id: string; name: string } | null>;
  upsert(zoneId: string, records: readonly DnsRecord[], owner: string): Promise<void>;
  /** Deletes the records anchor wrote for `name` (its ownership marker says so); others are left alone. */
  removeOwned(zoneId: string, name: string, owner: string): Promise<void>;
}

/** An HTTPS request with SNI to the name, as a visitor would make it: does the answer come from this project? */
export interface SiteProbe {
  check(project: Project, name: string): Promise<{ ok: boolean; detail: string }>;
}

/** Everything custom domains need from a backend. */
export interface DomainPorts {
  domains: Domains;
  certificates: Certificates;
  routing: DomainRouting;
  dns: DnsLookup;
  /** Null where anchor cannot write DNS (the local backend). */
  dnsZone: DnsZone | null;
  probe: SiteProbe;
}
