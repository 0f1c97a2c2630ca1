import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeHandlerBundles } from '../fakes/handler-bundles.js';
import { join } from 'node:path';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LambdaFunctionHost } from '../../src/adapters/aws/lambda-function-host.js';
import { liveAssetValue } from '../../src/adapters/aws/resource-names.js';
import type { DoctorCheck } from '../../src/core/doctor-check.js';
import { FakeAwsAccount } from '../fakes/aws-account.js';
import { FakeAwsControlPlane } from '../fakes/aws-control-plane.js';
import { runCli, tempHome } from './run-cli.js';

/**
 * `anchor doctor --platform <aws>` run as a user runs it, against an account set up by the CLI
 * itself: `init --aws` and `projects add shop` deploy their templates into FakeAwsControlPlane,
 * FakeAwsAccount creates what those templates describe, and a deploy goes through the real
 * LambdaFunctionHost. Then each invariant is broken in the account, the way drift or a
 * half-applied change would break it, and exactly that check fails, saying what to do.
 */
let home: ReturnType<typeof tempHome>;
let aws: FakeAwsControlPlane;
let account: FakeAwsAccount;
let restoreStore: () => void;
const SERVER = 'anchor-dev-shop-server';
const IMAGE = 'anchor-dev-shop-image';
const KVS = 'anchor-dev-project-shop-KeyValueStoreArn';
const DISTRIBUTION = 'anchor-dev-project-shop-DistributionId';

const cli = (args: string[], bundleDir = bundles) => runCli(args, { home: home.dir, env: { ANCHOR_AWS_POLL_MS: '0', ANCHOR_HANDLER_BUNDLES: bundleDir } });
let bundles: string;
let doctor: () => Promise<{ code: number; checks: DoctorCheck[]; stdout: string; stderr: string }>;

/** DynamoDB and SSM as `projects add` uses them: a table of projects, sealed secrets in SSM. */
function mockProjectStore(): () => void {
  const projects = new Map<string, Record<string, unknown>>();
  const parameters = new Map<string, string>();
  const doc = mockClient(DynamoDBDocumentClient);
  doc.on(GetCommand).callsFake(async (input) => ({ Item: projects.get(String(input.Key?.name)) }));
  doc.on(PutCommand).callsFake(async (input) => (projects.set(String(input.Item?.name), input.Item!), {}));
  doc.on(QueryCommand).callsFake(async (input) => ({ Items: input.IndexName === 'byId' ? [...projects.values()].filter((p) => p['id'] === input.ExpressionAttributeValues?.[':id']) : [] }));
  doc.on(DeleteCommand).callsFake(async (input) => (projects.delete(String(input.Key?.name)), {}));
  const ssm = mockClient(SSMClient);
  ssm.on(PutParameterCommand).callsFake(async (input) => (parameters.set(input.Name!, input.Value!), { Version: 1 }));
  ssm.on(GetParameterCommand).callsFake(async (input) => {
    if (!parameters.has(input.Name!)) throw new ParameterNotFound({ message: `Parameter ${input.Name} not found.`, $metadata: {} });
    return { Parameter: { Name: input.Name, Value: parameters.get(input.Name!) } };
  });
  return () => (doc.restore(), ssm.restore());
}

/** A deploy's data-plane writes, through the real function host: both functions' versions, alias live, then the KVS value. */
async function deploy(deploymentId: string, revision: number, env: Record<string, string> = { SHOP_NAME: 'Shop' }): Promise<void> {
  const host = new LambdaFunctionHost({ lambda: aws.lambda.client, stage: 'dev', region: 'ap-southeast-1', cacheBucket: 'anchor-dev-cachebucket-7g8h9i', assetsBucket: 'anchor-dev-assetsbucket-4d5e6f', artifactsBucket: 'anchor-dev-artifactsbucket-1a2b3c', buildQueueUrl: 'https://sqs.ap-southeast-1.amazonaws.com/111122223333/anchor-dev-build', originSecrets: async () => ['0123456789abcdef0123456789abcdef'], sleep: async () => {} });
  const artifact = { deploymentId, location: `s3://anchor-dev-artifactsbucket-1a2b3c/builds/shop/${deploymentId}/open-next.zip`, bytes: 1 };
  const version = await host.publish({ projectName: 'shop', deploymentId, artifact, env });
  await host.activate('shop', version, revision);
  account.keyValueStores.get(KVS)!.set('shop', liveAssetValue('shop', deploymentId, ['favicon.ico']));
}

