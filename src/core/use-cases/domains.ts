import { nextAction, type Domain, type DomainState } from '../domain.js';
import { normaliseDomain, wwwOf } from '../domain-name.js';
import { AnchorError } from '../errors.js';
import type { DomainPorts, Ports } from '../ports/index.js';
import type { Project } from '../project.js';
import { pointsAt, routingRecords, checkProjectDomains, type CheckDomainsDeps } from './check-domains.js';
import { getProject } from './projects.js';

export type DomainDeps = Pick<Ports, 'projects' | 'clock' | 'logger'> & DomainPorts;

export interface DomainView extends Domain {
  project: string;
  nextAction: string;
}

function domainNotFound(name: string): AnchorError {
  return new AnchorError({ code: 'DOMAIN_NOT_FOUND', kind: 'not-found', message: `No project has the domain ${name}.`, hint: 'Run "anchor domains ls" to see the domains there are.' });
}

function fresh(name: string, project: Project, input: { redirectTo: string | null; manageDns: boolean }, now: string): Domain {
  return { name, projectId: project.id, redirectTo: input.redirectTo, manageDns: input.manageDns, state: 'pending_dns', reason: 'Not checked yet.', records: [], certificate: null, checkedAt: null, activeSince: null, createdAt: now };
}

/**
 * `anchor domains add`: normalise and validate the name (and its www companion), refuse a name
 * another project holds, record it, then run one check so the records to create (and the first
 * measured state) come back at once. A name the project already has is kept as it is.
 */
export async function addDomain(
  deps: DomainDeps,
  input: { project: string; domain: string; www: 'none' | 'with' | 'redirect'; manageDns: boolean },
): Promise<{ domains: DomainView[]; added: string[] }> {
  const name = normaliseDomain(input.domain);
  const project = await getProject(deps, input.project);
  const now = deps.clock.now().toISOString();
  const wanted = [fresh(name, project, { redirectTo: null, manageDns: input.manageDns }, now)];
  if (input.www !== 'none') wanted.push(fresh(wwwOf(name), project, { redirectTo: input.www === 'redirect' ? name : null, manageDns: input.manageDns }, now));
  const held = await deps.domains.list({ projectId: project.id });
  const added: Domain[] = [];
  for (const domain of wanted) {
    const existing = await deps.domains.get(domain.name);
    if (existing && existing.projectId !== project.id) {
      const owner = await deps.projects.getById(existing.projectId);
      throw new AnchorError({
        code: 'DOMAIN_TAKEN',
        kind: 'conflict',
        message: `${domain.name} already belongs to project "${owner?.name ?? existing.projectId}".`,
        hint: `Remove it there first (anchor domains rm ${domain.name}), then add it to "${project.name}".`,
      });
    }
    if (!existing) added.push(domain);
  }
  const quota = deps.certificates.maxNamesPerProject;
  if (quota !== null && held.length + added.length > quota) {
    throw new AnchorError({
      code: 'DOMAIN_QUOTA',
      kind: 'conflict',
      message: `"${project.name}" would have ${held.length + added.length} domains, but one ACM certificate holds at most ${quota} names (the "Domain names per ACM certificate" quota).`,
      hint: 'Remove a domain first, or ask AWS Service Quotas to raise "Domain names per ACM certificate" and add it again.',
    });
  }
  await deps.domains.add(added);
  await checkProjectDomains(deps, project);
  const views = await Promise.all(wanted.map(async (d) => view((await deps.domains.get(d.name)) ?? d, project.name)));
  return { domains: views, added: added.map((d) => d.name) };
}

function view(domain: Domain, project: string): DomainView {
  return { ...domain, project, nextAction: nextAction(domain) };
}

/** `anchor domains ls`: the states as last measured, with the next action in words. */
export async function listDomains(deps: Pick<DomainDeps, 'projects' | 'domains'>, input: { project?: string | undefined }): Promise<DomainView[]> {
  const only = input.project === undefined ? null : await getProject(deps, input.project);
  const domains = await deps.domains.list(only ? { projectId: only.id } : {});
  const names = new Map((await deps.projects.list()).map((p) => [p.id, p.name]));
  return domains.map((d) => view(d, names.get(d.projectId) ?? d.projectId));
}

