import { PublishVersionCommand, UpdateAliasCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { LambdaFunctionHost } from '../../src/adapters/aws/lambda-function-host.js';
import { rejectionOf } from '../contract/samples.js';
import { FakeLambda } from '../fakes/aws-lambda.js';
import { PLATFORM_ENV_RESERVE_BYTES } from '../../src/core/env-var.js';

const artifact = { deploymentId: 'd_2', location: 's3://anchor-dev-artifacts/builds/shop/d_2/open-next.zip', bytes: 1000 };
const SERVER = 'anchor-dev-shop-server';
const IMAGE = 'anchor-dev-shop-image';

let lambda: FakeLambda;
let host: LambdaFunctionHost;

beforeEach(() => {
  lambda = new FakeLambda({ functions: [SERVER, IMAGE] });
  host = new LambdaFunctionHost({ lambda: lambda.client, stage: 'dev', region: 'ap-southeast-1', cacheBucket: 'anchor-dev-cache', assetsBucket: 'anchor-dev-assets', artifactsBucket: 'anchor-dev-artifacts', buildQueueUrl: 'https://sqs.ap-southeast-1.amazonaws.com/111122223333/anchor-dev-build', originSecrets: async () => ['0123456789abcdef0123456789abcdef'], sleep: async () => {} });
});

describe('LambdaFunctionHost.publish', () => {
  it('publishes each function from its own zip with its own variables, using the RevisionId Lambda has once the update completed', async () => {
    const version = await host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: { API_URL: 'https://api' } });

    expect(version).toEqual({ deploymentId: 'd_2', serverUrl: `lambda:${SERVER}:2`, imageUrl: `lambda:${IMAGE}:2` });
    const server = lambda.functions.get(SERVER)!.versions[1];
    const image = lambda.functions.get(IMAGE)!.versions[1];
    expect(server).toMatchObject({ Description: 'anchor d_2', code: 's3://anchor-dev-artifacts/builds/shop/d_2/server.zip', handler: 'anchor-origin-guard.handler' });
    expect(server?.env).toEqual({ API_URL: 'https://api', ANCHOR_RUNTIME: 'aws', ANCHOR_DEPLOYMENT_ID: 'd_2', ANCHOR_ORIGIN_SECRETS: '0123456789abcdef0123456789abcdef', CACHE_BUCKET_NAME: 'anchor-dev-cache', CACHE_BUCKET_KEY_PREFIX: 'shop/', CACHE_BUCKET_REGION: 'ap-southeast-1', CACHE_DYNAMO_TABLE: 'anchor-dev-shop-tags', REVALIDATION_QUEUE_URL: 'https://sqs.ap-southeast-1.amazonaws.com/111122223333/anchor-dev-shop-revalidation.fifo', REVALIDATION_QUEUE_REGION: 'ap-southeast-1' });
    // The image function reads this deployment's public files (OpenNext s3-lite loader), and gets none of the project's variables.
    expect(image).toMatchObject({ Description: 'anchor d_2', code: 's3://anchor-dev-artifacts/builds/shop/d_2/image.zip' });
    expect(image?.env).toEqual({ ANCHOR_RUNTIME: 'aws', ANCHOR_DEPLOYMENT_ID: 'd_2', ANCHOR_ORIGIN_SECRETS: '0123456789abcdef0123456789abcdef', BUCKET_NAME: 'anchor-dev-assets', BUCKET_KEY_PREFIX: 'shop/d_2', BUCKET_REGION: 'ap-southeast-1' });
    // One PublishVersion each: no precondition failure was retried.
    expect(lambda.mock.commandCalls(PublishVersionCommand)).toHaveLength(2);
    expect(lambda.mock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it("keeps anchor's own variables on the server within the share of Lambda's 4 KB the env budget reserves for them", async () => {
    const longest = 'a'.repeat(40);
    const fns = new FakeLambda({ functions: [`anchor-prod-${longest}-server`, `anchor-prod-${longest}-image`] });
    const wide = new LambdaFunctionHost({ lambda: fns.client, stage: 'prod', region: 'ap-southeast-1', cacheBucket: 'anchor-prod-cachebucket-'.padEnd(63, 'x'), assetsBucket: 'b', artifactsBucket: 'anchor-dev-artifacts', buildQueueUrl: 'https://sqs.ap-southeast-1.amazonaws.com/111122223333/anchor-dev-build', originSecrets: async () => ['0123456789abcdef0123456789abcdef', 'fedcba9876543210fedcba9876543210'], sleep: async () => {} });
    await wide.publish({ projectName: longest, deploymentId: 'd_01JABCDEFGHJKMNPQRSTVWXYZ0', artifact, env: { USER_VALUE: '1' } });

    const env = fns.functions.get(`anchor-prod-${longest}-server`)?.config.env ?? {};
    expect(env).toHaveProperty('USER_VALUE');
    const own = Object.entries(env).filter(([key]) => key !== 'USER_VALUE');
    expect(own.reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0)).toBeLessThanOrEqual(PLATFORM_ENV_RESERVE_BYTES);
  });

  it('waits out an update another deployer started (ResourceConflict) before changing the function', async () => {
    lambda.updateConfiguration(SERVER, { env: { OTHER: '1' } });
    lambda.functions.get(SERVER)!.callsUntilDone = 3;

    await host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: {} });

    expect(lambda.mock.commandCalls(UpdateFunctionCodeCommand, { FunctionName: SERVER }).length).toBeGreaterThan(1);
    expect(lambda.functions.get(SERVER)!.versions[1]?.env).not.toHaveProperty('OTHER');
  });

  it('starts over when the function changed between its update and PublishVersion, so the version never carries the other change', async () => {
    let interfered = false;
    lambda.beforePublish = (name) => {
      if (name !== SERVER || interfered) return;
      interfered = true;
      lambda.updateConfiguration(SERVER, { env: { INTRUDER: 'yes' } });
      // Let the intruder's update complete before our PublishVersion is judged.
      lambda.functions.get(SERVER)!.callsUntilDone = 1;
    };

    const version = await host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: { MINE: '1' } });

    const published = lambda.functions.get(SERVER)!.versions.find((v) => `lambda:${SERVER}:${v.Version}` === version.serverUrl);
    expect(published?.env).toMatchObject({ MINE: '1' });
    expect(published?.env).not.toHaveProperty('INTRUDER');
    expect(lambda.mock.commandCalls(PublishVersionCommand, { FunctionName: SERVER })).toHaveLength(2);
  });

  it('reuses the versions a deployment already has (a rollback publishes nothing)', async () => {
    await host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: {} });
    const calls = lambda.mock.commandCalls(UpdateFunctionCodeCommand).length;

    const again = await host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: {} });

    expect(again).toEqual({ deploymentId: 'd_2', serverUrl: `lambda:${SERVER}:2`, imageUrl: `lambda:${IMAGE}:2` });
    expect(lambda.mock.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(calls);
  });

  it("fails with Lambda's reason when the update cannot be applied, and never touches the alias", async () => {
    lambda.failNextUpdate.set(SERVER, 'Unzipped size must be smaller than 262144000 bytes');

    const error = await rejectionOf(host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: {} }));

    expect((error as Error).message).toContain('Unzipped size must be smaller than 262144000 bytes');
    expect(lambda.mock.commandCalls(PublishVersionCommand)).toHaveLength(0);
    expect(lambda.mock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });
});