/** The manifest of every dashboard build in the bootstrap bucket, gone (a bucket emptied by hand). */
function dropDashboardManifest(): void {
  for (const bucket of aws.buckets.values()) for (const key of [...bucket.keys()]) if (key.startsWith('dashboard/') && key.endsWith('/manifest.json')) bucket.delete(key);
}

const failing = (checks: DoctorCheck[]) => checks.filter((c) => c.status === 'fail').map((c) => c.id);
const check = (checks: DoctorCheck[], id: string) => checks.find((c) => c.id === id)!;

beforeEach(async () => {
  home = tempHome();
  bundles = join(home.dir, 'bundles');
  mkdirSync(bundles);
  writeHandlerBundles(bundles);
  // A built dashboard beside the handler zips: init uploads it and points the API function at it.
  mkdirSync(join(bundles, 'dashboard'));
  writeFileSync(join(bundles, 'dashboard', 'index.html'), '<!doctype html><div id=app></div>');
  aws = new FakeAwsControlPlane();
  account = new FakeAwsAccount(aws);
  restoreStore = mockProjectStore();
  const inited = await cli(['init', '--aws'], bundles); expect(inited.code, inited.stderr).toBe(0);
  const added = await cli(['projects', 'add', 'shop', '--repo', 'acme/shop'], bundles);
  expect(added.code, added.stderr).toBe(0);
  account.sync();
  doctor = async () => {
    const result = await cli(['doctor', '--platform', 'aws', '--json'], bundles);
    const out = result.json<{ checks?: DoctorCheck[]; error?: { details?: { checks: DoctorCheck[] } } }>();
    return { code: result.code, checks: out.checks ?? out.error?.details?.checks ?? [], stdout: result.stdout, stderr: result.stderr };
  };
});

afterEach(() => {
  restoreStore();
  account.restore();
  aws.restore();
  home.cleanup();
});

