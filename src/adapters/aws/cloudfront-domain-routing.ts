import {
  AssociateAliasCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  ListConflictingAliasesCommand,
  UpdateDistributionCommand,
  type CloudFrontClient,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import type { DnsRecord, DomainObservation } from '../../core/domain.js';
import type { DnsLookup, DomainRouting, RoutingTarget } from '../../core/ports/index.js';
import type { Project } from '../../core/project.js';
import { awsErrorNamed } from './aws-errors.js';

type Routing = DomainObservation['routing'];

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((n, i) => n === [...b].sort()[i]);

/** The viewer certificate CloudFront presents: the project's ACM certificate over SNI, or its own for *.cloudfront.net. */
export function viewerCertificate(arn: string | null): DistributionConfig['ViewerCertificate'] {
  return arn ? { ACMCertificateArn: arn, SSLSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021' } : { CloudFrontDefaultCertificate: true, MinimumProtocolVersion: 'TLSv1' };
}

/** The aliases and certificate a distribution has now (for a stack update to keep them). */
export async function currentDistributionDomains(cloudfront: CloudFrontClient, id: string): Promise<{ aliases: string[]; certificateArn: string | null }> {
  const { DistributionConfig: config } = await cloudfront.send(new GetDistributionConfigCommand({ Id: id }));
  return { aliases: config?.Aliases?.Items ?? [], certificateArn: config?.ViewerCertificate?.ACMCertificateArn ?? null };
}

/**
 * A project's names on its CloudFront distribution. `apply` sets the aliases and the certificate
 * together in one UpdateDistribution (If-Match with the ETag it just read; a change made
 * meanwhile makes it read and try again), and a name CloudFront says is on another distribution
 * (CNAMEAlreadyExists) is left out and reported as a conflict, to be moved with a TXT record and
 * AssociateAlias. A name is served once it is an alias and the distribution is Deployed.
 */
export class CloudFrontDomainRouting implements DomainRouting {
  /** Names found on another distribution, with where, kept while this process lives (checks are frequent). */
  private readonly conflicts = new Map<string, string>();

  constructor(private readonly options: { cloudfront: CloudFrontClient; distributionOf: (project: Project) => Promise<string>; dns: DnsLookup }) {}

  async target(project: Project): Promise<RoutingTarget> {
    const { Distribution } = await this.options.cloudfront.send(new GetDistributionCommand({ Id: await this.options.distributionOf(project) }));
    const host = Distribution?.DomainName ?? null;
    const addresses = host ? (await this.options.dns.resolve(host)).addresses : [];
    return { host, addresses, apex: 'alias', unknown: host ? null : 'The project has no CloudFront distribution yet: run "anchor projects add" again.' };
  }

  async status(project: Project, names: readonly string[]): Promise<Map<string, Routing>> {
    const { Distribution } = await this.options.cloudfront.send(new GetDistributionCommand({ Id: await this.options.distributionOf(project) }));
    const aliases = Distribution?.DistributionConfig?.Aliases?.Items ?? [];
    return this.view(names, aliases, Distribution?.Status ?? 'InProgress');
  }

  async apply(project: Project, input: { names: readonly string[]; certificate: string | null }): Promise<Map<string, Routing>> {
    const id = await this.options.distributionOf(project);
    // Measured again on every call: a name another distribution let go of is taken as soon as it is free.
    const refused = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const { DistributionConfig: config, ETag } = await this.options.cloudfront.send(new GetDistributionConfigCommand({ Id: id }));
      if (!config || !ETag) throw new Error(`CloudFront returned no configuration for distribution ${id}`);
      const current = config.Aliases?.Items ?? [];
      const wanted = input.names.filter((n) => !refused.has(n) || current.includes(n));
      for (const name of wanted) this.conflicts.delete(name);
      const certificate = wanted.length > 0 ? input.certificate : null;
      if (sameSet(current, wanted) && (config.ViewerCertificate?.ACMCertificateArn ?? null) === certificate) return this.status(project, input.names);
      try {
        const { Distribution } = await this.options.cloudfront.send(
          new UpdateDistributionCommand({ Id: id, IfMatch: ETag, DistributionConfig: { ...config, Aliases: { Quantity: wanted.length, Items: wanted }, ViewerCertificate: viewerCertificate(certificate) } }),
        );
        return this.view(input.names, Distribution?.DistributionConfig?.Aliases?.Items ?? wanted, Distribution?.Status ?? 'InProgress');
      } catch (error) {
        if (attempt >= 5) throw error;
        if (awsErrorNamed(error, 'PreconditionFailed')) continue; // changed since it was read: read again
        if (!awsErrorNamed(error, 'CNAMEAlreadyExists')) throw error;
        for (const name of await this.findConflicts(id, wanted.filter((n) => !current.includes(n)), input.certificate)) {
          if (!(await this.moveIfProven(id, project, name))) refused.add(name);
        }
      }
    }
  }

  async ownershipRecords(project: Project, name: string): Promise<DnsRecord[]> {
    const target = await this.target(project);
    return target.host ? [{ name: `_${name}`, type: 'TXT', value: target.host, purpose: 'ownership' }] : [];
  }

  /** Which of the new names CloudFront refuses: each is tried alone (a refused update changes nothing). */
  private async findConflicts(id: string, added: readonly string[], certificate: string | null): Promise<string[]> {
    const found: string[] = [];
    for (const name of added) {
      const { DistributionConfig: config, ETag } = await this.options.cloudfront.send(new GetDistributionConfigCommand({ Id: id }));
      const aliases = [...(config?.Aliases?.Items ?? []), name];
      try {
        await this.options.cloudfront.send(new UpdateDistributionCommand({ Id: id, IfMatch: ETag, DistributionConfig: { ...config, Aliases: { Quantity: aliases.length, Items: aliases }, ViewerCertificate: viewerCertificate(certificate) } as DistributionConfig }));
      } catch (error) {
        if (!awsErrorNamed(error, 'CNAMEAlreadyExists')) continue;
        found.push(name);
        this.conflicts.set(name, await this.whereIs(id, name));
      }
    }
    return found;
  }

  private async whereIs(id: string, name: string): Promise<string> {
    try {
      const { ConflictingAliasesList } = await this.options.cloudfront.send(new ListConflictingAliasesCommand({ DistributionId: id, Alias: name }));
      const other = ConflictingAliasesList?.Items?.find((i) => i.Alias === name);
      if (other) return `${name} is an alias of CloudFront distribution ${other.DistributionId} (account ${other.AccountId}).`;
    } catch {
      // ListConflictingAliases needs a certificate covering the name on this distribution; the generic words do.
    }
    return `${name} is an alias of another CloudFront distribution.`;
  }

  /** A name on another distribution whose `_<name>` TXT record names this one is moved here with AssociateAlias. */
  private async moveIfProven(id: string, project: Project, name: string): Promise<boolean> {
    const target = await this.target(project);
    if (!target.host || !(await this.options.dns.txt(`_${name}`)).includes(target.host)) return false;
    try {
      await this.options.cloudfront.send(new AssociateAliasCommand({ TargetDistributionId: id, Alias: name }));
      this.conflicts.delete(name);
      return true;
    } catch (error) {
      this.conflicts.set(name, `${this.conflicts.get(name) ?? ''} AssociateAlias failed: ${(error as Error).message}`.trim());
      return false;
    }
  }

  private view(names: readonly string[], aliases: readonly string[], status: string): Map<string, Routing> {
    return new Map(
      names.map((name): [string, Routing] => {
        if (aliases.includes(name)) return [name, status === 'Deployed' ? { state: 'serving', detail: 'An alias of the distribution, deployed.' } : { state: 'updating', detail: 'CloudFront is deploying the change (a few minutes).' }];
        const conflict = this.conflicts.get(name);
        if (conflict) return [name, { state: 'conflict', detail: conflict }];
        return [name, { state: 'not_serving', detail: 'Not an alias of the distribution yet (it is added once the certificate is issued).' }];
      }),
    );
  }
}
