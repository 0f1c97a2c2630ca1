import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeHandlerBundles } from '../fakes/handler-bundles.js';
import { join } from 'node:path';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteParametersCommand, GetParameterCommand, GetParametersByPathCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { originSecretParameter, projectOriginSecret } from '../../src/adapters/aws/origin-secret.js';
import { CloudFrontClient, GetDistributionConfigCommand } from '@aws-sdk/client-cloudfront';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, FakeAwsControlPlane } from '../fakes/aws-control-plane.js';
import { runCli, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
let aws: FakeAwsControlPlane;
let bundles: string;
const BOOTSTRAP = `anchor-bootstrap-${ACCOUNT}-ap-southeast-1`;
const cli = (args: string[]) => runCli(args, { home: home.dir, env: { ANCHOR_AWS_POLL_MS: '0', ANCHOR_HANDLER_BUNDLES: bundles } });
const platformJson = () => JSON.parse(readFileSync(join(home.dir, '.anchor', 'platforms', 'aws', 'platform.json'), 'utf8'));

/** DynamoDB and SSM as `projects add` / `rm` use them: one table of projects (no env vars), sealed secrets in SSM. */
function mockProjectStore() {
  const projects = new Map<string, Record<string, unknown>>();
  const parameters = new Map<string, string>();
  const doc = mockClient(DynamoDBDocumentClient);
  doc.on(GetCommand).callsFake(async (input) => ({ Item: projects.get(String(input.Key?.name)) }));
  doc.on(PutCommand).callsFake(async (input) => {
    projects.set(String(input.Item?.name), input.Item!);
    return {};
  });
  // Projects by id (index byId); env vars by project: none here.
  doc.on(QueryCommand).callsFake(async (input) => ({
    Items: input.IndexName === 'byId' ? [...projects.values()].filter((p) => p['id'] === input.ExpressionAttributeValues?.[':id']) : [],
  }));
  doc.on(DeleteCommand).callsFake(async (input) => {
    projects.delete(String(input.Key?.name));
    return {};
  });
  const ssm = mockClient(SSMClient);
  ssm.on(PutParameterCommand).callsFake(async (input) => {
    parameters.set(input.Name!, input.Value!);
    return { Version: 1 };
  });
  ssm.on(GetParameterCommand).callsFake(async (input) => {
    if (!parameters.has(input.Name!)) throw new ParameterNotFound({ message: `Parameter ${input.Name} not found.`, $metadata: {} });
    return { Parameter: { Name: input.Name, Value: parameters.get(input.Name!) } };
  });
  ssm.on(GetParametersByPathCommand).callsFake(async (input) => ({ Parameters: [...parameters.keys()].filter((n) => n.startsWith(input.Path!.endsWith('/') ? input.Path! : `${input.Path}/`)).map((Name) => ({ Name })) }));
  ssm.on(DeleteParametersCommand).callsFake(async (input) => ({ DeletedParameters: input.Names!.filter((n: string) => parameters.delete(n)) }));
  return { projects, parameters, restore: () => (doc.restore(), ssm.restore()) };
}

let store: ReturnType<typeof mockProjectStore>;

beforeEach(async () => {
  home = tempHome();
  bundles = join(home.dir, 'bundles');
  mkdirSync(bundles);
  writeHandlerBundles(bundles);
  aws = new FakeAwsControlPlane();
  store = mockProjectStore();
  expect((await cli(['init', '--aws'])).code).toBe(0);
  aws.calls.length = 0;
});
afterEach(() => {
  store.restore();
  aws.restore();
  home.cleanup();
});

describe('anchor projects add on aws', () => {
  it('deploys the project stack (events shown), then registers the project with the API Gateway webhook URL and the CloudFront site', async () => {
    const result = await cli(['projects', 'add', 'shop', '--repo', 'acme/shop', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const out = result.json<{ project: { id: string; url: string }; webhook: { url: string; secret: string } }>();
    expect(out.project.url).toBe('https://d111111abcdef8.cloudfront.net');
    expect(out.webhook.url).toBe(`https://a1b2c3d4e5.execute-api.ap-southeast-1.amazonaws.com/webhook/${out.project.id}`);
    expect(out.webhook.secret).toMatch(/^\S{20,}$/);

    const stack = aws.stacks.get('anchor-dev-project-shop');
    expect(stack?.status).toBe('CREATE_COMPLETE');
    const template = JSON.parse(stack!.template);
    expect(template.Resources.ServerUrl.Properties.AuthType).toBe('NONE');
    // init made the stage's origin secret (a SecureString); the stack gets this project's value derived from it.
    const master = store.parameters.get(originSecretParameter('dev'));
    expect(master).toMatch(/^[0-9a-f]{64}$/);
    expect(stack?.parameters['OriginSecret']).toBe(projectOriginSecret(master!, 'shop'));
    expect(projectOriginSecret(master!, 'shop')).not.toBe(projectOriginSecret(master!, 'blog'));
    // The project's roles name the platform's real buckets, from the saved outputs.
    expect(JSON.stringify(template.Resources.ServerRole)).toContain('anchor-dev-cachebucket-7g8h9i/shop/*');
    expect(platformJson().projects.shop).toMatchObject({ SiteUrl: 'https://d111111abcdef8.cloudfront.net', ServerFunctionName: expect.any(String) });
    expect(store.projects.get('shop')).toMatchObject({ id: out.project.id, branch: 'main' });
    // Its distribution may now read its own assets prefix, and only that.
    const policy = JSON.parse(aws.bucketPolicies.get(platformJson().outputs.AssetsBucketName) ?? '{}') as { Statement: Array<{ Effect: string; Resource: unknown; Condition?: unknown }> };
    const distribution = platformJson().projects.shop.DistributionId as string;
    expect(policy.Statement.filter((s) => s.Effect === 'Allow')).toEqual([
      expect.objectContaining({ Resource: 'arn:aws:s3:::anchor-dev-assetsbucket-4d5e6f/shop/*', Condition: { StringEquals: { 'AWS:SourceArn': `arn:aws:cloudfront::${ACCOUNT}:distribution/${distribution}` } } }),
    ]);

    const human = await cli(['projects', 'add', 'blog', '--repo', 'acme/blog']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toMatch(/CREATE_IN_PROGRESS\s+ServerFunction \(AWS::Lambda::Function\)/);
    expect(human.stderr).toMatch(/CREATE_COMPLETE\s+stack anchor-dev-project-blog/);
    expect(human.stdout).toContain('Site: https://d111111abcdef8.cloudfront.net');
  });

  it('a stack update writes back the aliases and certificate the domains check set on the distribution, so it never drops them', async () => {
    expect((await cli(['projects', 'add', 'shop', '--repo', 'acme/shop'])).code).toBe(0);
    const created = aws.stacks.get('anchor-dev-project-shop');
    expect(created?.parameters).toMatchObject({ DomainAliases: '', CertificateArn: '' });
    // Meanwhile the domains check moved the distribution to the project's domains (UpdateDistribution, out of band).
    const certificate = `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/0f6e1bd2-4a5b-4c1d-9e8f-0123456789ab`;
    const cloudfront = mockClient(CloudFrontClient);
    cloudfront.on(GetDistributionConfigCommand).resolves({ ETag: 'E7', DistributionConfig: { Aliases: { Quantity: 2, Items: ['shop.example.com', 'www.shop.example.com'] }, ViewerCertificate: { ACMCertificateArn: certificate, SSLSupportMethod: 'sni-only' } } as never });
    try {
      // Running "projects add" again updates the stack (the project itself exists already).
      await cli(['projects', 'add', 'shop', '--repo', 'acme/shop']);
    } finally {
      cloudfront.restore();
    }
    const updated = aws.stacks.get('anchor-dev-project-shop');
    expect(updated?.parameters).toMatchObject({ DomainAliases: 'shop.example.com,www.shop.example.com', CertificateArn: certificate });
    // What CloudFormation then gives the distribution, from the template and those parameters.
    const config = JSON.parse(updated!.template).Resources.Distribution.Properties.DistributionConfig;
    const resolve = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(resolve);
      if (!value || typeof value !== 'object') return value;
      const node = value as Record<string, unknown>;
      if ('Ref' in node) return node.Ref === 'DomainAliases' ? updated!.parameters.DomainAliases?.split(',') : updated!.parameters[node.Ref as string];
      if ('Fn::If' in node) {
        const [condition, yes, no] = node['Fn::If'] as [string, unknown, unknown];
        expect(condition).toBe('HasCustomDomains');
        return resolve(updated!.parameters.CertificateArn ? yes : no);
      }
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolve(v)]));
    };
    expect(resolve(config.Aliases)).toEqual(['shop.example.com', 'www.shop.example.com']);
    expect(resolve(config.ViewerCertificate)).toEqual({ AcmCertificateArn: certificate, SslSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021' });
  });

  it('a name too long for AWS resource names is refused before any stack is created', async () => {
    const result = await cli(['projects', 'add', 'a-very-long-project-name-for-aws-resources-x', '--repo', 'acme/shop']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('too long for the aws backend');
    expect(aws.calls.filter((c) => c.startsWith('cloudformation:'))).toEqual([]);
  });
});

describe('anchor init --aws again, with projects', () => {
  it('keeps each project’s read grant on its own assets prefix in the platform stack', async () => {
    expect((await cli(['projects', 'add', 'shop', '--repo', 'acme/shop'])).code).toBe(0);
    const distribution = platformJson().projects.shop.DistributionId as string;

    const again = await cli(['init', '--aws']);

    expect(again.code, again.stderr).toBe(0);
    const template = JSON.parse(aws.stacks.get('anchor-dev')!.template) as { Resources: Record<string, { Properties: { PolicyDocument: { Statement: Array<{ Effect: string; Resource: unknown; Condition?: unknown }> } } }> };
    const grants = template.Resources['AssetsBucketPolicy']!.Properties.PolicyDocument.Statement.filter((s) => s.Effect === 'Allow');
    expect(grants).toEqual([expect.objectContaining({ Resource: { 'Fn::Sub': '${AssetsBucket.Arn}/shop/*' }, Condition: { StringEquals: { 'AWS:SourceArn': { 'Fn::Sub': `arn:\${AWS::Partition}:cloudfront::\${AWS::AccountId}:distribution/${distribution}` } } } })]);
  });
});

describe('anchor projects rm on aws', () => {
  beforeEach(async () => {
    expect((await cli(['projects', 'add', 'shop', '--repo', 'acme/shop'])).code).toBe(0);
    aws.calls.length = 0;
  });

  it('deletes the project’s stack (events shown), then the project and its saved outputs', async () => {
    const result = await cli(['projects', 'rm', 'shop', '--yes']);
    expect(result.code, result.stderr).toBe(0);
    expect(aws.calls.filter((c) => c.startsWith('cloudformation:DeleteStack'))).toEqual(['cloudformation:DeleteStack:anchor-dev-project-shop']);
    expect(aws.stacks.has('anchor-dev-project-shop')).toBe(false);
    expect(aws.stacks.has('anchor-dev')).toBe(true);
    expect(result.stderr).toContain('Deleting stack anchor-dev-project-shop');
    expect(result.stderr).toMatch(/DELETE_IN_PROGRESS\s+Distribution \(AWS::CloudFront::Distribution\)/);
    expect(result.stderr).toMatch(/DELETE_COMPLETE\s+stack anchor-dev-project-shop/);
    expect(result.stdout).toContain('Removed project "shop", its env vars and stack anchor-dev-project-shop.');
    expect(store.projects.has('shop')).toBe(false);
    expect(platformJson().projects.shop).toBeUndefined();
    // No distribution may read its assets any more.
    const policy = JSON.parse(aws.bucketPolicies.get(platformJson().outputs.AssetsBucketName) ?? '{}') as { Statement: Array<{ Effect: string }> };
    expect(policy.Statement.filter((s) => s.Effect === 'Allow')).toEqual([]);
  });

  it('removes what the project left outside its stack: its objects under every prefix, its SSM parameters; a project sharing its name’s start keeps its own', async () => {
    const bucket = (key: string) => aws.buckets.get(platformJson().outputs[key])!;
    for (const project of ['shop', 'shop-eu']) {
      bucket('ArtifactsBucketName').set(`builds/${project}/d_1/open-next.zip`, 10);
      bucket('AssetsBucketName').set(`${project}/d_1/_next/static/app.js`, 10);
      bucket('CacheBucketName').set(`${project}/BUILD1/index.cache`, 10);
      store.parameters.set(`/anchor/dev/${project}/env/API_KEY`, 'k');
      store.parameters.set(`/anchor/dev/${project}/webhook/secret`, 's');
    }

    const result = await cli(['projects', 'rm', 'shop', '--yes']);

    expect(result.code, result.stderr).toBe(0);
    const left = ['ArtifactsBucketName', 'AssetsBucketName', 'CacheBucketName'].flatMap((key) => [...bucket(key).keys()]);
    expect(left.sort()).toEqual(['builds/shop-eu/d_1/open-next.zip', 'shop-eu/BUILD1/index.cache', 'shop-eu/d_1/_next/static/app.js']);
    expect([...store.parameters.keys()].filter((n) => n.startsWith('/anchor/dev/shop')).sort()).toEqual(['/anchor/dev/shop-eu/env/API_KEY', '/anchor/dev/shop-eu/webhook/secret']);
    expect(result.stderr).toContain("Deleting shop's objects in the platform's buckets and its SSM parameters");
  });

  it('asks first, naming the stack; without --yes and no terminal nothing is deleted', async () => {
    const result = await cli(['projects', 'rm', 'shop']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--yes');
    expect(aws.calls.filter((c) => c.startsWith('cloudformation:DeleteStack'))).toEqual([]);
    expect(store.projects.has('shop')).toBe(true);
  });

  it('a stack that fails to delete keeps the project, names the resource and its reason, and says what to run again', async () => {
    aws.failNext('anchor-dev-project-shop', { logicalId: 'ServerFunction', reason: 'Lambda was unable to delete the function because it is a replicated function.' });
    const result = await cli(['projects', 'rm', 'shop', '--yes']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/DELETE_FAILED\s+ServerFunction/);
    expect(result.stderr).toContain('Stack anchor-dev-project-shop could not be deleted: ServerFunction (AWS::Lambda::Function): Lambda was unable to delete the function');
    expect(result.stderr).toContain('anchor projects rm shop');
    expect(store.projects.has('shop')).toBe(true);
    expect(platformJson().projects.shop).toBeDefined();
  });

  it('a stack already gone does not stop the project’s removal', async () => {
    aws.stacks.delete('anchor-dev-project-shop');
    const result = await cli(['projects', 'rm', 'shop', '--yes', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ removed: 'shop', stack: 'anchor-dev-project-shop', stackDeleted: false });
    expect(store.projects.has('shop')).toBe(false);
  });
});

describe('anchor destroy on aws', () => {
  beforeEach(async () => {
    expect((await cli(['projects', 'add', 'shop', '--repo', 'acme/shop'])).code).toBe(0);
    aws.calls.length = 0;
  });

  it('asks first; without --yes and no terminal it names the flag and deletes nothing', async () => {
    const result = await cli(['destroy']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--yes');
    expect(aws.calls).toEqual([]);
    expect(aws.stacks.size).toBe(2);
  });

  it('--yes: deletes the project stacks first, then the platform; buckets with data are kept and named', async () => {
    const artifacts = 'anchor-dev-artifactsbucket-1a2b3c';
    aws.buckets.set(artifacts, new Map([['builds/shop/d_1/open-next.zip', 10]]));
    aws.buckets.set('anchor-dev-assetsbucket-4d5e6f', new Map());
    const result = await cli(['destroy', '--yes']);
    expect(result.code, result.stderr).toBe(0);
    const deletes = aws.calls.filter((c) => c.startsWith('cloudformation:DeleteStack'));
    expect(deletes).toEqual(['cloudformation:DeleteStack:anchor-dev-project-shop', 'cloudformation:DeleteStack:anchor-dev']);
    expect(aws.stacks.size).toBe(0);
    expect(result.stderr).toMatch(/DELETE_COMPLETE\s+stack anchor-dev-project-shop/);
    expect(result.stdout).toContain('Deleted platform "aws": anchor-dev-project-shop, anchor-dev.');
    expect(result.stdout).toContain('Deleted bucket anchor-dev-assetsbucket-4d5e6f.'); // empty: nothing lost
    expect(result.stdout).toMatch(new RegExp(`Kept 2 buckets[^\\n]*\\n\\s+${artifacts}\\s+holds 1 object\\n\\s+${BOOTSTRAP}`));
    expect(aws.buckets.has(artifacts)).toBe(true);
    expect(existsSync(join(home.dir, '.anchor', 'platforms', 'aws'))).toBe(false);
    expect((await cli(['projects', 'ls'])).code).toBe(3);
  });

  it('--yes --force empties and deletes the retained buckets too', async () => {
    aws.buckets.set('anchor-dev-artifactsbucket-1a2b3c', new Map([['builds/shop/d_1/open-next.zip', 10]]));
    aws.buckets.set('anchor-dev-cachebucket-7g8h9i', new Map([['shop/b1/cache.json', 3]]));
    const result = await cli(['destroy', '--yes', '--force', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.json()).toMatchObject({ destroyed: 'aws', stacks: ['anchor-dev-project-shop', 'anchor-dev'], deletedBuckets: ['anchor-dev-artifactsbucket-1a2b3c', 'anchor-dev-assetsbucket-4d5e6f', 'anchor-dev-cachebucket-7g8h9i', BOOTSTRAP], kept: [] });
    expect([...aws.buckets.keys()]).toEqual([]);
    expect(aws.calls).toContain('s3:DeleteObjects:anchor-dev-artifactsbucket-1a2b3c');
  });
});
