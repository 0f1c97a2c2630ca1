import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApiHandler, type ApiGatewayEvent, type ApiGatewayResult } from '../../infra/handlers/api.js';
import { domainResources } from '../../infra/stack/platform-domains.js';
import { CloudFormationSiteUrls } from '../../src/adapters/aws/cloudformation-site-urls.js';
import { DynamoAccess } from '../../src/adapters/aws/dynamo-access.js';
import { DynamoDeployments } from '../../src/adapters/aws/dynamo-deployments.js';
import { documentClient } from '../../src/adapters/aws/dynamo-document.js';
import { DynamoDomains } from '../../src/adapters/aws/dynamo-domains.js';
import { DynamoEnvVars } from '../../src/adapters/aws/dynamo-env-vars.js';
import { DynamoProjects } from '../../src/adapters/aws/dynamo-projects.js';
import { readDashboardBuild, S3DashboardUploader, type DashboardUpload } from '../../src/adapters/aws/provisioning/dashboard-uploader.js';
import { S3DashboardSource } from '../../src/adapters/aws/s3-dashboard-source.js';
import { DEFAULT_API_LIMITS } from '../../src/core/api/api-router.js';
import { API_ROUTES } from '../../src/core/api/api-routes.js';
import type { ApiDeps } from '../../src/core/api/api-types.js';
import { projectSiteUrl, recentDomains } from '../../src/core/site-url.js';
import { ApiClient, type ApiTransport } from '../api/api-client.js';
import { runIsolationTable, seedTwoOwners, snapshotOfA, type TwoOwners } from '../api/isolation-table.js';
import { buildDashboardInto } from '../browser/browser.js';
import { memoryPorts } from '../fakes/memory/memory-ports.js';
import { runCli, tempHome } from '../cli/run-cli.js';
import { createBucket, createPlatformTables, S3RVER_CREDENTIALS, s3Client, startDynamoDbLocal, startS3rver, TEST_REGION, uniqueName, type Emulator } from './emulators.js';

/**
 * The dashboard on the aws backend: `init --aws`'s upload into s3rver, the API function serving
 * it from there (API Gateway payload 2.0 events), a one-time code from `anchor dashboard` run on
 * an aws platform exchanged for a session against that function (DynamoDB Local, shared by the
 * CLI and the handler), and each project's url from its stack (CloudFormation stand-in) or its
 * active custom domain.
 */
const API_URL = 'https://a1b2c3d4e5.execute-api.ap-southeast-1.amazonaws.com';
const SITE = 'https://d111111abcdef8.cloudfront.net';
let dynamo: Emulator, s3: Emulator & { dir: string };
let db: DynamoDBClient, s3Api: S3Client;
let deps: ApiDeps;
let memory: ReturnType<typeof memoryPorts>;
let seeded: TwoOwners;
let handler: ReturnType<typeof makeApiHandler>;
let upload: DashboardUpload;
let built: string;
let bucket: string;
let tables: Record<string, string>;
const getObjects: string[] = [];
const cloudformation = mockClient(CloudFormationClient);
const describeStacks: string[] = [];
const savedEnv: Record<string, string | undefined> = {};

async function domainsTable(): Promise<string> {
  const props = domainResources({ stage: 'dev', handlerBucket: 'b', handlerKeys: { webhook: 'w', orchestrator: 'o', deploy: 'd', domains: 'm', api: 'a' }, logRetentionDays: 30, handlerArchitecture: 'arm64', buildImage: 'i', buildComputeType: 'c', nodeVersion: 22 }).DomainsTable?.Properties as Record<string, unknown>;
  const name = uniqueName('domains');
  await db.send(new CreateTableCommand({ TableName: name, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: props['AttributeDefinitions'], KeySchema: props['KeySchema'] } as CreateTableCommandInput));
  return name;
}

