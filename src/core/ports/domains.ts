import type { Domain } from '../domain.js';
import type { Certificates } from './certificates.js';
import type { DnsLookup, DnsZone } from './dns.js';
import type { DomainRouting } from './domain-routing.js';
import type { SiteProbe } from './site-probe.js';

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
