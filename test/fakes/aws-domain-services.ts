import { createHash } from 'node:crypto';
import { ACMClient, DeleteCertificateCommand, DescribeCertificateCommand, RequestCertificateCommand } from '@aws-sdk/client-acm';
import {
  AssociateAliasCommand,
  CloudFrontClient,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  ListConflictingAliasesCommand,
  UpdateDistributionCommand,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { ChangeResourceRecordSetsCommand, ListHostedZonesByNameCommand, ListResourceRecordSetsCommand, Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import type { Project } from '../../src/core/project.js';
import type { SiteProbe } from '../../src/core/ports/index.js';
import type { FakeDnsServer } from './dns-server.js';

export const ACCOUNT = '111122223333';

interface FakeCertificate {
  arn: string;
  names: string[];
  status: 'PENDING_VALIDATION' | 'ISSUED' | 'FAILED';
  tags: Record<string, string>;
  token: string | undefined;
}

interface FakeDistribution {
  id: string;
  domainName: string;
  config: DistributionConfig;
  etag: number;
  status: 'InProgress' | 'Deployed';
  /** GetDistribution calls left before an InProgress change is Deployed. */
  pollsLeft: number;
}

const fail = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
const bare = (name: string) => name.replace(/\.$/, '').toLowerCase();
/** ACM's validation CNAME is the same for a name in one account, whichever certificate asks. */
const validationOf = (name: string) => {
  const hash = createHash('sha256').update(`${ACCOUNT}:${name}`).digest('hex');
  return { name: `_${hash.slice(0, 32)}.${name}`, value: `_${hash.slice(32)}.xlfgrmvvlj.acm-validations.aws` };
};

/**
 * ACM, CloudFront and Route 53 as aws-sdk-client-mock stubs over one model that keeps each
 * service's state and rules, with DNS served by the test's FakeDnsServer:
 * - ACM: a certificate is PENDING_VALIDATION until the validation CNAME of every name is in DNS,
 *   then ISSUED; InUseBy is whatever distribution presents it; a certificate in use cannot be deleted.
 * - CloudFront: UpdateDistribution needs the current ETag (PreconditionFailed otherwise), refuses an
 *   alias held by another distribution (CNAMEAlreadyExists) or not covered by an issued certificate
 *   (InvalidViewerCertificate); a change is InProgress for a few GetDistribution calls, then Deployed.
 *   AssociateAlias moves an alias only when `_<alias>` TXT names the target distribution.
 * - Route 53: records written in a hosted zone are what DNS answers (ALIAS → the target's addresses).
 */
export class FakeDomainServices {
  readonly acm = mockClient(ACMClient);
  readonly cloudfront = mockClient(CloudFrontClient);
  readonly route53 = mockClient(Route53Client);
  readonly calls: string[] = [];
  readonly certificates = new Map<string, FakeCertificate>();
  readonly distributions = new Map<string, FakeDistribution>();
  readonly zones = new Map<string, { name: string; records: ResourceRecordSet[] }>();
  /** Runs once before the next UpdateDistribution is applied (another writer changing the distribution meanwhile). */
  beforeNextUpdate: ((distribution: FakeDistribution) => void) | null = null;
  private seq = 0;

  constructor(private readonly dns: FakeDnsServer) {
    this.installAcm();
    this.installCloudFront();
    this.installRoute53();
  }

  addDistribution(id: string, address: string): FakeDistribution {
    const domainName = `d${id.toLowerCase()}.cloudfront.net`;
    this.dns.set(domainName, 'A', [address]);
    const distribution: FakeDistribution = {
      id,
      domainName,
      etag: 1,
      status: 'Deployed',
      pollsLeft: 0,
      config: { CallerReference: id, Comment: `anchor ${id}`, Enabled: true, Origins: { Quantity: 0, Items: [] }, DefaultCacheBehavior: { TargetOriginId: 'server', ViewerProtocolPolicy: 'redirect-to-https' }, Aliases: { Quantity: 0, Items: [] }, ViewerCertificate: { CloudFrontDefaultCertificate: true } } as DistributionConfig,
    };
    this.distributions.set(id, distribution);
    return distribution;
  }

  addZone(name: string): string {
    const id = `Z${++this.seq}ZONE`;
    this.zones.set(id, { name, records: [] });
    return id;
  }

  aliasesOf(id: string): string[] {
    return this.distributions.get(id)?.config.Aliases?.Items ?? [];
  }

  restore(): void {
    this.acm.restore();
    this.cloudfront.restore();
    this.route53.restore();
  }

  /** What a visitor sees: HTTPS answers for a name when DNS sends it to a deployed distribution that has it as an alias with an issued certificate covering it. */
  readonly probe: SiteProbe = {
    check: async (_project: Project, name: string) => {
      const addresses = this.dns.addresses(name);
      const distribution = [...this.distributions.values()].find((d) => this.dns.get(d.domainName, 'A').some((a) => addresses.includes(a)));
      if (!distribution) return { ok: false, detail: `${name} does not lead to any distribution.` };
      const certificate = this.certificates.get(distribution.config.ViewerCertificate?.ACMCertificateArn ?? '');
      const ok = distribution.status === 'Deployed' && this.aliasesOf(distribution.id).includes(name) && certificate?.status === 'ISSUED' && certificate.names.includes(name);
      return { ok, detail: ok ? `https://${name}/ answers from CloudFront.` : `https://${name}/ does not answer for it yet.` };
    },
  };

  private inUseBy(arn: string): string[] {
    return [...this.distributions.values()].filter((d) => d.config.ViewerCertificate?.ACMCertificateArn === arn).map((d) => `arn:aws:cloudfront::${ACCOUNT}:distribution/${d.id}`);
  }

  private installAcm(): void {
    this.acm.on(RequestCertificateCommand).callsFake(async (input) => {
      this.calls.push('acm:RequestCertificate');
      const existing = [...this.certificates.values()].find((c) => input.IdempotencyToken && c.token === input.IdempotencyToken);
      if (existing) return { CertificateArn: existing.arn };
      const arn = `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/${String(++this.seq).padStart(8, '0')}-0000-4000-8000-000000000000`;
      const names = [...new Set([input.DomainName as string, ...(input.SubjectAlternativeNames ?? [])])];
      this.certificates.set(arn, { arn, names, status: 'PENDING_VALIDATION', tags: Object.fromEntries((input.Tags ?? []).map((t: { Key?: string; Value?: string }) => [t.Key, t.Value])), token: input.IdempotencyToken });
      return { CertificateArn: arn };
    });
    this.acm.on(DescribeCertificateCommand).callsFake(async (input) => {
      this.calls.push('acm:DescribeCertificate');
      const certificate = this.certificates.get(input.CertificateArn as string);
      if (!certificate) throw fail('ResourceNotFoundException', `Could not find certificate ${input.CertificateArn}.`);
      const validated = (name: string) => this.dns.get(validationOf(name).name, 'CNAME').includes(validationOf(name).value);
      if (certificate.status === 'PENDING_VALIDATION' && certificate.names.every(validated)) certificate.status = 'ISSUED';
      return {
        Certificate: {
          CertificateArn: certificate.arn,
          DomainName: certificate.names[0],
          SubjectAlternativeNames: certificate.names,
          Status: certificate.status,
          InUseBy: this.inUseBy(certificate.arn),
          ...(certificate.status === 'ISSUED' ? { IssuedAt: new Date('2026-01-01T00:00:00Z'), NotBefore: new Date('2026-01-01T00:00:00Z'), NotAfter: new Date('2027-02-01T00:00:00Z') } : {}),
          DomainValidationOptions: certificate.names.map((name) => ({ DomainName: name, ValidationMethod: 'DNS', ValidationStatus: validated(name) ? 'SUCCESS' : 'PENDING_VALIDATION', ResourceRecord: { Name: `${validationOf(name).name}.`, Type: 'CNAME', Value: `${validationOf(name).value}.` } })),
        },
      } as never;
    });
    this.acm.on(DeleteCertificateCommand).callsFake(async (input) => {
      this.calls.push('acm:DeleteCertificate');
      const arn = input.CertificateArn as string;
      if (!this.certificates.has(arn)) throw fail('ResourceNotFoundException', `Could not find certificate ${arn}.`);
      if (this.inUseBy(arn).length > 0) throw fail('ResourceInUseException', `Certificate ${arn} is in use.`);
      this.certificates.delete(arn);
      return {};
    });
  }

  private installCloudFront(): void {
    const find = (id: string | undefined) => {
      const distribution = this.distributions.get(id ?? '');
      if (!distribution) throw fail('NoSuchDistribution', `The specified distribution does not exist: ${id}`);
      return distribution;
    };
    const view = (d: FakeDistribution) => ({ Id: d.id, ARN: `arn:aws:cloudfront::${ACCOUNT}:distribution/${d.id}`, DomainName: d.domainName, Status: d.status, DistributionConfig: structuredClone(d.config) });
    const changed = (d: FakeDistribution) => {
      d.etag += 1;
      d.status = 'InProgress';
      d.pollsLeft = 2;
    };
    this.cloudfront.on(GetDistributionCommand).callsFake(async (input) => {
      this.calls.push('cloudfront:GetDistribution');
      const d = find(input.Id);
      if (d.status === 'InProgress' && --d.pollsLeft <= 0) d.status = 'Deployed';
      return { Distribution: view(d), ETag: `E${d.etag}` } as never;
    });
    this.cloudfront.on(GetDistributionConfigCommand).callsFake(async (input) => {
      this.calls.push('cloudfront:GetDistributionConfig');
      const d = find(input.Id);
      return { DistributionConfig: structuredClone(d.config), ETag: `E${d.etag}` };
    });
    this.cloudfront.on(UpdateDistributionCommand).callsFake(async (input) => {
      this.calls.push('cloudfront:UpdateDistribution');
      const d = find(input.Id);
      const meanwhile = this.beforeNextUpdate;
      this.beforeNextUpdate = null;
      meanwhile?.(d);
      if (input.IfMatch !== `E${d.etag}`) throw fail('PreconditionFailed', 'The If-Match version is missing or not valid for the resource.');
      const config = input.DistributionConfig as DistributionConfig;
      const aliases = config.Aliases?.Items ?? [];
      for (const alias of aliases) {
        if ([...this.distributions.values()].some((other) => other.id !== d.id && this.aliasesOf(other.id).includes(alias))) throw fail('CNAMEAlreadyExists', `One or more of the CNAMEs you provided are already associated with a different resource.`);
      }
      const certificate = this.certificates.get(config.ViewerCertificate?.ACMCertificateArn ?? '');
      if (aliases.length > 0 && (!certificate || certificate.status !== 'ISSUED' || aliases.some((a) => !certificate.names.includes(a)))) {
        throw fail('InvalidViewerCertificate', 'To add an alternate domain name (CNAME) to a CloudFront distribution, you must attach a trusted certificate that validates your authorization to use the domain name.');
      }
      d.config = structuredClone(config);
      changed(d);
      return { Distribution: view(d), ETag: `E${d.etag}` } as never;
    });
    this.cloudfront.on(ListConflictingAliasesCommand).callsFake(async (input) => {
      this.calls.push('cloudfront:ListConflictingAliases');
      const others = [...this.distributions.values()].filter((o) => o.id !== input.DistributionId && this.aliasesOf(o.id).includes(input.Alias as string));
      return { ConflictingAliasesList: { Quantity: others.length, Items: others.map((o) => ({ Alias: input.Alias, DistributionId: `${o.id.slice(0, 4)}***`, AccountId: `${ACCOUNT.slice(0, 4)}********` })) } };
    });
    this.cloudfront.on(AssociateAliasCommand).callsFake(async (input) => {
      this.calls.push('cloudfront:AssociateAlias');
      const target = find(input.TargetDistributionId);
      const alias = input.Alias as string;
      if (!this.dns.get(`_${alias}`, 'TXT').includes(target.domainName)) throw fail('IllegalUpdate', `No TXT record _${alias} with the value ${target.domainName}.`);
      const certificate = this.certificates.get(target.config.ViewerCertificate?.ACMCertificateArn ?? '');
      if (!certificate?.names.includes(alias)) throw fail('InvalidArgument', `The target distribution has no certificate covering ${alias}.`);
      for (const other of this.distributions.values()) {
        const items = this.aliasesOf(other.id);
        if (other.id !== target.id && items.includes(alias)) {
          other.config.Aliases = { Quantity: items.length - 1, Items: items.filter((a) => a !== alias) };
          changed(other);
        }
      }
      const items = [...this.aliasesOf(target.id), alias];
      target.config.Aliases = { Quantity: items.length, Items: items };
      changed(target);
      return {};
    });
  }

  private installRoute53(): void {
    this.route53.on(ListHostedZonesByNameCommand).callsFake(async (input) => {
      this.calls.push('route53:ListHostedZonesByName');
      const start = bare(input.DNSName ?? '');
      const zones = [...this.zones.entries()].filter(([, z]) => z.name >= start).sort(([, a], [, b]) => a.name.localeCompare(b.name));
      return { HostedZones: zones.slice(0, input.MaxItems ?? 100).map(([id, z]) => ({ Id: `/hostedzone/${id}`, Name: `${z.name}.`, CallerReference: id, Config: { PrivateZone: false } })) };
    });
    this.route53.on(ListResourceRecordSetsCommand).callsFake(async (input) => {
      this.calls.push('route53:ListResourceRecordSets');
      const zone = this.zones.get(input.HostedZoneId as string);
      if (!zone) throw fail('NoSuchHostedZone', `No hosted zone found with ID: ${input.HostedZoneId}`);
      const start = bare(input.StartRecordName ?? '');
      const sets = zone.records.filter((r) => bare(r.Name ?? '') >= start).sort((a, b) => (a.Name ?? '').localeCompare(b.Name ?? ''));
      return { ResourceRecordSets: structuredClone(sets.slice(0, input.MaxItems ?? 100)), IsTruncated: false, MaxItems: input.MaxItems ?? 100 };
    });
    this.route53.on(ChangeResourceRecordSetsCommand).callsFake(async (input) => {
      this.calls.push('route53:ChangeResourceRecordSets');
      const zone = this.zones.get(input.HostedZoneId as string);
      if (!zone) throw fail('NoSuchHostedZone', `No hosted zone found with ID: ${input.HostedZoneId}`);
      for (const change of input.ChangeBatch?.Changes ?? []) {
        const set = change.ResourceRecordSet as ResourceRecordSet;
        const name = bare(set.Name ?? '');
        if (!name.endsWith(zone.name)) throw fail('InvalidChangeBatch', `${name} is not in zone ${zone.name}`);
        const same = (r: ResourceRecordSet) => bare(r.Name ?? '') === name && r.Type === set.Type;
        if (change.Action === 'DELETE' && !zone.records.some(same)) throw fail('InvalidChangeBatch', `Tried to delete ${name} ${set.Type}, but it was not found`);
        zone.records = zone.records.filter((r) => !same(r));
        if (change.Action !== 'DELETE') zone.records.push(structuredClone(set));
        this.publish(name, set, change.Action === 'DELETE');
      }
      return { ChangeInfo: { Id: `/change/C${++this.seq}`, Status: 'PENDING', SubmittedAt: new Date() } };
    });
  }

  /** Route 53 answers what its zones hold: the change is what public DNS now says. */
  private publish(name: string, set: ResourceRecordSet, deleted: boolean): void {
    if (set.Type === 'AAAA') return;
    const type = set.Type === 'A' ? 'A' : set.Type === 'CNAME' ? 'CNAME' : set.Type === 'TXT' ? 'TXT' : null;
    if (!type) return;
    if (deleted) return this.dns.set(name, type, []);
    if (set.AliasTarget) return this.dns.set(name, 'A', this.dns.get(bare(set.AliasTarget.DNSName ?? ''), 'A'));
    this.dns.set(name, type, (set.ResourceRecords ?? []).map((r) => (type === 'TXT' ? JSON.parse(r.Value ?? '""') as string : bare(r.Value ?? ''))));
  }
}