/** A request as API Gateway (payload 2.0) hands it to the function; the answer as the browser gets it (base64 decoded). */
async function invoke(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<ApiGatewayResult & { bytes: Buffer }> {
  // As sent: API Gateway hands over the raw path, dot segments and escapes included.
  const [rawPath = '/', rawQueryString = ''] = path.split('?');
  const { cookie, ...rest } = headers;
  const event: ApiGatewayEvent = {
    rawPath,
    rawQueryString,
    headers: rest,
    ...(cookie ? { cookies: cookie.split('; ') } : {}),
    body: body ?? null,
    isBase64Encoded: false,
    requestContext: { http: { method, sourceIp: '198.51.100.20' } },
  };
  const result = await handler(event);
  return { ...result, bytes: Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8') };
}

const transport: ApiTransport = async (request) => {
  const result = await invoke(request.method, request.path, request.headers, request.body);
  return { status: result.statusCode, headers: { ...result.headers, ...(result.cookies ? { 'set-cookie': result.cookies } : {}) }, body: result.bytes.toString('utf8') };
};

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynamoDbLocal(), startS3rver()]);
  // DynamoDB Local keeps one database per access key: the CLI (credentials from the environment) and the handler share s3rver's pair.
  db = new DynamoDBClient({ endpoint: dynamo.endpoint, region: TEST_REGION, credentials: S3RVER_CREDENTIALS });
  s3Api = s3Client(s3.endpoint);
  s3Api.middlewareStack.add((next, context) => async (args) => {
    if (context.commandName === 'GetObjectCommand') getObjects.push(String((args.input as { Key?: string }).Key));
    return next(args);
  }, { step: 'initialize', name: 'countGetObject' });
  const names = await createPlatformTables(db);
  tables = { ...names, domains: await domainsTable() };
  bucket = await createBucket(s3Api, 'anchor-bootstrap');

  // What `npm run build` makes, uploaded as `init --aws` does.
  built = mkdtempSync(join(tmpdir(), 'anchor-dashboard-aws-'));
  buildDashboardInto(built);
  const build = await readDashboardBuild(built);
  upload = await new S3DashboardUploader({ s3: s3Api, bucket }).upload(build!);

  cloudformation.on(DescribeStacksCommand).callsFake(async (input: { StackName?: string }) => {
    describeStacks.push(String(input.StackName));
    if (input.StackName !== 'anchor-dev-project-alpha') throw Object.assign(new Error(`Stack with id ${input.StackName} does not exist`), { name: 'ValidationError' });
    return { Stacks: [{ StackName: input.StackName, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: [{ OutputKey: 'SiteUrl', OutputValue: SITE }] }] };
  });
  const doc = documentClient(db);
  const envVars = new DynamoEnvVars({ doc, table: names.envVars });
  memory = memoryPorts({ start: new Date().toISOString() });
  const domains = new DynamoDomains({ doc, table: tables.domains! });
  const active = recentDomains(domains, memory.clock);
  const siteUrls = new CloudFormationSiteUrls({ cloudformation: new CloudFormationClient({ region: TEST_REGION }), stage: 'dev', clock: memory.clock });
  deps = {
    ...memory,
    projects: new DynamoProjects({ doc, table: names.projects, envVars }),
    deployments: new DynamoDeployments({ doc, table: names.deployments }),
    envVars,
    access: new DynamoAccess({ doc, table: names.access }),
    // As infra/handlers/platform-ports.ts wires it.
    siteUrl: (project) => projectSiteUrl({ domains: active, defaultUrl: (p) => siteUrls.of(p.name) }, project),
    webhookBaseUrl: API_URL,
    domains: null,
    holdsStreams: false,
    rollback: null,
    removeProject: null,
  };
  seeded = await seedTwoOwners(deps, API_URL);
  handler = makeApiHandler(deps, DEFAULT_API_LIMITS, new S3DashboardSource({ s3: s3Api, bucket, prefix: upload.prefix }));
  await domains.add([{ name: 'shop.example.com', projectId: seeded.a.projectId, redirectTo: null, manageDns: true, state: 'pending_dns', reason: null, records: [], certificate: null, checkedAt: null, activeSince: null, createdAt: new Date().toISOString() }]);
}, 120_000);

afterAll(async () => {
  cloudformation.restore();
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  db?.destroy();
  s3Api?.destroy();
  await Promise.all([dynamo?.stop(), s3?.stop()]);
  if (built) rmSync(built, { recursive: true, force: true });
});

describe('init --aws uploads the dashboard', () => {
  it('puts every built file under a prefix named by the build\'s content, the manifest last; the same build again sends nothing', async () => {
    expect(upload.prefix).toMatch(/^dashboard\/[0-9a-f]{64}\/$/);
    const { Contents } = await s3Api.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: upload.prefix }));
    const keys = (Contents ?? []).map((o) => o.Key!.slice(upload.prefix.length)).sort();
    expect(keys).toContain('index.html');
    expect(keys).toContain('index.html.br');
    expect(keys.filter((k) => /^assets\/app-[A-Z0-9]+\.js(\.br|\.gz)?$/.test(k))).toHaveLength(3);
    expect(keys).toContain('manifest.json');
    expect(upload.uploaded).toBe(keys.length - 1);
    const again = await new S3DashboardUploader({ s3: s3Api, bucket }).upload((await readDashboardBuild(built))!);
    expect(again).toMatchObject({ prefix: upload.prefix, uploaded: 0 });
  });
});

