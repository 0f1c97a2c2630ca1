import { CreateTableCommand, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsDomainPorts } from '../../src/adapters/aws/create-aws-domain-ports.js';
import { documentClient } from '../../src/adapters/aws/dynamo-document.js';
import { DynamoEnvVars } from '../../src/adapters/aws/dynamo-env-vars.js';
import { DynamoProjects } from '../../src/adapters/aws/dynamo-projects.js';
import { StreamLogger } from '../../src/adapters/system/stream-logger.js';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import type { DomainState } from '../../src/core/domain.js';
import type { Project } from '../../src/core/project.js';
import { addDomain, removeDomain, type DomainDeps } from '../../src/core/use-cases/domains.js';
import { makeDomainsHandler } from '../../infra/handlers/domains.js';
import { domainResources } from '../../infra/stack/platform-domains.js';
import { FakeDomainServices } from '../fakes/aws-domain-services.js';
import { FakeDnsServer } from '../fakes/dns-server.js';
import { createPlatformTables, dynamoClient, startDynamoDbLocal, TEST_CREDENTIALS, uniqueName, type Emulator } from './emulators.js';

let dynamo: Emulator;
let client: DynamoDBClient;
let dns: FakeDnsServer;
let aws: FakeDomainServices;
let deps: DomainDeps;
let zone: string;
const logs: string[] = [];

async function domainsTable(db: DynamoDBClient): Promise<string> {
  const props = domainResources({ stage: 'dev', handlerBucket: 'b', handlerKeys: { webhook: 'w', orchestrator: 'o', deploy: 'd', domains: 'm', api: 'a' }, logRetentionDays: 30, handlerArchitecture: 'arm64', buildImage: 'i', buildComputeType: 'c', nodeVersion: 22 }).DomainsTable?.Properties as Record<string, unknown>;
  const name = uniqueName('domains');
  await db.send(new CreateTableCommand({ TableName: name, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: props['AttributeDefinitions'], KeySchema: props['KeySchema'] } as CreateTableCommandInput));
  return name;
}

function portsFor(projects: DynamoProjects, table: string, options: { maxNames?: number } = {}): DomainDeps {
  const domainPorts = createAwsDomainPorts({
    region: 'ap-southeast-1',
    stage: 'dev',
    outputs: { DomainsTableName: table },
    projectOutputs: { shop: { DistributionId: 'E1SHOP' }, docs: { DistributionId: 'E3DOCS' } },
    dnsServers: [dns.address],
    probe: aws.probe,
    clients: { dynamodb: client },
    ...(options.maxNames ? { maxNamesPerCertificate: options.maxNames } : {}),
  });
  return { projects, clock: new SystemClock(), logger: new StreamLogger({ write: (l: string) => logs.push(l) }), ...domainPorts.ports };
}

/** The platform's schedule, run until the domain settles (as `domains add --wait` would). */
async function runSchedule(name: string, until: DomainState, times = 10): Promise<DomainState[]> {
  const handler = makeDomainsHandler(deps);
  const seen: DomainState[] = [];
  for (let i = 0; i < times; i++) {
    await handler({ 'detail-type': 'Scheduled Event' });
    const state = (await deps.domains.get(name))?.state;
    if (state && seen[seen.length - 1] !== state) seen.push(state);
    if (state === until) break;
  }
  return seen;
}

const project = (name: string, id: string): Project => ({ name, id, repo: { kind: 'github', owner: 'acme', name, url: `https://github.com/acme/${name}.git` }, branch: 'main', root: '', webhookSecret: 's', previousWebhookSecret: null, githubHookId: null, createdAt: '2026-01-01T00:00:00.000Z' });

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= TEST_CREDENTIALS.secretAccessKey;
  dynamo = await startDynamoDbLocal();
  client = dynamoClient(dynamo.endpoint);
  dns = await new FakeDnsServer().start();
  aws = new FakeDomainServices(dns);
  aws.addDistribution('E1SHOP', '192.0.2.10');
  zone = aws.addZone('example.com');
  const tables = await createPlatformTables(client);
  const doc = documentClient(client);
  const projects = new DynamoProjects({ doc, table: tables.projects, envVars: new DynamoEnvVars({ doc, table: tables.envVars }) });
  await projects.create(project('shop', 'p_shop'));
  await projects.create(project('docs', 'p_docs'));
  deps = portsFor(projects, await domainsTable(client));
}, 120_000);

