import { ChangeResourceRecordSetsCommand, ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, type Change, type ResourceRecordSet, type Route53Client } from '@aws-sdk/client-route-53';
import type { DnsRecord } from '../../core/domain.js';
import type { DnsZone } from '../../core/ports/index.js';

/** The hosted zone id every CloudFront distribution's alias targets have (fixed by AWS). */
export const CLOUDFRONT_HOSTED_ZONE_ID = 'Z2FDTNDATAQYW2';

const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`);
const bare = (name: string) => name.replace(/\.$/, '').toLowerCase();
/** Route 53 writes `*` and some characters octal-escaped in names it returns. */
const unescape = (name: string) => name.replace(/\\(\d{3})/g, (_, code: string) => String.fromCharCode(parseInt(code, 8)));

/**
 * Route 53 zones of the account: the records anchor writes for a domain (its routing record as an
 * ALIAS to the distribution, A and AAAA, and ACM's validation CNAME) go in the public hosted zone
 * that holds the name. Records cannot carry tags, so anchor marks its own with a TXT record
 * `_anchor.<name>` = `"anchor <stage>/<project>"`: it only ever deletes records whose marker
 * says they are its own, and never touches a name another project or a person owns.
 */
export class Route53DnsZone implements DnsZone {
  constructor(private readonly options: { route53: Route53Client; stage: string }) {}

  async zoneFor(name: string): Promise<{ id: string; name: string } | null> {
    const labels = bare(name).split('.');
    for (let i = 0; i < labels.length - 1; i++) {
      const candidate = labels.slice(i).join('.');
      const { HostedZones } = await this.options.route53.send(new ListHostedZonesByNameCommand({ DNSName: candidate, MaxItems: 1 }));
      const zone = HostedZones?.find((z) => bare(z.Name ?? '') === candidate && !z.Config?.PrivateZone);
      if (zone?.Id) return { id: zone.Id.replace('/hostedzone/', ''), name: candidate };
    }
    return null;
  }

  /** Writes what is missing or different, in one change batch; a record set already as wanted is not written again. */
  async upsert(zoneId: string, records: readonly DnsRecord[], owner: string): Promise<void> {
    const marker = JSON.stringify(this.marker(owner));
    const names = [...new Set(records.filter((r) => r.purpose === 'routing').map((r) => r.name))];
    const wanted: ResourceRecordSet[] = [...names.map((name) => ({ Name: fqdn(`_anchor.${name}`), Type: 'TXT' as const, TTL: 300, ResourceRecords: [{ Value: marker }] })), ...records.flatMap((r) => this.recordSetsFor(r))];
    const existing = new Map<string, ResourceRecordSet[]>();
    for (const name of new Set(wanted.map((set) => bare(set.Name ?? '')).filter((n) => !n.startsWith('_anchor.')))) existing.set(name, await this.recordSets(zoneId, name));
    for (const name of names) {
      const sets = existing.get(name) ?? [];
      const ours = sets.some((r) => r.Type === 'TXT' && bare(unescape(r.Name ?? '')) === `_anchor.${name}` && r.ResourceRecords?.some((v) => v.Value === marker));
      const taken = sets.filter((r) => bare(unescape(r.Name ?? '')) === name && ['A', 'AAAA', 'CNAME'].includes(r.Type ?? ''));
      // A name with records anchor did not write is the operator's: reported, never overwritten.
      if (!ours && taken.length > 0) throw new Error(`${name} already has ${taken.map((r) => r.Type).join('/')} records in hosted zone ${zoneId} that anchor did not write; point them at the site yourself, or delete them and anchor writes its own`);
    }
    const all = [...existing.values()].flat();
    const changes: Change[] = wanted.filter((set) => !all.some((have) => sameRecordSet(have, set))).map((set) => ({ Action: 'UPSERT', ResourceRecordSet: set }));
    if (changes.length > 0) await this.options.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: `anchor ${this.options.stage}/${owner}`, Changes: changes } }));
  }

  async removeOwned(zoneId: string, name: string, owner: string): Promise<void> {
    const existing = await this.recordSets(zoneId, name);
    const mark = existing.find((r) => r.Type === 'TXT' && bare(unescape(r.Name ?? '')) === `_anchor.${name}`);
    if (!mark?.ResourceRecords?.some((v) => v.Value === JSON.stringify(this.marker(owner)))) return;
    const ours = existing.filter((r) => {
      const n = bare(unescape(r.Name ?? ''));
      return r === mark || (n === name && (r.AliasTarget !== undefined || r.Type === 'CNAME'));
    });
    await this.options.route53.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: ours.map((set) => ({ Action: 'DELETE', ResourceRecordSet: set })) } }));
  }

  private marker(owner: string): string {
    return `anchor ${this.options.stage}/${owner}`;
  }

  /** The record sets at `name` and `_anchor.<name>` (ListResourceRecordSets starts at a name and goes on in order). */
  private async recordSets(zoneId: string, name: string): Promise<ResourceRecordSet[]> {
    const found: ResourceRecordSet[] = [];
    for (const start of [name, `_anchor.${name}`]) {
      const { ResourceRecordSets } = await this.options.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: fqdn(start), MaxItems: 10 }));
      found.push(...(ResourceRecordSets ?? []).filter((r) => bare(unescape(r.Name ?? '')) === start));
    }
    return found;
  }

  private recordSetsFor(record: DnsRecord): ResourceRecordSet[] {
    if (record.type === 'ALIAS' || (record.type === 'CNAME' && record.purpose === 'routing')) {
      // An ALIAS answers A and AAAA at any name, apex included, and costs no queries.
      const target = { HostedZoneId: CLOUDFRONT_HOSTED_ZONE_ID, DNSName: fqdn(record.value), EvaluateTargetHealth: false };
      return (['A', 'AAAA'] as const).map((Type) => ({ Name: fqdn(record.name), Type, AliasTarget: target }));
    }
    if (record.type === 'TXT') return [{ Name: fqdn(record.name), Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: JSON.stringify(record.value) }] }];
    return [{ Name: fqdn(record.name), Type: record.type, TTL: 300, ResourceRecords: [{ Value: record.value }] }];
  }
}

function sameRecordSet(a: ResourceRecordSet, b: ResourceRecordSet): boolean {
  if (bare(unescape(a.Name ?? '')) !== bare(b.Name ?? '') || a.Type !== b.Type) return false;
  if (a.AliasTarget || b.AliasTarget) return bare(a.AliasTarget?.DNSName ?? '') === bare(b.AliasTarget?.DNSName ?? '');
  const values = (set: ResourceRecordSet) => (set.ResourceRecords ?? []).map((r) => r.Value ?? '').sort().join(' ');
  return values(a) === values(b);
}
