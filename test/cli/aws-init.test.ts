import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeHandlerBundles } from '../fakes/handler-bundles.js';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCOUNT, FakeAwsControlPlane } from '../fakes/aws-control-plane.js';
import { runCli, tempHome } from './run-cli.js';

let home: ReturnType<typeof tempHome>;
let aws: FakeAwsControlPlane;
let bundles: string;
const BOOTSTRAP = `anchor-bootstrap-${ACCOUNT}-ap-southeast-1`;

/** Prebuilt handler zips (ANCHOR_HANDLER_BUNDLES), so each test does not run esbuild over the SDK. */
function writeBundles(version: Parameters<typeof writeHandlerBundles>[1] = {}): void {
  writeHandlerBundles(bundles, version);
}

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { home: home.dir, env: { ANCHOR_AWS_POLL_MS: '0', ANCHOR_HANDLER_BUNDLES: bundles, ...env } });
const platformJson = () => JSON.parse(readFileSync(join(home.dir, '.anchor', 'platforms', 'aws', 'platform.json'), 'utf8'));

beforeEach(() => {
  home = tempHome();
  bundles = join(home.dir, 'bundles');
  mkdirSync(bundles);
  writeBundles();
  aws = new FakeAwsControlPlane();
});
afterEach(() => {
  aws.restore();
  home.cleanup();
});

