import type { DnsRecord } from '../domain.js';

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
