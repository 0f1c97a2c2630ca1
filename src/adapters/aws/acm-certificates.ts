import { createHash } from 'node:crypto';
import { DeleteCertificateCommand, DescribeCertificateCommand, RequestCertificateCommand, type ACMClient, type CertificateDetail } from '@aws-sdk/client-acm';
import type { CertificateInfo, DnsRecord } from '../../core/domain.js';
import type { CertificateSet, Certificates, NameCertificate } from '../../core/ports/index.js';
import type { Project } from '../../core/project.js';
import type { CertificateLedger } from './dynamo-domains.js';
import { awsErrorNamed } from './aws-errors.js';

/** ACM's default "Domain names per ACM certificate" quota (adjustable through Service Quotas). */
export const ACM_NAMES_PER_CERTIFICATE = 10;

interface Ledgers {
  ledger(projectId: string): Promise<CertificateLedger>;
  saveLedger(projectId: string, ledger: CertificateLedger): Promise<void>;
}

const FAILED = new Set(['FAILED', 'VALIDATION_TIMED_OUT', 'REVOKED', 'EXPIRED', 'INACTIVE']);
const bare = (name: string) => name.replace(/\.$/, '').toLowerCase();
const namesOf = (c: CertificateDetail) => [...new Set([c.DomainName, ...(c.SubjectAlternativeNames ?? [])].filter((n): n is string => Boolean(n)))].sort();
const sameNames = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((n, i) => n === b[i]);

/**
 * One ACM certificate per project in us-east-1 (CloudFront's region), DNS-validated, holding
 * exactly the project's names. When the names change a new certificate is requested beside the
 * one served (the site keeps the old one until the new one is issued and routing switches); a
 * certificate the project no longer serves is deleted once ACM says nothing uses it.
 */
export class AcmCertificates implements Certificates {
  readonly maxNamesPerProject: number;

  constructor(private readonly options: { acm: ACMClient; ledgers: Ledgers; stage: string; maxNames?: number }) {
    this.maxNamesPerProject = options.maxNames ?? ACM_NAMES_PER_CERTIFICATE;
  }

  async status(project: Project, names: readonly string[]): Promise<CertificateSet> {
    const ledger = await this.options.ledgers.ledger(project.id);
    const [current, pending] = await Promise.all([this.describe(ledger.current), this.describe(ledger.pending)]);
    return this.view(names, current, pending);
  }

  async ensure(project: Project, wanted: ReadonlyArray<{ name: string; dnsReady: boolean }>): Promise<CertificateSet> {
    const names = [...new Set(wanted.map((w) => w.name))].sort();
    const ledger = await this.options.ledgers.ledger(project.id);
    let [current, pending] = await Promise.all([this.describe(ledger.current), this.describe(ledger.pending)]);
    const next: CertificateLedger = { current: current?.CertificateArn ?? null, pending: pending?.CertificateArn ?? null, retired: [...ledger.retired] };
    // Routing switched to the pending certificate (ACM sees CloudFront use it): it is the current one now.
    if (pending && pending.Status === 'ISSUED' && (pending.InUseBy ?? []).length > 0) {
      if (current) next.retired.push(current.CertificateArn as string);
      [current, pending] = [pending, null];
      next.current = current.CertificateArn ?? null;
      next.pending = null;
    }
    const fits = (c: CertificateDetail | null) => c !== null && !FAILED.has(c.Status ?? '') && sameNames(namesOf(c), names);
    if (names.length === 0) {
      // No names left: routing goes back to CloudFront's own certificate, and these go once it has.
      for (const c of [current, pending]) if (c) next.retired.push(c.CertificateArn as string);
      [current, pending] = [null, null];
      next.current = null;
      next.pending = null;
    } else if (!fits(current) && !fits(pending)) {
      if (pending) next.retired.push(pending.CertificateArn as string);
      pending = await this.request(project, names);
      next.pending = pending?.CertificateArn ?? null;
    }
    next.retired = await this.deleteUnused([...new Set(next.retired)].filter((arn) => arn !== next.current && arn !== next.pending));
    if (JSON.stringify(next) !== JSON.stringify(ledger)) await this.options.ledgers.saveLedger(project.id, next);
    return this.view(names, current, pending);
  }

  /** The project has no domains left: its certificates go once CloudFront no longer uses them. */
  async release(project: Project, _names: readonly string[]): Promise<void> {
    const ledger = await this.options.ledgers.ledger(project.id);
    const left = await this.deleteUnused(ledger.retired);
    if (left.length !== ledger.retired.length) await this.options.ledgers.saveLedger(project.id, { ...ledger, retired: left });
  }

