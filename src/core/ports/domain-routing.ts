import type { DnsRecord, DomainObservation } from '../domain.js';
import type { Project } from '../project.js';

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