describe('the API function serves the dashboard from S3', () => {
  it('index.html: revalidated, with the CSP, brotli for a browser that takes it, 304 once unchanged', async () => {
    const local = readFileSync(join(built, 'index.html'));
    const page = await invoke('GET', '/', { 'accept-encoding': 'gzip, deflate, br' });
    expect([page.statusCode, page.isBase64Encoded, page.headers['content-type'], page.headers['cache-control'], page.headers['content-encoding']]).toEqual([200, true, 'text/html; charset=utf-8', 'no-cache', 'br']);
    expect(brotliDecompressSync(page.bytes).equals(local)).toBe(true);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'.*script-src 'self'.*connect-src 'self'.*frame-ancestors 'none'/);
    const again = await invoke('GET', '/', { 'if-none-match': page.headers['etag']! });
    expect([again.statusCode, again.bytes.length]).toEqual([304, 0]);
    // The app's own paths are the app; no encoding accepted: the bytes as built.
    const deep = await invoke('GET', `/projects/alpha/deployments/${seeded.a.deploymentId}`);
    expect([deep.statusCode, deep.headers['content-encoding'], deep.bytes.equals(local)]).toEqual([200, undefined, true]);
  });

  it('a hashed asset: cached for good, gzip for a browser without brotli; a missing one is 404; S3 is asked once per file', async () => {
    const script = /src="\/(assets\/app-[A-Z0-9]+\.js)"/.exec(readFileSync(join(built, 'index.html'), 'utf8'))?.[1];
    expect(script).toBeDefined();
    const js = await invoke('GET', `/${script}`, { 'accept-encoding': 'gzip' });
    expect([js.statusCode, js.headers['content-type'], js.headers['cache-control'], js.headers['content-encoding'], js.headers['vary']]).toEqual([200, 'application/javascript; charset=utf-8', 'public, max-age=31536000, immutable', 'gzip', 'accept-encoding']);
    expect(gunzipSync(js.bytes).equals(readFileSync(join(built, script!)))).toBe(true);
    const reads = getObjects.length;
    expect((await invoke('GET', `/${script}`, { 'accept-encoding': 'gzip' })).statusCode).toBe(200);
    expect(getObjects.length).toBe(reads);
    expect((await invoke('GET', '/assets/app-OLDHASH1.js')).statusCode).toBe(404);
    for (const path of ['/%2e%2e/%2e%2e/handlers/x.zip', '/assets/..%2f..%2fmanifest.json', `/${script}.br`]) expect((await invoke('GET', path)).statusCode).toBe(404);
    // The API keeps its own answers under /api.
    const api = await invoke('GET', '/api/v1/nothing');
    expect([api.statusCode, JSON.parse(api.body).code]).toEqual([404, 'ROUTE_NOT_FOUND']);
  });

  it('says so when no dashboard was uploaded, and answers 503 (not a crash) when S3 fails', async () => {
    const bare = makeApiHandler(deps, DEFAULT_API_LIMITS, null);
    const page = await bare({ rawPath: '/', headers: {}, requestContext: { http: { method: 'GET' } } });
    expect(Buffer.from(page.body, 'base64').toString('utf8')).toContain('anchor init --aws');
    const gone = makeApiHandler(deps, DEFAULT_API_LIMITS, new S3DashboardSource({ s3: s3Api, bucket: 'no-such-bucket', prefix: upload.prefix }));
    const failed = await gone({ rawPath: '/', headers: {}, requestContext: { http: { method: 'GET' } } });
    expect([failed.statusCode, failed.headers['retry-after']]).toEqual([503, '5']);
  });
});