describe('anchor doctor on an aws platform', () => {
  it('a platform set up by init and projects add, with a deploy live: every check passes, read-only', async () => {
    await deploy('d_first', 1);
    aws.calls.length = 0;
    account.calls.length = 0;
    const { code, checks, stderr } = await doctor();
    expect(checks.filter((c) => c.status !== 'ok')).toEqual([]);
    expect(code, stderr).toBe(0);
    expect(checks.filter((c) => c.status === 'warn')).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual(
      expect.arrayContaining(['account', 'projects', 'platform-stack', 'buckets', 'deploy-role-list-artifacts', 'dashboard', 'shop/stack', 'shop/server-live', 'shop/image-live', 'shop/server-invoke-mode', 'shop/image-invoke-mode', 'shop/server-architecture', 'shop/image-architecture', 'shop/env-budget', 'shop/distribution', 'shop/cache-key', 'shop/edge-function']),
    );
    expect(check(checks, 'shop/server-live').message).toContain('deployment d_first');
    // Only reads: nothing was created, changed, published or deleted.
    const writes = [...aws.calls, ...account.calls].filter((c) => !/:(Describe|Get|List|Head|BatchGet)/.test(c));
    expect(writes).toEqual([]);
  });

  it('prints each check with a mark, and what to do under a failure', async () => {
    await deploy('d_first', 1);
    account.urls.get(SERVER)!.invokeMode = 'BUFFERED';
    const result = await runCli(['doctor', '--platform', 'aws'], { home: home.dir, env: { ANCHOR_AWS_POLL_MS: '0' } });
    expect(result.code).toBe(7);
    expect(result.stdout).toMatch(/✔ .*anchor-dev-shop-image's URL invokes RESPONSE_STREAM/);
    expect(result.stdout).toMatch(/✖ anchor-dev-shop-server's URL invokes BUFFERED/);
    expect(result.stdout).toContain('→ Run "anchor projects add shop"');
    expect(result.stderr).toContain('shop/server-invoke-mode');
  });

  it('a platform whose dashboard was never built here: a warning that says how to upload it', async () => {
    await deploy('d_first', 1);
    account.functionMeta.get('anchor-dev-api')!.env['ANCHOR_DASHBOARD_PREFIX'] = '';
    const { code, checks } = await doctor();
    expect(code).toBe(0);
    expect(check(checks, 'dashboard')).toMatchObject({ status: 'warn', message: expect.stringContaining('serves no dashboard build'), hint: expect.stringContaining('anchor init --aws') });
  });

  it('a project with nothing deployed yet is a warning, not a failure', async () => {
    const { code, checks } = await doctor();
    expect(code).toBe(0);
    expect(check(checks, 'shop/server-live')).toMatchObject({ status: 'warn', message: expect.stringContaining('no deployment yet') });
  });

  describe('each invariant broken in turn fails its own check', () => {
    beforeEach(async () => {
      await deploy('d_first', 1);
      await deploy('d_second', 2);
    });

    const cases: Array<[string, string | string[], () => void, RegExp]> = [
      ['alias live back on the placeholder (a stack update without the live version)', 'shop/server-live', () => void (aws.lambda.functions.get(SERVER)!.alias.FunctionVersion = '1'), /points at version 1 .*while the KeyValueStore says d_second is live/],
      ['alias live on $LATEST', 'shop/image-live', () => void (aws.lambda.functions.get(IMAGE)!.alias.FunctionVersion = '$LATEST'), /\$LATEST, not a published version/],
      ['alias and KeyValueStore on different deployments (a flip half done)', ['shop/server-live', 'shop/image-live'], () => void account.keyValueStores.get(KVS)!.set('shop', liveAssetValue('shop', 'd_first', [])), /serves d_second .* routes assets to d_first/],
      ['the image URL in the wrong invoke mode', 'shop/image-invoke-mode', () => void (account.urls.get(IMAGE)!.invokeMode = 'BUFFERED'), /invokes BUFFERED, but .* needs RESPONSE_STREAM/],
      ['a function on another CPU than the builds', 'shop/server-architecture', () => void (account.functionMeta.get(SERVER)!.architectures = ['x86_64']), /runs on x86_64 but builds run on arm64/],
      ['builds moved to an x86 image', ['shop/server-architecture', 'shop/image-architecture'], () => void (account.buildProjects.get('anchor-dev-build')!.image = 'aws/codebuild/amazonlinux2-x86_64-standard:5.0'), /runs on arm64 but builds run on x86_64/],
      ['anchor\'s own variables over their reserve', 'shop/env-budget', () => bloatLiveEnv('ANCHOR_EXTRA', 600), /anchor's variables outgrew their reserve/],
      ['the project\'s variables leaving less than the reserve', 'shop/env-budget', () => bloatLiveEnv('SHOP_CONFIG', 3700), /leave anchor less than its reserve/],
      ['a disabled distribution', 'shop/distribution', () => void (account.distributions.get(DISTRIBUTION)!.enabled = false), /is disabled/],
      ['a cache policy without the deployment header', 'shop/cache-key', () => dropDeploymentHeader(), /lacks the deployment: \* \(server\) keys on accept/],
      ['the deploy role without ListBucket on the artifacts bucket', 'deploy-role-list-artifacts', () => dropStatement('ListArtifacts'), /is not allowed s3:ListBucket on anchor-dev-artifactsbucket-1a2b3c/],
      ['the deploy role\'s ListBucket narrowed by prefix', 'deploy-role-list-artifacts', () => conditionListing(), /only under a condition/],
      ['the CloudFront Function never published', 'shop/edge-function', () => void account.edgeFunctions.get('anchor-dev-shop-edge')!.stages.delete('LIVE'), /has no LIVE stage/],
      ['the CloudFront Function not associated with a behaviour', 'shop/edge-function', () => void (account.distributions.get(DISTRIBUTION)!.defaultBehaviour.FunctionAssociations = []), /behaviours \* do not run it on viewer-request/],
      ['the CloudFront Function without the KeyValueStore', 'shop/edge-function', () => void (account.edgeFunctions.get('anchor-dev-shop-edge')!.keyValueStores = []), /not associated with the project's KeyValueStore/],
      ['a project stack stuck after a failed rollback', 'shop/stack', () => void (aws.stacks.get('anchor-dev-project-shop')!.status = 'UPDATE_ROLLBACK_FAILED'), /is UPDATE_ROLLBACK_FAILED, not a \*_COMPLETE state/],
      ['the platform stack rolled back at creation', 'platform-stack', () => void (aws.stacks.get('anchor-dev')!.status = 'ROLLBACK_COMPLETE'), /is ROLLBACK_COMPLETE/],
      ['an artifacts bucket deleted by hand', 'buckets', () => void aws.buckets.delete('anchor-dev-artifactsbucket-1a2b3c'), /anchor-dev-artifactsbucket-1a2b3c/],
      ['the dashboard build the API function serves deleted from the bootstrap bucket', 'dashboard', () => dropDashboardManifest(), /serves the dashboard build s3:\/\/anchor-bootstrap-\d+-ap-southeast-1\/dashboard\/[0-9a-f]{64}\/, which is not there/],
    ];

    it.each(cases)('%s', async (_what, ids, breakIt, message) => {
      breakIt();
      const { code, checks, stdout } = await doctor();
      expect(code).toBe(7);
      expect(failing(checks)).toEqual([ids].flat());
      const id = [ids].flat()[0]!;
      expect(check(checks, id).message).toMatch(message);
      expect(check(checks, id).hint).toMatch(/\S/);
      // --json still prints exactly one document: the error, with every check in its details.
      expect(JSON.parse(stdout).error.code).toBe('DOCTOR_FOUND_PROBLEMS');
    });
  });

  it('checks a project stack this machine did not save (added from another machine) as well', async () => {
    await deploy('d_first', 1);
    const added = await cli(['projects', 'add', 'blog', '--repo', 'acme/blog'], bundles);
    expect(added.code, added.stderr).toBe(0);
    account.sync();
    const file = join(home.dir, '.anchor', 'platforms', 'aws', 'platform.json');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    delete saved.projects.blog;
    writeFileSync(file, JSON.stringify(saved));
    account.urls.get('anchor-dev-blog-server')!.invokeMode = 'BUFFERED';
    const { code, checks } = await doctor();
    expect(code).toBe(7);
    expect(check(checks, 'projects').message).toContain('blog not saved on this machine');
    expect(failing(checks)).toEqual(['blog/server-invoke-mode']);
    expect(check(checks, 'blog/server-live').status).toBe('warn');
  });

  it('a distribution still deploying a change is a warning', async () => {
    await deploy('d_first', 1);
    account.distributions.get(DISTRIBUTION)!.status = 'InProgress';
    const { code, checks } = await doctor();
    expect(code).toBe(0);
    expect(check(checks, 'shop/distribution')).toMatchObject({ status: 'warn', message: expect.stringContaining('InProgress') });
  });

  it('a role it may not read fails that check, naming the permission, and the other checks still run', async () => {
    await deploy('d_first', 1);
    account.iam.on(ListRolePoliciesCommand).rejects(Object.assign(new Error('User is not authorized to perform: iam:ListRolePolicies'), { name: 'AccessDenied' }));
    const { code, checks } = await doctor();
    expect(code).toBe(7);
    expect(failing(checks)).toEqual(['deploy-role-list-artifacts']);
    expect(check(checks, 'deploy-role-list-artifacts').hint).toContain('iam:ListRolePolicies');
  });

  it('credentials of another account are refused before anything is read', async () => {
    aws.sts.on(GetCallerIdentityCommand).resolves({ Account: '999988887777', Arn: 'arn:aws:iam::999988887777:user/x' });
    account.calls.length = 0;
    const { code, stderr } = await doctor();
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/account 999988887777/);
    expect(account.calls).toEqual([]);
  });
});

function bloatLiveEnv(key: string, bytes: number): void {
  const fn = aws.lambda.functions.get(SERVER)!;
  const live = fn.versions.find((v) => v.Version === fn.alias.FunctionVersion)!;
  live.env = { ...live.env, [key]: 'x'.repeat(bytes) };
}

function dropDeploymentHeader(): void {
  const policy = account.distributions.get(DISTRIBUTION)!.defaultBehaviour.CachePolicyId!;
  const headers = account.cachePolicies.get(policy)!.headers;
  account.cachePolicies.get(policy)!.headers = headers.filter((h) => h !== 'x-anchor-deployment');
}

function deployRole() {
  return [...account.roles.values()].find((r) => r.name.includes('DeployRole'))!;
}

function dropStatement(sid: string): void {
  const policy = deployRole().policies.get('deploy')!;
  policy.Statement = policy.Statement.filter((s) => s.Sid !== sid);
}

function conditionListing(): void {
  const statement = deployRole().policies.get('deploy')!.Statement.find((s) => s.Sid === 'ListArtifacts')!;
  statement.Condition = { StringLike: { 's3:prefix': 'builds/*' } };
}