describe('LambdaFunctionHost.activate', () => {
  let version: Awaited<ReturnType<LambdaFunctionHost['publish']>>;
  beforeEach(async () => {
    version = await host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: {} });
  });

  it('switches the ISR consumer to the live build’s revalidation code with the flip, and back on a rollback', async () => {
    const REVALIDATION = 'anchor-dev-shop-revalidation';
    const fns = new FakeLambda({ functions: [SERVER, IMAGE, REVALIDATION] });
    const withIsr = new LambdaFunctionHost({ lambda: fns.client, stage: 'dev', region: 'ap-southeast-1', cacheBucket: 'c', assetsBucket: 'a', artifactsBucket: 'anchor-dev-artifacts', buildQueueUrl: 'https://sqs.ap-southeast-1.amazonaws.com/111122223333/anchor-dev-build', originSecrets: async () => ['0123456789abcdef0123456789abcdef'], sleep: async () => {} });
    const first = await withIsr.publish({ projectName: 'shop', deploymentId: 'd_1', artifact: { ...artifact, location: 's3://anchor-dev-artifacts/builds/shop/d_1/open-next.zip' }, env: {} });
    const second = await withIsr.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: {} });
    // Publishing alone leaves the consumer with the live build's code.
    expect(fns.functions.get(REVALIDATION)?.code).not.toContain('d_2');
    await withIsr.activate('shop', second, 2);
    expect(fns.functions.get(REVALIDATION)?.code).toBe('s3://anchor-dev-artifacts/builds/shop/d_2/revalidation.zip');
    await withIsr.activate('shop', first, 3);
    expect(fns.functions.get(REVALIDATION)?.code).toBe('s3://anchor-dev-artifacts/builds/shop/d_1/revalidation.zip');
    // A stack from before ISR has no consumer: the flip still happens.
    await host.activate('shop', await host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: {} }), 4);
    expect(lambda.functions.get(SERVER)?.alias.FunctionVersion).toBe('2');
  });

  it('moves alias live of both functions to the new versions', async () => {
    await host.activate('shop', version, 4);

    expect(lambda.functions.get(SERVER)!.alias).toMatchObject({ FunctionVersion: '2', Description: 'anchor revision=4 deployment=d_2' });
    expect(lambda.functions.get(IMAGE)!.alias).toMatchObject({ FunctionVersion: '2', Description: 'anchor revision=4 deployment=d_2' });
  });

  it('reads the alias again when it changed between the read and the write', async () => {
    let moved = false;
    lambda.afterGetAlias = (name) => {
      if (moved) return;
      moved = true;
      // Another writer changes the alias right after our read.
      lambda.functions.get(name)!.alias.RevisionId = 'rev-other';
    };

    await host.activate('shop', version, 4);

    expect(lambda.mock.commandCalls(UpdateAliasCommand, { FunctionName: SERVER })).toHaveLength(2);
    expect(lambda.functions.get(SERVER)!.alias.FunctionVersion).toBe('2');
  });

  it('ignores an activation older than the one the alias already carries', async () => {
    await host.activate('shop', version, 5);
    const before = { ...lambda.functions.get(SERVER)!.alias };

    await host.activate('shop', { ...version, serverUrl: `lambda:${SERVER}:1` }, 4);

    expect(lambda.functions.get(SERVER)!.alias).toEqual(before);
  });
});

