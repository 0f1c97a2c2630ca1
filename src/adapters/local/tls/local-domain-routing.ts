import { isIP } from 'node:net';
import type { DnsRecord, DomainObservation } from '../../../core/domain.js';
import type { DnsLookup, DomainRouting, RoutingTarget } from '../../../core/ports/index.js';
import type { Project } from '../../../core/project.js';

/**
 * What serves the names right now: in `anchor server`, its loaded certificates and HTTPS port;
 * in a CLI process, what the running server published (ServingFile).
 */
export interface ServingState {
  /** The HTTPS port, or why HTTPS is not served. */
  https(): { port: number } | { off: string };
  serves(name: string): boolean;
  /** Load the names' certificates for the project (only in anchor server). */
  load?(projectId: string, names: readonly string[]): void;
}

const NOT_PUBLIC = new Set(['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost']);

/** The host visitors reach the platform at: the public URL's, else the listen address when it is a real one. */
export function publicHost(publicUrl: string | null, listenHost: string): string | null {
  if (publicUrl) return new URL(publicUrl).hostname.replace(/^\[|\]$/g, '');
  return NOT_PUBLIC.has(listenHost) ? null : listenHost;
}

/**
 * Local routing of custom domains: a name reaches a project through anchor server's host table
 * (every registered name, HTTP) and TLS listener (the names whose certificate is loaded). The
 * names must resolve to the platform's public host (`--public-url`).
 */
export class LocalDomainRouting implements DomainRouting {
  constructor(private readonly options: { publicUrl: string | null; listenHost: string; dns: DnsLookup; serving: ServingState }) {}

  async target(_project: Project): Promise<RoutingTarget> {
    const host = publicHost(this.options.publicUrl, this.options.listenHost);
    if (!host) {
      return { host: null, addresses: [], apex: 'address', unknown: 'anchor does not know the address visitors reach this server at: start it with --public-url https://<its host name> (or set it once with "anchor init --local --public-url …").' };
    }
    if (isIP(host)) return { host: null, addresses: [host], apex: 'address', unknown: null };
    const answer = await this.options.dns.resolve(host);
    if (answer.addresses.length === 0) return { host, addresses: [], apex: 'address', unknown: `The platform's own host ${host} does not resolve (${answer.error ?? 'no address'}): fix its DNS first.` };
    return { host, addresses: answer.addresses, apex: 'address', unknown: null };
  }

  async status(_project: Project, names: readonly string[]): Promise<Map<string, DomainObservation['routing']>> {
    const https = this.options.serving.https();
    return new Map(
      names.map((name): [string, DomainObservation['routing']] => {
        if ('off' in https) return [name, { state: 'not_serving', detail: https.off }];
        if (this.options.serving.serves(name)) return [name, { state: 'serving', detail: `anchor server presents its certificate on port ${https.port}.` }];
        return [name, { state: 'not_serving', detail: 'anchor server has not loaded its certificate yet.' }];
      }),
    );
  }

  async apply(project: Project, input: { names: readonly string[]; certificate: string | null }): Promise<Map<string, DomainObservation['routing']>> {
    this.options.serving.load?.(project.id, input.names);
    return this.status(project, input.names);
  }

  async ownershipRecords(): Promise<DnsRecord[]> {
    // One platform, one table: a name held by another project is refused when it is added.
    return [];
  }
}
