import { Resolver } from 'node:dns/promises';
import type { DnsAnswer, DnsLookup } from '../../core/ports/index.js';

const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

/**
 * DNS as resolvers on the internet answer it, through Node's c-ares resolver (no OS cache, so a
 * record just created is seen as soon as the resolver sees it). `servers` points it elsewhere
 * (`ANCHOR_DNS_SERVERS`; tests use a DNS server on loopback).
 */
export class NodeDnsLookup implements DnsLookup {
  private readonly resolver: Resolver;

  constructor(options: { servers?: readonly string[]; timeoutMs?: number } = {}) {
    this.resolver = new Resolver({ timeout: options.timeoutMs ?? 3000, tries: 2 });
    if (options.servers?.length) this.resolver.setServers([...options.servers]);
  }

  async resolve(name: string): Promise<DnsAnswer> {
    const [v4, v6, cname] = await Promise.all([this.attempt(() => this.resolver.resolve4(name)), this.attempt(() => this.resolver.resolve6(name)), this.attempt(() => this.resolver.resolveCname(name))]);
    const addresses = [...(v4.values ?? []), ...(v6.values ?? [])];
    const hardError = [v4, v6].map((r) => r.error).find((e) => e !== null && !NO_RECORDS.has(e));
    const error = addresses.length > 0 ? null : (hardError ?? (v4.error === 'ENOTFOUND' || v4.error === 'NXDOMAIN' ? 'no such name' : 'no A or AAAA record'));
    return { addresses, cname: cname.values?.[0]?.toLowerCase().replace(/\.$/, '') ?? null, error };
  }

  async txt(name: string): Promise<string[]> {
    const answer = await this.attempt(() => this.resolver.resolveTxt(name));
    return (answer.values ?? []).map((chunks) => chunks.join(''));
  }

  private async attempt<T>(query: () => Promise<T[]>): Promise<{ values: T[] | null; error: string | null }> {
    try {
      return { values: await query(), error: null };
    } catch (error) {
      return { values: null, error: (error as NodeJS.ErrnoException).code ?? String(error) };
    }
  }
}
