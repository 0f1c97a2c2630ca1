import { ACMClient } from '@aws-sdk/client-acm';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Route53Client } from '@aws-sdk/client-route-53';
import { AnchorError } from '../../core/errors.js';
import type { DnsLookup, DomainPorts, SiteProbe } from '../../core/ports/index.js';
import type { Project } from '../../core/project.js';
import { NodeDnsLookup } from '../system/node-dns-lookup.js';
import { AcmCertificates } from './acm-certificates.js';
import { projectOutput } from './create-aws-ports.js';
import { CloudFrontDomainRouting } from './cloudfront-domain-routing.js';
import { CloudFrontSiteProbe } from './cloudfront-site-probe.js';
import { documentClient } from './dynamo-document.js';
import { DynamoDomains } from './dynamo-domains.js';
import { givenOrMade } from './given-clients.js';
import { projectStackName } from './resource-names.js';
import { Route53DnsZone } from './route53-dns-zone.js';

/** ACM certificates for CloudFront live in us-east-1; CloudFront and Route 53 are global (signed for us-east-1). */
export const CLOUDFRONT_REGION = 'us-east-1';

export interface AwsDomainClients {
  dynamodb: DynamoDBClient;
  acm: ACMClient;
  cloudfront: CloudFrontClient;
  route53: Route53Client;
  cloudformation: CloudFormationClient;
}

export interface AwsDomainOptions {
  region: string;
  stage: string;
  outputs: Record<string, string>;
  /** Project stack outputs the CLI saved (DistributionId by project); a handler reads the stacks instead. */
  projectOutputs?: Record<string, Record<string, string>>;
  dnsServers?: string[] | undefined;
  clients?: Partial<AwsDomainClients>;
  /** Tests: DNS and the HTTPS probe (no network here); production uses public DNS and a real request. */
  dns?: DnsLookup;
  probe?: SiteProbe;
  /** "Domain names per ACM certificate" when the account's quota was raised. */
  maxNamesPerCertificate?: number;
}

/**
 * Custom domains on the aws backend: the domains table, ACM (us-east-1), CloudFront, Route 53,
 * public DNS and an HTTPS probe. Clients are made here unless given, like createAwsPorts.
 */
export function createAwsDomainPorts(options: AwsDomainOptions): { ports: DomainPorts; close(): void } {
  const table = options.outputs['DomainsTableName'];
  if (!table) {
    throw new AnchorError({ code: 'PLATFORM_OUTPUTS_MISSING', kind: 'usage', message: 'This aws platform was set up before custom domains existed (its stack has no domains table).', hint: 'Run "anchor init --aws" again to update the platform stack, then add the domain.' });
  }
  const { client, own } = givenOrMade<AwsDomainClients>(options.clients);
  const c = {
    dynamodb: client('dynamodb', () => new DynamoDBClient({ region: options.region })),
    acm: client('acm', () => new ACMClient({ region: CLOUDFRONT_REGION })),
    cloudfront: client('cloudfront', () => new CloudFrontClient({ region: CLOUDFRONT_REGION })),
    route53: client('route53', () => new Route53Client({ region: CLOUDFRONT_REGION })),
    cloudformation: client('cloudformation', () => new CloudFormationClient({ region: options.region })),
  };
  const distributions = new Map<string, Promise<string>>();
  const distributionOf = (project: Project): Promise<string> => {
    const saved = options.projectOutputs?.[project.name]?.['DistributionId'];
    if (saved) return Promise.resolve(saved);
    let id = distributions.get(project.name);
    if (!id) {
      id = projectOutput(c.cloudformation, projectStackName(options.stage, project.name), 'DistributionId');
      id.catch(() => distributions.delete(project.name));
      distributions.set(project.name, id);
    }
    return id;
  };
  const domains = new DynamoDomains({ doc: documentClient(c.dynamodb), table });
  const dns = options.dns ?? new NodeDnsLookup({ servers: options.dnsServers });
  return {
    ports: {
      domains,
      certificates: new AcmCertificates({ acm: c.acm, ledgers: domains, stage: options.stage, maxNames: options.maxNamesPerCertificate }),
      routing: new CloudFrontDomainRouting({ cloudfront: c.cloudfront, distributionOf, dns }),
      dns,
      dnsZone: new Route53DnsZone({ route53: c.route53, stage: options.stage }),
      probe: options.probe ?? new CloudFrontSiteProbe({ dns }),
    },
    close: () => {
      for (const made of own) made.destroy();
    },
  };
}
