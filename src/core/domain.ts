/**
 * A custom domain of a project and the state it is in. The state is always the outcome of a
 * measurement (DNS answers, the certificate's status, the routing, an HTTPS probe), written by
 * `checkProjectDomains`; nothing sets it because a step was merely started.
 *
 *   pending_dns ──▶ pending_certificate ──▶ provisioning ──▶ active
 *                                                              │
 *   side states: conflict (the name is served elsewhere),      ▼
 *                failed (the CA refused, with why),       misconfigured (was active, now failing)
 */
export type DomainState = 'pending_dns' | 'pending_certificate' | 'provisioning' | 'active' | 'misconfigured' | 'conflict' | 'failed';

export const DOMAIN_STATES: readonly DomainState[] = ['pending_dns', 'pending_certificate', 'provisioning', 'active', 'misconfigured', 'conflict', 'failed'];

export interface DnsRecord {
  /** Fully qualified, no trailing dot. */
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'ALIAS' | 'TXT';
  value: string;
  /** routing: sends visitors to the site; validation: proves the name to the CA; ownership: moves it from another distribution. */
  purpose: 'routing' | 'validation' | 'ownership';
}

export interface CertificateInfo {
  issuedAt: string;
  expiresAt: string;
  /** When renewal starts (two thirds of the lifetime), or null where the CA renews by itself (ACM). */
  renewAt: string | null;
  /** Set while a renewal keeps failing: since when, the last error, the next try. */
  renewalFailure: { since: string; error: string; nextTryAt: string } | null;
}

export interface Domain {
  name: string;
  projectId: string;
  /** Set for a `--redirect-www` companion: requests are answered 308 to https://<redirectTo>. */
  redirectTo: string | null;
  /** False with `--no-dns`: anchor never writes this name's records in a hosted zone. */
  manageDns: boolean;
  state: DomainState;
  /** What the last check found, in words (why it is not further along). */
  reason: string | null;
  /** The records the operator must have in DNS, as of the last check. */
  records: DnsRecord[];
  certificate: CertificateInfo | null;
  checkedAt: string | null;
  /** Set the first time the domain was measured active: a later failure is `misconfigured`, not pending. */
  activeSince: string | null;
  createdAt: string;
}

/** What one check measured about one name. Each field is an observation, not an intent. */
export interface DomainObservation {
  dns: { ok: boolean; detail: string };
  certificate: { state: 'none' | 'pending' | 'issued' | 'failed'; detail: string };
  routing: { state: 'not_serving' | 'updating' | 'serving' | 'conflict'; detail: string };
  https: { ok: boolean; detail: string } | null;
}

/** The one rule from observations to a state, for both backends. */
export function decideState(previous: Pick<Domain, 'activeSince'>, seen: DomainObservation): { state: DomainState; reason: string | null } {
  if (seen.routing.state === 'conflict') return { state: 'conflict', reason: seen.routing.detail };
  if (seen.certificate.state === 'failed') return { state: 'failed', reason: seen.certificate.detail };
  const wasActive = previous.activeSince !== null;
  if (!seen.dns.ok) return { state: wasActive ? 'misconfigured' : 'pending_dns', reason: seen.dns.detail };
  if (seen.certificate.state !== 'issued') return { state: wasActive ? 'misconfigured' : 'pending_certificate', reason: seen.certificate.detail };
  if (seen.routing.state !== 'serving') return { state: wasActive && seen.routing.state === 'not_serving' ? 'misconfigured' : 'provisioning', reason: seen.routing.detail };
  if (!seen.https?.ok) return { state: wasActive ? 'misconfigured' : 'provisioning', reason: seen.https?.detail ?? 'The HTTPS probe has not run yet.' };
  return { state: 'active', reason: null };
}

/** The next thing to do about a domain, in words, for `domains ls` and `verify`. */
export function nextAction(domain: Pick<Domain, 'name' | 'state' | 'records' | 'certificate'>): string {
  const routing = domain.records.filter((r) => r.purpose === 'routing' && r.name === domain.name);
  const validation = domain.records.filter((r) => r.purpose === 'validation');
  const show = (records: DnsRecord[]) => records.map((r) => `${r.type} ${r.name} → ${r.value}`).join(', ');
  switch (domain.state) {
    case 'pending_dns':
      return routing.length > 0 ? `Create ${show(routing)} at your DNS provider.` : 'Point the name at this platform (see the records of "anchor domains verify").';
    case 'pending_certificate':
      return validation.length > 0 ? `Keep ${show(validation)} in DNS until the certificate is issued.` : 'Nothing: the certificate is being obtained.';
    case 'provisioning':
      return 'Nothing: the certificate is issued and the site is being switched to it.';
    case 'active':
      if (domain.certificate?.renewalFailure) return `Renewal is failing (${domain.certificate.renewalFailure.error}); fix it before ${domain.certificate.expiresAt.slice(0, 10)}.`;
      return 'Nothing: served over HTTPS.';
    case 'misconfigured':
      return `It was live and now fails: check ${routing.length > 0 ? show(routing) : 'its DNS records'}, then "anchor domains verify ${domain.name}".`;
    case 'conflict':
      return `Prove you own it: create ${show(domain.records.filter((r) => r.purpose === 'ownership')) || 'the ownership TXT record'}; anchor then moves it here.`;
    case 'failed':
      return `Fix the cause shown, then remove and add the domain again (anchor domains rm ${domain.name} && anchor domains add ${domain.name} …).`;
  }
}