describe('anchor init --aws', () => {
  it('first run: asks STS first, uploads the handlers to a private encrypted bootstrap bucket, creates the stack showing its events, saves the outputs', async () => {
    const result = await cli(['init', '--aws', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const out = result.json<{ action: string; stack: string; account: string; outputs: Record<string, string>; handlers: { uploaded: string[] } }>();
    expect(out).toMatchObject({ platform: 'aws', backend: 'aws', region: 'ap-southeast-1', stage: 'dev', account: ACCOUNT, stack: 'anchor-dev', action: 'create', default: true });
    expect(out.handlers.uploaded).toEqual(['webhook', 'orchestrator', 'deploy', 'domains', 'api']);

    expect(aws.calls[0]).toBe('sts:GetCallerIdentity');
    expect(aws.calls).toContain(`s3:CreateBucket:${BOOTSTRAP}:ap-southeast-1`);
    expect(aws.calls).toContain('s3:PutPublicAccessBlock:true');
    expect(aws.calls).toContain('s3:PutBucketEncryption:AES256');
    expect(aws.calls.filter((c) => c.startsWith('s3:PutObject:') && c.endsWith('.zip'))).toHaveLength(5);
    expect(aws.calls.filter((c) => c.startsWith('s3:PutObject:') && c.endsWith('.zip')).every((c) => /^s3:PutObject:handlers\/[0-9a-f]{64}\/\w+\.zip$/.test(c))).toBe(true);
    // The stack is created only once its code is in S3.
    expect(aws.calls.indexOf('cloudformation:CreateChangeSet:CREATE')).toBeGreaterThan(aws.calls.findLastIndex((c) => c.startsWith('s3:PutObject:') && c.endsWith('.zip')));
    expect(aws.calls).toContain('cloudformation:ExecuteChangeSet');

    // --json keeps stderr quiet; a person sees every event as it arrives.
    const human = await cli(['init', '--aws', '--platform', 'other', '--stage', 'qa']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toMatch(/CREATE_IN_PROGRESS\s+ProjectsTable \(AWS::DynamoDB::Table\)/);
    expect(human.stderr).toMatch(/CREATE_COMPLETE\s+stack anchor-qa/);
    expect(human.stdout).toContain('Created platform "other": stack anchor-qa in ap-southeast-1');
    expect(human.stdout).toContain('https://a1b2c3d4e5.execute-api.ap-southeast-1.amazonaws.com/webhook/<projectId>');

    const saved = platformJson();
    expect(saved).toMatchObject({ name: 'aws', backend: 'aws', region: 'ap-southeast-1', stage: 'dev', account: ACCOUNT, bootstrapBucket: BOOTSTRAP, projects: {} });
    expect(saved.outputs).toMatchObject({ Stage: 'dev', WebhookApiUrl: 'https://a1b2c3d4e5.execute-api.ap-southeast-1.amazonaws.com', ArtifactsBucketName: 'anchor-dev-artifactsbucket-1a2b3c', BuildQueueUrl: expect.stringContaining('sqs') });
    // The template the stack got points its functions at exactly the uploaded keys.
    const template = JSON.parse(aws.stacks.get('anchor-dev')!.template);
    expect(template.Resources.WebhookFunction.Properties.Code).toEqual({ S3Bucket: BOOTSTRAP, S3Key: expect.stringMatching(/^handlers\/[0-9a-f]{64}\/webhook\.zip$/) });
  });

  it('run again with the same code: uploads nothing, deletes the empty change set, says "no changes"', async () => {
    expect((await cli(['init', '--aws'])).code).toBe(0);
    aws.calls.length = 0;
    const again = await cli(['init', '--aws']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('No changes: platform "aws" (stack anchor-dev in ap-southeast-1) is up to date.');
    expect(aws.calls.filter((c) => c.startsWith('s3:PutObject') || c.startsWith('s3:CreateBucket'))).toEqual([]);
    expect(aws.calls).toContain('cloudformation:CreateChangeSet:UPDATE');
    expect(aws.calls).toContain('cloudformation:DeleteChangeSet');
    expect(aws.calls).not.toContain('cloudformation:ExecuteChangeSet');
    expect(aws.stacks.get('anchor-dev')?.status).toBe('CREATE_COMPLETE');
  });

  it('changed handler code: uploads only that zip and updates the stack', async () => {
    expect((await cli(['init', '--aws'])).code).toBe(0);
    writeBundles({ webhook: 'webhook v2' });
    aws.calls.length = 0;
    const update = await cli(['init', '--aws', '--json']);
    expect(update.code, update.stderr).toBe(0);
    expect(update.json()).toMatchObject({ action: 'update', handlers: { uploaded: ['webhook'], unchanged: ['orchestrator', 'deploy', 'domains', 'api'] } });
    expect(aws.stacks.get('anchor-dev')?.status).toBe('UPDATE_COMPLETE');
    const human = await cli(['init', '--aws']);
    expect(human.stdout).toContain('No changes');
  });

  it('a rollback names the resource that failed and CloudFormation’s reason, exits non-zero, saves nothing; the rerun starts over', async () => {
    aws.failNext('anchor-dev', { logicalId: 'BuildProject', reason: 'Resource handler returned message: "Cannot have more than 0 builds in queue for the account" (Service: CodeBuild, Status Code: 400)' });
    const failed = await cli(['init', '--aws']);
    expect(failed.code).toBe(6);
    expect(failed.stderr).toMatch(/CREATE_FAILED\s+BuildProject/);
    expect(failed.stderr).toContain('✖ Stack anchor-dev was rolled back (ROLLBACK_COMPLETE): BuildProject (AWS::CodeBuild::Project) failed: Resource handler returned message: "Cannot have more than 0 builds in queue');
    expect(failed.stderr).toContain('→ Nothing was kept.');
    expect(existsSync(join(home.dir, '.anchor', 'platforms', 'aws', 'platform.json'))).toBe(false);

    const json = await cli(['init', '--aws', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(aws.calls).toContain('cloudformation:DeleteStack:anchor-dev');
    expect(json.json()).toMatchObject({ action: 'create' });
  });

  it('a failed update says the stack is back as it was', async () => {
    expect((await cli(['init', '--aws'])).code).toBe(0);
    writeBundles({ deploy: 'deploy v2' });
    aws.failNext('anchor-dev', { logicalId: 'DeployFunction', reason: 'Resource handler returned message: "Error occurred while GetObject. S3 Error Code: AccessDenied."' });
    const failed = await cli(['init', '--aws', '--json']);
    expect(failed.code).toBe(6);
    expect(failed.json()).toMatchObject({ error: { code: 'STACK_ROLLED_BACK', details: { resource: 'DeployFunction', status: 'UPDATE_ROLLBACK_COMPLETE' } } });
    expect(failed.json<{ error: { hint: string } }>().error.hint).toContain('back as it was');
  });

  it('without credentials: exit 5, names what to set, calls nothing else', async () => {
    aws.noCredentials();
    const result = await cli(['init', '--aws']);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('anchor found no AWS credentials');
    for (const hint of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'aws configure']) expect(result.stderr).toContain(hint);
    expect(aws.calls).toEqual([]);
    expect(existsSync(join(home.dir, '.anchor', 'platforms'))).toBe(false);
  });

  it('--print-template writes the template JSON (bundled here, no credentials) and calls no AWS API', async () => {
    aws.noCredentials();
    const result = await runCli(['init', '--aws', '--print-template', '--stage', 'prod'], { home: home.dir });
    expect(result.code, result.stderr).toBe(0);
    const template = JSON.parse(result.stdout);
    expect(template.Description).toContain('anchor platform (prod)');
    expect(template.Resources.OrchestratorFunction.Properties.Code).toEqual({ S3Bucket: { 'Fn::Sub': 'anchor-bootstrap-${AWS::AccountId}-${AWS::Region}' }, S3Key: expect.stringMatching(/^handlers\/[0-9a-f]{64}\/orchestrator\.zip$/) });
    expect(aws.calls).toEqual([]);
    expect(existsSync(join(home.dir, '.anchor'))).toBe(false);
  }, 60_000);

  it('--print-template --project prints that project\'s stack as projects add deploys it, platform buckets as parameters, touching nothing', async () => {
    aws.noCredentials();
    const result = await runCli(['init', '--aws', '--print-template', '--project', 'shop', '--stage', 'prod'], { home: home.dir });
    expect(result.code, result.stderr).toBe(0);
    const template = JSON.parse(result.stdout);
    expect(template.Description).toContain('anchor project shop (prod)');
    expect(Object.keys(template.Parameters)).toEqual(expect.arrayContaining(['ArtifactsBucketName', 'AssetsBucketName', 'CacheBucketName', 'ServerLiveVersion']));
    expect(template.Resources.ServerFunction.Properties.FunctionName).toBe('anchor-prod-shop-server');
    expect(template.Resources.ServerFunction.Properties.Environment.Variables.CACHE_BUCKET_NAME).toEqual({ Ref: 'CacheBucketName' });
    expect(JSON.stringify(template.Resources.ServerRole)).toContain('s3:::${CacheBucketName}/shop/*');
    // No placeholder is left where CloudFormation would not substitute it.
    const outsideSub = JSON.stringify(template, (key, value) => (value && typeof value === 'object' && 'Fn::Sub' in value ? null : value));
    expect(outsideSub).not.toMatch(/\$\{(Artifacts|Assets|Cache)BucketName\}/);
    expect(aws.calls).toEqual([]);
    expect(existsSync(join(home.dir, '.anchor'))).toBe(false);

    expect((await runCli(['init', '--aws', '--print-template', '--project', 'Bad_Name'], { home: home.dir })).code).toBe(2);
  });

  it('refuses a bad stage or region before touching AWS', async () => {
    expect((await cli(['init', '--aws', '--stage', 'Prod_1'])).code).toBe(2);
    expect((await cli(['init', '--aws', '--region', 'singapore'])).code).toBe(2);
    expect(aws.calls).toEqual([]);
  });
});