  private async request(project: Project, names: string[]): Promise<CertificateDetail | null> {
    const [first, ...rest] = names as [string, ...string[]];
    // The same project and names within an hour give back the same certificate, not a second one.
    const token = createHash('sha256').update(`${project.id}:${names.join(',')}`).digest('hex').slice(0, 32);
    const { CertificateArn } = await this.options.acm.send(
      new RequestCertificateCommand({
        DomainName: first,
        ...(rest.length > 0 ? { SubjectAlternativeNames: names } : {}),
        ValidationMethod: 'DNS',
        IdempotencyToken: token,
        KeyAlgorithm: 'EC_prime256v1',
        Tags: [
          { Key: 'anchor:stage', Value: this.options.stage },
          { Key: 'anchor:project', Value: project.name },
        ],
      }),
    );
    return this.describe(CertificateArn ?? null);
  }

  private async describe(arn: string | null): Promise<CertificateDetail | null> {
    if (!arn) return null;
    try {
      return (await this.options.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate ?? null;
    } catch (error) {
      if (awsErrorNamed(error, 'ResourceNotFoundException')) return null;
      throw error;
    }
  }

  /** Deletes the certificates nothing uses; returns the ones still in use (tried again next time). */
  private async deleteUnused(arns: readonly string[]): Promise<string[]> {
    const left: string[] = [];
    for (const arn of arns) {
      const detail = await this.describe(arn);
      if (!detail) continue;
      if ((detail.InUseBy ?? []).length > 0) {
        left.push(arn);
        continue;
      }
      try {
        await this.options.acm.send(new DeleteCertificateCommand({ CertificateArn: arn }));
      } catch (error) {
        if (!awsErrorNamed(error, 'ResourceInUseException')) throw error;
        left.push(arn);
      }
    }
    return left;
  }

  private view(names: readonly string[], current: CertificateDetail | null, pending: CertificateDetail | null): CertificateSet {
    const issued = (c: CertificateDetail | null) => c?.Status === 'ISSUED';
    const reference = issued(pending) ? (pending?.CertificateArn ?? null) : issued(current) ? (current?.CertificateArn ?? null) : null;
    const served = reference === pending?.CertificateArn ? pending : current;
    return { byName: new Map(names.map((name) => [name, nameView(name, served, pending)])), reference };
  }
}

function nameView(name: string, served: CertificateDetail | null, pending: CertificateDetail | null): NameCertificate {
  const validation = validationRecords(pending ?? served, name);
  if (served?.Status === 'ISSUED' && namesOf(served).includes(name)) {
    const info: CertificateInfo = { issuedAt: (served.IssuedAt ?? served.NotBefore ?? new Date()).toISOString(), expiresAt: (served.NotAfter ?? new Date()).toISOString(), renewAt: null, renewalFailure: renewalFailure(served) };
    return { state: 'issued', detail: `ACM certificate ${served.CertificateArn}, valid until ${info.expiresAt}.`, info, validation };
  }
  const candidate = pending ?? served;
  if (!candidate) return { state: 'none', detail: 'No certificate requested yet.', info: null, validation };
  if (FAILED.has(candidate.Status ?? '')) return { state: 'failed', detail: `ACM certificate ${candidate.Status}${candidate.FailureReason ? `: ${candidate.FailureReason}` : ''}.`, info: null, validation };
  const option = candidate.DomainValidationOptions?.find((o) => bare(o.DomainName ?? '') === name);
  if (option?.ValidationStatus === 'SUCCESS') return { state: 'pending', detail: 'Validated; ACM issues the certificate once every name of the project is.', info: null, validation };
  return { state: 'pending', detail: validation.length > 0 ? 'ACM is waiting to see the validation CNAME in DNS.' : 'ACM is preparing the validation record (seconds).', info: null, validation };
}

function validationRecords(certificate: CertificateDetail | null, name: string): DnsRecord[] {
  const record = certificate?.DomainValidationOptions?.find((o) => bare(o.DomainName ?? '') === name)?.ResourceRecord;
  if (!record?.Name || !record.Value) return [];
  return [{ name: bare(record.Name), type: 'CNAME', value: bare(record.Value), purpose: 'validation' }];
}

/** ACM renews DNS-validated certificates by itself while their CNAMEs stay; a failing renewal shows here. */
function renewalFailure(certificate: CertificateDetail): CertificateInfo['renewalFailure'] {
  const renewal = certificate.RenewalSummary;
  if (!renewal || (renewal.RenewalStatus !== 'FAILED' && renewal.RenewalStatus !== 'PENDING_VALIDATION')) return null;
  return { since: (renewal.UpdatedAt ?? new Date()).toISOString(), error: renewal.RenewalStatusReason ?? `renewal ${renewal.RenewalStatus}`, nextTryAt: '' };
}
