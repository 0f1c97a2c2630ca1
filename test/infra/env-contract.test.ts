import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LambdaFunctionHost } from '../../src/adapters/aws/lambda-function-host.js';
import { evaluate, type PolicyStatement } from '../../src/adapters/aws/provisioning/doctor/iam-policy.js';
import { projectTemplate } from '../../infra/stack/project-template.js';
import { sampleBuild, type SampleBuild } from '../e2e/sample-build.js';
import { FakeLambda } from '../fakes/aws-lambda.js';

/**
 * The environment contract of #11: every variable the OpenNext overrides of a built bundle read
 * on AWS is set by the function host, and what it names is allowed to the function's role.
 *
 * Which overrides a function uses on AWS is asked of anchor's own open-next.config.ts (its
 * override functions answer their name when ANCHOR_RUNTIME=aws); what each override reads is
 * read from that override's code in the sample app's installed @opennextjs/aws, and must be in
 * the built bundle too; what the host sets is what LambdaFunctionHost publishes on the stateful
 * Lambda fake; the role is the project template's.
 */

/** Set by Lambda's runtime in every function. */
const LAMBDA_SETS = new Set(['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);
/** Read with a default when unset (each checked in the override's code), or set by the bundle itself at start. */
const OPTIONAL: Record<string, string> = {
  AWS_SDK_S3_MAX_ATTEMPTS: 'retry count, defaults to 3',
  AWS_SDK_DYNAMODB_MAX_ATTEMPTS: 'retry count, defaults to 3',
  DYNAMO_BATCH_WRITE_COMMAND_CONCURRENCY: 'defaults to 4',
  OPEN_NEXT_BUILD_ID: 'assigned by the server bundle when it starts (process.env.OPEN_NEXT_BUILD_ID = …)',
  BUCKET_REGION: 'the image loader falls back to AWS_REGION',
};
/**
 * Variables of the ISR overrides (tag table, revalidation queue) that the host does not set yet:
 * #11 item 7 (ISR on AWS) adds them with their table, queue and role rights. Remove each from
 * here when it is set; a name that is set while still listed fails the test below.
 */
const AWAITING_ISR = new Set<string>();

/** What each variable names, as the action the override takes on it, for the role check. */
const RESOURCE_OF: Record<string, (env: Record<string, string>) => { actions: string[]; arn: string }> = {
  CACHE_BUCKET_NAME: (env) => ({ actions: ['s3:GetObject', 's3:PutObject'], arn: `arn:aws:s3:::${env.CACHE_BUCKET_NAME}/${env.CACHE_BUCKET_KEY_PREFIX}build-id/page.cache` }),
  BUCKET_NAME: (env) => ({ actions: ['s3:GetObject'], arn: `arn:aws:s3:::${env.BUCKET_NAME}/${env.BUCKET_KEY_PREFIX}/images/photo.png` }),
  CACHE_DYNAMO_TABLE: (env) => ({ actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'], arn: `arn:aws:dynamodb:ap-southeast-1:111122223333:table/${env.CACHE_DYNAMO_TABLE}` }),
  REVALIDATION_QUEUE_URL: (env) => ({ actions: ['sqs:SendMessage'], arn: `arn:aws:sqs:${env.REVALIDATION_QUEUE_REGION}:${env.REVALIDATION_QUEUE_URL!.split('/')[3]}:${env.REVALIDATION_QUEUE_URL!.split('/')[4]}` }),
};
/** Variables that only qualify another one's resource (key prefixes, regions). */
const QUALIFIERS = new Set(['CACHE_BUCKET_KEY_PREFIX', 'CACHE_BUCKET_REGION', 'BUCKET_KEY_PREFIX', 'BUCKET_REGION', 'REVALIDATION_QUEUE_REGION']);

const PLATFORM = { artifactsBucket: 'anchor-dev-artifacts', assetsBucket: 'anchor-dev-assets', cacheBucket: 'anchor-dev-cache' };
const ENV_READ = /process\.env\.([A-Z_][A-Z0-9_]*)|\{([\sA-Z0-9_,]+)\}\s*=\s*process\.env/g;

function envNamesIn(code: string): Set<string> {
  const names = new Set<string>();
  for (const m of code.matchAll(ENV_READ)) for (const name of (m[1] ?? m[2]!).split(',').map((n) => n.trim()).filter(Boolean)) names.add(name);
  return names;
}

function codeOf(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(mjs|cjs|js)$/.test(f) && !f.includes('node_modules/sharp') && !f.includes('node_modules/@img'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

type Kind = 'server' | 'image';
let build: SampleBuild;
const reads: Record<Kind, { override: string; names: Set<string> }[]> = { server: [], image: [] };
const hostEnv: Partial<Record<Kind, Record<string, string>>> = {};

beforeAll(async () => {
  build = await sampleBuild();
  const saved = process.env.ANCHOR_RUNTIME;
  process.env.ANCHOR_RUNTIME = 'aws';
  try {
    // A path tsc does not follow: the template type-checks against the app's @opennextjs/aws, not anchor's.
    const templatePath = new URL('../../templates/open-next.config.ts', import.meta.url).href;
    const config = ((await import(templatePath)) as { default: unknown }).default as {
      default: { override: Record<string, unknown> };
      imageOptimization: { loader: () => Promise<{ name: string }> };
    };
    const overrides: Array<[Kind, string, unknown]> = [
      ...['incrementalCache', 'tagCache', 'queue'].map((category): [Kind, string, unknown] => ['server', category, config.default.override[category]]),
      ['image', 'imageLoader', config.imageOptimization.loader],
    ];
    const overridesDir = join(build.appDir, 'node_modules/@opennextjs/aws/dist/overrides');
    for (const [kind, category, value] of overrides) {
      const name = typeof value === 'function' ? ((await (value as () => Promise<{ name: string }>)()).name) : String(value);
      reads[kind].push({ override: `${category}/${name}`, names: envNamesIn(readFileSync(join(overridesDir, category, `${name}.js`), 'utf8')) });
    }
  } finally {
    if (saved === undefined) delete process.env.ANCHOR_RUNTIME;
    else process.env.ANCHOR_RUNTIME = saved;
  }
  const lambda = new FakeLambda({ functions: ['anchor-dev-shop-server', 'anchor-dev-shop-image'] });
  const host = new LambdaFunctionHost({ lambda: lambda.client, stage: 'dev', region: 'ap-southeast-1', cacheBucket: PLATFORM.cacheBucket, assetsBucket: PLATFORM.assetsBucket, artifactsBucket: PLATFORM.artifactsBucket, buildQueueUrl: 'https://sqs.ap-southeast-1.amazonaws.com/111122223333/anchor-dev-build', originSecrets: async () => ['0123456789abcdef0123456789abcdef'], sleep: async () => {} });
  await host.publish({ projectName: 'shop', deploymentId: 'd_env', artifact: { deploymentId: 'd_env', location: `s3://${PLATFORM.artifactsBucket}/builds/shop/d_env/open-next.zip`, bytes: 1 }, env: { SHOP_NAME: 'Shop' } });
  for (const kind of ['server', 'image'] as const) hostEnv[kind] = lambda.functions.get(`anchor-dev-shop-${kind}`)!.versions.at(-1)!.env;
  lambda.mock.restore();
}, 300_000);

const required = (kind: Kind): string[] => [...new Set(reads[kind].flatMap((r) => [...r.names]))].filter((n) => !LAMBDA_SETS.has(n) && !(n in OPTIONAL)).sort();

function roleStatements(kind: Kind): PolicyStatement[] {
  const template = projectTemplate({ stage: 'dev', project: 'shop', platform: PLATFORM });
  const role = template.Resources[kind === 'server' ? 'ServerRole' : 'ImageRole']!.Properties as unknown as { Policies: { PolicyDocument: { Statement: PolicyStatement[] } }[] };
  // A resource's Arn as CloudFormation gives it (the ISR table and queue are in the same template).
  const arnOf = (logical: string): string => {
    const props = (template.Resources[logical]?.Properties ?? {}) as { TableName?: string; QueueName?: string };
    if (props.TableName) return `arn:aws:dynamodb:ap-southeast-1:111122223333:table/${props.TableName}`;
    if (props.QueueName) return `arn:aws:sqs:ap-southeast-1:111122223333:${props.QueueName}`;
    return `unresolved:${logical}`;
  };
  const resolved = JSON.stringify(role.Policies.flatMap((p) => p.PolicyDocument.Statement))
    .replace(/\{"Fn::GetAtt":\["(\w+)","Arn"\]\}/g, (_m, logical: string) => JSON.stringify(arnOf(logical)))
    .replace(/\{"Fn::Sub":"\$\{(\w+)\.Arn\}([^"]*)"\}/g, (_m, logical: string, rest: string) => JSON.stringify(`${arnOf(logical)}${rest}`))
    .replace(/\{"Fn::Sub":"([^"]*)"\}/g, (_m, text: string) => JSON.stringify(text.replace('${AWS::Partition}', 'aws').replace('${AWS::Region}', 'ap-southeast-1').replace('${AWS::AccountId}', '111122223333')));
  return JSON.parse(resolved) as PolicyStatement[];
}

describe('the environment contract between the bundle, the function host and the roles', () => {
  it('finds the AWS overrides each function uses, in the built bundle', () => {
    expect(reads.server.map((r) => r.override)).toEqual(['incrementalCache/s3-lite', 'tagCache/dynamodb-nextMode', 'queue/sqs-lite']);
    expect(reads.image.map((r) => r.override)).toEqual(['imageLoader/s3-lite']);
    // The names are really read by the code that ships, not only by the package on disk.
    for (const kind of ['server', 'image'] as const) {
      const bundled = envNamesIn(codeOf(join(build.openNextDir, kind === 'server' ? 'server-functions/default' : 'image-optimization-function')));
      expect(required(kind).filter((n) => !bundled.has(n)), kind).toEqual([]);
    }
    expect(required('server')).toEqual(expect.arrayContaining(['CACHE_BUCKET_NAME', 'CACHE_BUCKET_KEY_PREFIX', 'CACHE_BUCKET_REGION']));
    expect(required('image')).toEqual(expect.arrayContaining(['BUCKET_NAME', 'BUCKET_KEY_PREFIX']));
  });

  it.each(['server', 'image'] as const)('every variable the %s function\'s overrides read is set by the host (ISR\'s awaiting #11 item 7)', (kind) => {
    const env = hostEnv[kind]!;
    const missing = required(kind).filter((n) => !(n in env));
    expect(missing.filter((n) => !AWAITING_ISR.has(n))).toEqual([]);
    // A name still listed as awaiting but set by now: take it off the list.
    expect([...AWAITING_ISR].filter((n) => required(kind).includes(n) && n in env)).toEqual([]);
  });

  it.each(['server', 'image'] as const)('what the %s function\'s variables name, its role allows', (kind) => {
    const env = hostEnv[kind]!;
    const statements = roleStatements(kind);
    const named = required(kind).filter((n) => n in env && !QUALIFIERS.has(n));
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) {
      const rule = RESOURCE_OF[name];
      expect(rule, `${name}: say what it names in RESOURCE_OF, so its role can be checked`).toBeDefined();
      const { actions, arn } = rule!(env);
      for (const action of actions) expect(`${action} ${arn}: ${evaluate(statements, action, arn)}`).toBe(`${action} ${arn}: allowed`);
    }
  });
});