afterAll(async () => {
  aws?.restore();
  client?.destroy();
  await dns?.close();
  await dynamo?.stop();
});

describe('custom domains on aws (ACM, CloudFront, Route 53 as fakes that keep state)', () => {
  it('with a Route 53 zone, anchor writes the records itself; the certificate is issued once its CNAME is in the zone; one update sets aliases and certificate; active once Deployed', async () => {
    const added = await addDomain(deps, { project: 'shop', domain: 'shop.example.com', www: 'none', manageDns: true });
    const [domain] = added.domains;
    expect(domain?.records).toEqual(
      expect.arrayContaining([
        { name: 'shop.example.com', type: 'CNAME', value: 'de1shop.cloudfront.net', purpose: 'routing' },
        expect.objectContaining({ type: 'CNAME', purpose: 'validation', value: expect.stringMatching(/acm-validations\.aws$/) }),
      ]),
    );
    // Written in the account's zone, marked as anchor's (Route 53 records cannot be tagged).
    const written = aws.zones.get(zone)?.records ?? [];
    expect(written.find((r) => r.Name === '_anchor.shop.example.com.')?.ResourceRecords).toEqual([{ Value: '"anchor dev/shop"' }]);
    expect(written.filter((r) => r.Name === 'shop.example.com.').map((r) => [r.Type, r.AliasTarget?.DNSName])).toEqual([
      ['A', 'de1shop.cloudfront.net.'],
      ['AAAA', 'de1shop.cloudfront.net.'],
    ]);
    const [arn] = [...aws.certificates.keys()];
    expect(aws.certificates.get(arn ?? '')).toMatchObject({ names: ['shop.example.com'], tags: { 'anchor:stage': 'dev', 'anchor:project': 'shop' } });

    const states = await runSchedule('shop.example.com', 'active');
    expect(states).toContain('provisioning');
    expect(states[states.length - 1]).toBe('active');
    expect(aws.aliasesOf('E1SHOP')).toEqual(['shop.example.com']);
    expect(aws.distributions.get('E1SHOP')?.config.ViewerCertificate).toEqual({ ACMCertificateArn: arn, SSLSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021' });
    expect(aws.calls.filter((c) => c === 'cloudfront:UpdateDistribution')).toHaveLength(1);
    expect(aws.calls.filter((c) => c === 'acm:RequestCertificate')).toHaveLength(1);
  }, 60_000);

  it('without a zone it prints the records and waits for them; the certificate is replaced by one for both names, the old one deleted once unused', async () => {
    const before = [...aws.certificates.keys()];
    const added = await addDomain(deps, { project: 'shop', domain: 'shop.other.net', www: 'none', manageDns: true });
    const records = added.domains[0]?.records ?? [];
    expect(added.domains[0]?.state).toBe('pending_dns');
    expect(await runSchedule('shop.other.net', 'active', 3)).not.toContain('active');
    // The operator creates what was printed, at their DNS provider.
    for (const r of records) dns.set(r.name, 'CNAME', [r.value]);
    expect((await runSchedule('shop.other.net', 'active')).pop()).toBe('active');
    expect(aws.aliasesOf('E1SHOP').sort()).toEqual(['shop.example.com', 'shop.other.net']);
    const serving = aws.distributions.get('E1SHOP')?.config.ViewerCertificate?.ACMCertificateArn ?? '';
    expect(aws.certificates.get(serving)?.names.sort()).toEqual(['shop.example.com', 'shop.other.net']);
    await runSchedule('shop.other.net', 'active', 2);
    expect(before.filter((arn) => aws.certificates.has(arn))).toEqual([]);
    expect((await deps.domains.get('shop.example.com'))?.state).toBe('active');
  }, 60_000);

  it('an update with a stale ETag is read again, not written over the other change', async () => {
    aws.beforeNextUpdate = (distribution) => {
      distribution.config.Comment = 'changed by someone else';
      distribution.etag += 1;
    };
    await removeDomain(deps, { domain: 'shop.other.net' });
    const distribution = aws.distributions.get('E1SHOP');
    expect(distribution?.config.Comment).toBe('changed by someone else');
    expect(aws.aliasesOf('E1SHOP')).toEqual(['shop.example.com']);
    expect(await deps.domains.get('shop.other.net')).toBeNull();
  }, 60_000);

  it('a name on another distribution is a conflict, with the TXT record that proves ownership; then AssociateAlias moves it here', async () => {
    const other = aws.addDistribution('E2OLD', '192.0.2.20');
    other.config.Aliases = { Quantity: 1, Items: ['blog.example.com'] };
    await addDomain(deps, { project: 'shop', domain: 'blog.example.com', www: 'none', manageDns: true });
    expect((await runSchedule('blog.example.com', 'conflict')).pop()).toBe('conflict');
    const blog = await deps.domains.get('blog.example.com');
    expect(blog?.reason).toContain('E2OL***');
    expect(blog?.records).toContainEqual({ name: '_blog.example.com', type: 'TXT', value: 'de1shop.cloudfront.net', purpose: 'ownership' });
    expect(aws.aliasesOf('E2OLD')).toEqual(['blog.example.com']);
    // The operator proves they own the name; the next check moves it.
    dns.set('_blog.example.com', 'TXT', ['de1shop.cloudfront.net']);
    expect((await runSchedule('blog.example.com', 'active')).pop()).toBe('active');
    expect(aws.calls).toContain('cloudfront:AssociateAlias');
    expect(aws.aliasesOf('E2OLD')).toEqual([]);
    expect(aws.aliasesOf('E1SHOP').sort()).toEqual(['blog.example.com', 'shop.example.com']);
  }, 60_000);

  it('refuses a name past the names-per-certificate quota, naming the quota', async () => {
    aws.addDistribution('E3DOCS', '192.0.2.30');
    const small = portsFor(deps.projects as DynamoProjects, await domainsTable(client), { maxNames: 2 });
    await addDomain(small, { project: 'docs', domain: 'docs.example.com', www: 'with', manageDns: false });
    const refused = addDomain(small, { project: 'docs', domain: 'api.example.com', www: 'none', manageDns: false });
    await expect(refused).rejects.toMatchObject({ code: 'DOMAIN_QUOTA', kind: 'conflict', message: expect.stringContaining('at most 2 names') });
    expect(await small.domains.get('api.example.com')).toBeNull();
    expect(deps.certificates.maxNamesPerProject).toBe(10);
  }, 60_000);

  it('removing the last domains gives CloudFront its own certificate back, deletes the project’s certificate once unused and only anchor’s records', async () => {
    // A record of the operator's own in the same zone, which anchor must leave alone.
    aws.zones.get(zone)?.records.push({ Name: 'mail.example.com.', Type: 'A', TTL: 300, ResourceRecords: [{ Value: '198.51.100.7' }] });
    await removeDomain(deps, { domain: 'blog.example.com' });
    await removeDomain(deps, { domain: 'shop.example.com' });
    expect(aws.aliasesOf('E1SHOP')).toEqual([]);
    expect(aws.distributions.get('E1SHOP')?.config.ViewerCertificate).toEqual({ CloudFrontDefaultCertificate: true, MinimumProtocolVersion: 'TLSv1' });
    expect([...aws.certificates.values()].filter((c) => c.tags['anchor:project'] === 'shop')).toEqual([]);
    const names = (aws.zones.get(zone)?.records ?? []).map((r) => `${r.Type} ${r.Name}`);
    expect(names.filter((n) => n.includes('shop.example.com') && !n.startsWith('CNAME _'))).toEqual([]);
    expect(names).toContain('A mail.example.com.');
  }, 60_000);
});