describe('LambdaFunctionHost.smoke', () => {
  let version: Awaited<ReturnType<LambdaFunctionHost['publish']>>;
  beforeEach(async () => {
    version = await host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: {} });
  });

  it('invokes both functions as their RESPONSE_STREAM URLs do, and accepts streamed answers', async () => {
    await host.smoke(version, 'shop');
  });

  it('sends the origin secret as CloudFront does, and fails a version whose guard would refuse CloudFront', async () => {
    // The published version accepts the value the host set; a smoke with another value is refused as CloudFront's requests would be.
    const rotated = new LambdaFunctionHost({ lambda: lambda.client, stage: 'dev', region: 'ap-southeast-1', cacheBucket: 'c', assetsBucket: 'a', artifactsBucket: 'anchor-dev-artifacts', buildQueueUrl: 'https://sqs.ap-southeast-1.amazonaws.com/111122223333/anchor-dev-build', originSecrets: async () => ['ffffffffffffffffffffffffffffffff'], sleep: async () => {} });
    const error = (await rejectionOf(rotated.smoke(version, 'shop'))) as Error;
    expect(error.message).toMatch(/origin guard refused the origin secret/);
  });

  it('fails a server whose wrapper is buffered: its streaming URL would show visitors the raw JSON', async () => {
    lambda.behaviour = () => ({ mode: 'buffered', status: 200 });

    const error = (await rejectionOf(host.smoke(version, 'shop'))) as Error;

    expect(error.message).toContain('without a response-stream prelude');
  });

  it('fails an image function built with the buffered wrapper (its URL streams)', async () => {
    lambda.behaviour = (code) => ({ mode: code.endsWith('image.zip') ? 'buffered' : 'stream', status: 200 });

    const error = (await rejectionOf(host.smoke(version, 'shop'))) as Error;

    expect(error.message).toContain('the image function answered without a response-stream prelude');
  });

  it('fails on a 5xx answer or a function error', async () => {
    lambda.behaviour = (code) => ({ mode: 'stream', status: code.endsWith('image.zip') ? 200 : 500 });
    expect(((await rejectionOf(host.smoke(version, 'shop'))) as Error).message).toBe('GET / answered 500');

    lambda.behaviour = () => ({ mode: 'stream', status: 200, error: 'Cannot find module' });
    expect(((await rejectionOf(host.smoke(version, 'shop'))) as Error).message).toContain('Cannot find module');
  });
});