export async function getDomain(deps: Pick<DomainDeps, 'projects' | 'domains'>, input: { domain: string }): Promise<{ domain: Domain; project: Project }> {
  const name = normaliseDomain(input.domain);
  const domain = await deps.domains.get(name);
  const project = domain ? await deps.projects.getById(domain.projectId) : null;
  if (!domain || !project) throw domainNotFound(name);
  return { domain, project };
}

export interface VerifyItem {
  check: 'dns' | 'certificate' | 'routing' | 'https';
  ok: boolean;
  detail: string;
  /** What to do when it is not ok. */
  fix: string | null;
}

/**
 * `anchor domains verify`: a read-only checklist, measured now (it requests, writes and routes
 * nothing): DNS answers, the certificate, the routing, and an HTTPS probe with SNI.
 */
export async function verifyDomain(deps: DomainDeps, input: { domain: string }): Promise<{ domain: DomainView; items: VerifyItem[]; ok: boolean }> {
  const { domain, project } = await getDomain(deps, input);
  const target = await deps.routing.target(project);
  const records = routingRecords(domain.name, target);
  const dns = pointsAt(domain.name, await deps.dns.resolve(domain.name), target);
  const certificate = (await deps.certificates.status(project, [domain.name])).byName.get(domain.name);
  const routing = (await deps.routing.status(project, [domain.name])).get(domain.name) ?? { state: 'not_serving', detail: 'Not routed.' };
  const https = await deps.probe.check(project, domain.name);
  const show = records.map((r) => `${r.type} ${r.name} → ${r.value}`).join(', ');
  const items: VerifyItem[] = [
    { check: 'dns', ok: dns.ok, detail: dns.detail, fix: dns.ok ? null : target.unknown ?? `Create ${show} at your DNS provider (changes can take minutes to be seen).` },
    {
      check: 'certificate',
      ok: certificate?.state === 'issued',
      detail: certificate?.detail ?? 'No certificate.',
      fix: certificate?.state === 'issued' ? null : certificate?.validation.length ? `Keep ${certificate.validation.map((r) => `${r.type} ${r.name} → ${r.value}`).join(', ')} in DNS.` : 'It is requested once DNS points here; anchor retries by itself.',
    },
    { check: 'routing', ok: routing.state === 'serving', detail: routing.detail, fix: routing.state === 'serving' ? null : routing.state === 'conflict' ? nextAction({ ...domain, state: 'conflict' }) : 'It follows once the certificate is issued.' },
    { check: 'https', ok: https.ok, detail: https.detail, fix: https.ok ? null : 'Fix the items above; the probe passes once they do.' },
  ];
  return { domain: view(domain, project.name), items, ok: items.every((i) => i.ok) };
}

/** `anchor domains rm`: stop serving the name and release its certificate and the DNS records anchor wrote. */
export async function removeDomain(deps: CheckDomainsDeps & Pick<Ports, 'projects'>, input: { domain: string }): Promise<{ removed: string[]; project: string }> {
  const { domain, project } = await getDomain(deps, input);
  // A www companion that redirects to this name goes with it: it would redirect to nothing.
  const companions = (await deps.domains.list({ projectId: project.id })).filter((d) => d.redirectTo === domain.name);
  const removed = [domain, ...companions];
  for (const d of removed) await deps.domains.remove(d.name);
  await checkProjectDomains(deps, project);
  await deps.certificates.release(project, removed.map((d) => d.name));
  if (deps.dnsZone) {
    for (const d of removed.filter((x) => x.manageDns)) {
      const zone = await deps.dnsZone.zoneFor(d.name);
      if (zone) await deps.dnsZone.removeOwned(zone.id, d.name, project.name);
    }
  }
  return { removed: removed.map((d) => d.name), project: project.name };
}

/** The states `--wait` stops at: where nothing more happens without the operator. */
export function isSettled(state: DomainState): boolean {
  return state === 'active' || state === 'failed' || state === 'conflict';
}
