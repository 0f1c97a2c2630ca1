import { decideState, type DnsRecord, type Domain, type DomainObservation } from '../domain.js';
import { isApex } from '../domain-name.js';
import { errorMessage } from '../errors.js';
import type { DnsAnswer, DomainPorts, Ports, RoutingTarget } from '../ports/index.js';
import type { Project } from '../project.js';

export type CheckDomainsDeps = Pick<Ports, 'clock' | 'logger'> & DomainPorts;

/** The records that send visitors of `name` to the target: a CNAME for a subdomain, A/AAAA (or an ALIAS) for an apex. */
export function routingRecords(name: string, target: RoutingTarget): DnsRecord[] {
  if (target.host && !isApex(name)) return [{ name, type: 'CNAME', value: target.host, purpose: 'routing' }];
  if (target.host && target.apex === 'alias') return [{ name, type: 'ALIAS', value: target.host, purpose: 'routing' }];
  return target.addresses.map((address) => ({ name, type: address.includes(':') ? 'AAAA' : 'A', value: address, purpose: 'routing' }));
}

/** Does a lookup of `name` reach the target? Measured from public DNS, explained when it does not. */
export function pointsAt(name: string, answer: DnsAnswer, target: RoutingTarget): DomainObservation['dns'] {
  if (target.unknown) return { ok: false, detail: target.unknown };
  if (answer.error) return { ok: false, detail: `${name} does not resolve (${answer.error}).` };
  if (target.host && answer.cname === target.host) return { ok: true, detail: `${name} is a CNAME to ${target.host}.` };
  const here = answer.addresses.filter((a) => target.addresses.includes(a));
  if (here.length > 0) return { ok: true, detail: `${name} resolves to ${here.join(', ')} (this platform).` };
  const seen = answer.cname ? `a CNAME to ${answer.cname}` : answer.addresses.length > 0 ? answer.addresses.join(', ') : 'no address';
  const wanted = target.host ? `${target.host}${target.addresses.length ? ` (${target.addresses.join(', ')})` : ''}` : target.addresses.join(', ');
  return { ok: false, detail: `${name} points at ${seen}, not at ${wanted}.` };
}

/**
 * One measured pass over a project's domains, on either backend: write the DNS records anchor
 * may write, look the names up, obtain or renew certificates for the names that point here,
 * route the names whose certificate is issued, probe them over HTTPS, and store what was seen.
 * Safe to run often and from several places at once (the platform's schedule, `--wait`): every
 * step converges on the same end and starts nothing already under way.
 */
export async function checkProjectDomains(deps: CheckDomainsDeps, project: Project): Promise<Domain[]> {
  const domains = await deps.domains.list({ projectId: project.id });
  const names = domains.map((d) => d.name);
  const target = await deps.routing.target(project);
  const zoneWrites = deps.dnsZone ? await writeRecords(deps, project, domains, (d) => routingRecords(d.name, target)) : new Map<string, string>();
  const answers = await Promise.all(names.map((name) => deps.dns.resolve(name)));
  const dns = new Map(domains.map((d, i) => [d.name, pointsAt(d.name, answers[i] as DnsAnswer, target)]));
  const certificates = await deps.certificates.ensure(project, domains.map((d) => ({ name: d.name, dnsReady: dns.get(d.name)?.ok === true })));
  const validation = (name: string) => certificates.byName.get(name)?.validation ?? [];
  if (deps.dnsZone) for (const [name, error] of await writeRecords(deps, project, domains, (d) => validation(d.name))) zoneWrites.set(name, error);
  const issued = names.filter((name) => certificates.byName.get(name)?.state === 'issued');
  const routing = await deps.routing.apply(project, { names: issued, certificate: certificates.reference });
  const now = deps.clock.now().toISOString();
  const checked: Domain[] = [];
  for (const domain of domains) {
    const certificate = certificates.byName.get(domain.name) ?? { state: 'none' as const, detail: 'No certificate yet.', info: null, validation: [] };
    const route = routing.get(domain.name) ?? { state: 'not_serving' as const, detail: 'Not routed yet.' };
    const seen: DomainObservation = {
      dns: dns.get(domain.name) ?? { ok: false, detail: 'Not looked up.' },
      certificate: { state: certificate.state, detail: certificate.detail },
      routing: route,
      https: route.state === 'serving' && certificate.state === 'issued' ? await deps.probe.check(project, domain.name) : null,
    };
    const decided = decideState(domain, seen);
    const zoneError = zoneWrites.get(domain.name);
    const ownership = decided.state === 'conflict' ? await deps.routing.ownershipRecords(project, domain.name) : [];
    const next: Domain = {
      ...domain,
      state: decided.state,
      reason: decided.reason && zoneError ? `${decided.reason} (writing its DNS records failed: ${zoneError})` : decided.reason,
      records: [...routingRecords(domain.name, target), ...validation(domain.name), ...ownership],
      certificate: certificate.info,
      checkedAt: now,
      activeSince: decided.state === 'active' ? (domain.activeSince ?? now) : domain.activeSince,
    };
    if (next.state !== domain.state) deps.logger.info(`domain ${domain.name}: ${domain.state} → ${next.state}`, { project: project.name, reason: next.reason });
    await deps.domains.save(next);
    checked.push(next);
  }
  return checked;
}

/** Upserts each domain's records in its hosted zone (unless --no-dns); a failure is reported per name, not thrown. */
async function writeRecords(deps: CheckDomainsDeps, project: Project, domains: readonly Domain[], recordsOf: (d: Domain) => DnsRecord[]): Promise<Map<string, string>> {
  const errors = new Map<string, string>();
  const zone = deps.dnsZone;
  if (!zone) return errors;
  for (const domain of domains.filter((d) => d.manageDns)) {
    const records = recordsOf(domain);
    if (records.length === 0) continue;
    try {
      const hosted = await zone.zoneFor(domain.name);
      if (hosted) await zone.upsert(hosted.id, records, project.name);
    } catch (error) {
      errors.set(domain.name, errorMessage(error));
    }
  }
  return errors;
}