describe('anchor dashboard on an aws platform', () => {
  it('prints a one-time link to the API\'s origin whose code opens a cookie session on the aws function; the code works once', async () => {
    const home = tempHome();
    try {
      const dir = join(home.dir, '.anchor', 'platforms', 'aws');
      mkdirSync(dir, { recursive: true });
      const outputs = { ProjectsTableName: tables.projects, DeploymentsTableName: tables.deployments, EnvVarsTableName: tables.envVars, DeliveriesTableName: tables.deliveries, AccessTableName: tables.access, DomainsTableName: tables.domains, ArtifactsBucketName: 'artifacts', AssetsBucketName: 'assets', CacheBucketName: 'cache', BuildQueueUrl: 'https://sqs.ap-southeast-1.amazonaws.com/111122223333/anchor-dev-builds', BuildProjectName: 'anchor-dev-build', BuildLogGroupName: '/anchor/dev/builds', WebhookApiUrl: API_URL };
      const now = new Date().toISOString();
      writeFileSync(join(dir, 'platform.json'), JSON.stringify({ name: 'aws', backend: 'aws', dir, createdAt: now, updatedAt: now, region: TEST_REGION, stage: 'dev', account: '111122223333', outputs, bootstrapBucket: bucket, projects: {} }));
      for (const [key, value] of Object.entries({ AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_EC2_METADATA_DISABLED: 'true' })) {
        if (!(key in savedEnv)) savedEnv[key] = process.env[key];
        process.env[key] = value;
      }
      const result = await runCli(['dashboard', '--platform', 'aws', '--owner', 'acme', '--no-open', '--json'], { home: home.dir });
      expect(result.code, result.stderr).toBe(0);
      const { url, owner } = result.json<{ url: string; owner: string }>();
      expect(owner).toBe('acme');
      expect(url).toMatch(new RegExp(`^${API_URL}/#code=[0-9A-Za-z]{16,64}$`));
      const code = url.split('#code=')[1];

      const api = new ApiClient(transport);
      const signIn = await api.call('POST', '/api/v1/session', { code });
      expect(signIn.status).toBe(200);
      const cookie = (signIn.headers['set-cookie'] as string[])[0]!;
      expect(cookie).toMatch(/^anchor_session=[0-9A-Za-z]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
      const session = api.as(null, { cookie: cookie.split(';')[0]! });
      const me = await session.call('GET', '/api/v1/session');
      expect([me.json.owner.name, typeof me.json.csrf]).toEqual(['acme', 'string']);
      const projects = await session.call('GET', '/api/v1/projects');
      expect(projects.json.items.map((p: { name: string }) => p.name)).toEqual(['alpha']);
      // A write with the cookie needs the session's CSRF value, as locally.
      expect((await session.call('PUT', '/api/v1/projects/alpha/env/FROM_DASHBOARD', { value: '1' })).status).toBe(403);
      const write = await api.as(null, { cookie: cookie.split(';')[0]!, 'x-anchor-csrf': me.json.csrf }).call('PUT', '/api/v1/projects/alpha/env/FROM_DASHBOARD', { value: '1' });
      expect(write.status, write.body).toBeLessThan(300);
      expect((await api.call('POST', '/api/v1/session', { code })).json.code).toBe('CODE_INVALID');
    } finally {
      home.cleanup();
    }
  });
});

describe('a project\'s url in the API on aws', () => {
  it('is its stack\'s CloudFront address, asked of CloudFormation once; its custom domain once a check measured it active', async () => {
    const api = new ApiClient(transport).as(seeded.a.token);
    expect((await api.call('GET', '/api/v1/projects/alpha')).json.url).toBe(SITE);
    expect((await api.call('GET', '/api/v1/projects')).json.items[0].url).toBe(SITE);
    // Listed by the tests above too: asked once in the container's life.
    expect(describeStacks.filter((s) => s === 'anchor-dev-project-alpha')).toHaveLength(1);
    // A project with no stack yet has no url (and is not asked of CloudFormation at every request either).
    expect((await new ApiClient(transport).as(seeded.b.token).call('GET', `/api/v1/projects/${seeded.b.project}`)).json.url).toBeNull();

    const domains = new DynamoDomains({ doc: documentClient(db), table: tables.domains! });
    const pending = (await domains.get('shop.example.com'))!;
    expect((await api.call('GET', '/api/v1/projects/alpha')).json.url).toBe(SITE);
    await domains.save({ ...pending, state: 'active', activeSince: new Date().toISOString() });
    // The domains are read once per 30 s for every project's url, then the active one shows.
    memory.clock.advance(30_000);
    expect((await api.call('GET', '/api/v1/projects/alpha')).json.url).toBe('https://shop.example.com');
  });

  it("still answers every route with owner B's token on owner A's resources as if they did not exist, and changes nothing", async () => {
    const before = await snapshotOfA(deps, seeded);
    expect(await runIsolationTable(new ApiClient(transport), API_ROUTES, seeded)).toBe(API_ROUTES.length);
    expect(await snapshotOfA(deps, seeded)).toEqual(before);
  });
});
