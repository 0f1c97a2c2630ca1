import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  PreconditionFailedException,
  PublishVersionCommand,
  ResourceConflictException,
  TooManyRequestsException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { LambdaFunctionHost } from '../../src/adapters/aws/lambda-function-host.js';
import { rejectionOf } from '../contract/samples.js';
import { TEST_CREDENTIALS } from './emulators.js';

const artifact = { deploymentId: 'd_2', location: 's3://anchor-dev-artifacts/builds/shop/d_2/open-next.zip', bytes: 1000 };
const SERVER = 'anchor-dev-shop-server';
const IMAGE = 'anchor-dev-shop-image';

let lambda: LambdaClient;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the stub's input/output types are the client's union of every command
let mock: AwsStub<any, any, any>;
let host: LambdaFunctionHost;

beforeEach(() => {
  lambda = new LambdaClient({ region: 'ap-southeast-1', credentials: TEST_CREDENTIALS });
  mock = mockClient(lambda);
  host = new LambdaFunctionHost({ lambda, stage: 'dev', region: 'ap-southeast-1', cacheBucket: 'anchor-dev-cache', assetsBucket: 'anchor-dev-assets', sleep: async () => {} });
  mock.on(ListVersionsByFunctionCommand).resolves({ Versions: [{ Version: '$LATEST' }, { Version: '1', Description: 'Placeholder: no deployment yet' }] });
  mock.on(UpdateFunctionCodeCommand).resolves({ CodeSha256: 'sha-new', LastUpdateStatus: 'InProgress' });
  mock.on(UpdateFunctionConfigurationCommand).resolves({ RevisionId: 'rev-config' });
  mock.on(GetFunctionConfigurationCommand).resolves({ LastUpdateStatus: 'Successful' });
  mock.on(PublishVersionCommand, { FunctionName: SERVER }).resolves({ Version: '7' });
  mock.on(PublishVersionCommand, { FunctionName: IMAGE }).resolves({ Version: '4' });
});

describe('LambdaFunctionHost.publish', () => {
  it('points each function at its own zip beside the artifact (index.handler at its root), waits for each update, and publishes versions conditional on what it wrote', async () => {
    mock.on(GetFunctionConfigurationCommand).resolvesOnce({ LastUpdateStatus: 'InProgress' }).resolves({ LastUpdateStatus: 'Successful' });

    const version = await host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: { API_URL: 'https://api' } });

    expect(version).toEqual({ deploymentId: 'd_2', serverUrl: `lambda:${SERVER}:7`, imageUrl: `lambda:${IMAGE}:4` });
    expect(mock.commandCalls(UpdateFunctionCodeCommand).map((c) => c.args[0].input)).toEqual([
      { FunctionName: SERVER, S3Bucket: 'anchor-dev-artifacts', S3Key: 'builds/shop/d_2/server.zip' },
      { FunctionName: IMAGE, S3Bucket: 'anchor-dev-artifacts', S3Key: 'builds/shop/d_2/image.zip' },
    ]);
    const [serverConfig, imageConfig] = mock.commandCalls(UpdateFunctionConfigurationCommand).map((c) => c.args[0].input);
    expect(serverConfig).toEqual({
      FunctionName: SERVER,
      Handler: 'index.handler',
      Environment: { Variables: { API_URL: 'https://api', ANCHOR_RUNTIME: 'aws', ANCHOR_DEPLOYMENT_ID: 'd_2', CACHE_BUCKET_NAME: 'anchor-dev-cache', CACHE_BUCKET_KEY_PREFIX: 'shop/', CACHE_BUCKET_REGION: 'ap-southeast-1' } },
    });
    // The image function reads this deployment's public files (OpenNext s3-lite loader), and gets none of the project's variables.
    expect(imageConfig).toEqual({
      FunctionName: IMAGE,
      Handler: 'index.handler',
      Environment: { Variables: { ANCHOR_RUNTIME: 'aws', ANCHOR_DEPLOYMENT_ID: 'd_2', BUCKET_NAME: 'anchor-dev-assets', BUCKET_KEY_PREFIX: 'shop/d_2', BUCKET_REGION: 'ap-southeast-1' } },
    });
    expect(mock.commandCalls(PublishVersionCommand)[0]?.args[0].input).toEqual({ FunctionName: SERVER, Description: 'anchor d_2', CodeSha256: 'sha-new', RevisionId: 'rev-config' });
    // Each function: polled after the code update and after the configuration update.
    expect(mock.commandCalls(GetFunctionConfigurationCommand).length).toBeGreaterThanOrEqual(4);
    expect(mock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it('retries a ResourceConflict (update in progress) and a throttle', async () => {
    mock
      .on(UpdateFunctionCodeCommand)
      .rejectsOnce(new ResourceConflictException({ message: 'An update is in progress for resource', $metadata: {} }))
      .resolves({ CodeSha256: 'sha-new' });
    mock
      .on(PublishVersionCommand, { FunctionName: SERVER })
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves({ Version: '7' });

    const version = await host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: {} });

    expect(version.serverUrl).toBe(`lambda:${SERVER}:7`);
    expect(mock.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(3);
    expect(mock.commandCalls(PublishVersionCommand, { FunctionName: SERVER })).toHaveLength(2);
  });

  it('reuses the versions a deployment already has (a rollback publishes nothing)', async () => {
    mock.on(ListVersionsByFunctionCommand, { FunctionName: SERVER }).resolves({ Versions: [{ Version: '$LATEST' }, { Version: '5', Description: 'anchor d_2' }] });
    mock.on(ListVersionsByFunctionCommand, { FunctionName: IMAGE }).resolvesOnce({ Versions: [{ Version: '2', Description: 'anchor d_1' }], NextMarker: 'm' }).resolves({ Versions: [{ Version: '3', Description: 'anchor d_2' }] });

    const version = await host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: {} });

    expect(version).toEqual({ deploymentId: 'd_2', serverUrl: `lambda:${SERVER}:5`, imageUrl: `lambda:${IMAGE}:3` });
    expect(mock.commandCalls(UpdateFunctionCodeCommand)).toHaveLength(0);
    expect(mock.commandCalls(PublishVersionCommand)).toHaveLength(0);
  });

  it('fails with Lambda\'s reason when the update cannot be applied, and never touches the alias', async () => {
    mock.on(GetFunctionConfigurationCommand).resolves({ LastUpdateStatus: 'Failed', LastUpdateStatusReason: 'Unzipped size must be smaller than 262144000 bytes' });

    const error = await rejectionOf(host.publish({ projectName: 'shop', deploymentId: 'd_2', artifact, env: {} }));

    expect((error as Error).message).toContain('Unzipped size must be smaller than 262144000 bytes');
    expect(mock.commandCalls(PublishVersionCommand)).toHaveLength(0);
    expect(mock.commandCalls(GetAliasCommand)).toHaveLength(0);
    expect(mock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });
});

describe('LambdaFunctionHost.activate', () => {
  const version = { deploymentId: 'd_2', serverUrl: `lambda:${SERVER}:7`, imageUrl: `lambda:${IMAGE}:4` };

  it('moves alias live of both functions with the RevisionId it read', async () => {
    mock.on(GetAliasCommand, { FunctionName: SERVER }).resolves({ FunctionVersion: '6', RevisionId: 'server-rev-1', Description: 'anchor revision=3 deployment=d_1' });
    mock.on(GetAliasCommand, { FunctionName: IMAGE }).resolves({ FunctionVersion: '3', RevisionId: 'image-rev-1', Description: 'anchor revision=3 deployment=d_1' });

    await host.activate('shop', version, 4);

    expect(mock.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
      { FunctionName: SERVER, Name: 'live', FunctionVersion: '7', RevisionId: 'server-rev-1', Description: 'anchor revision=4 deployment=d_2' },
      { FunctionName: IMAGE, Name: 'live', FunctionVersion: '4', RevisionId: 'image-rev-1', Description: 'anchor revision=4 deployment=d_2' },
    ]);
  });

  it('reads the alias again when it changed between the read and the write', async () => {
    mock.on(GetAliasCommand).resolvesOnce({ FunctionVersion: '6', RevisionId: 'rev-1' }).resolves({ FunctionVersion: '6', RevisionId: 'rev-2' });
    mock.on(UpdateAliasCommand).rejectsOnce(new PreconditionFailedException({ message: 'The Revision Id provided does not match', $metadata: {} })).resolves({});

    await host.activate('shop', version, 4);

    expect(mock.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input.RevisionId)).toEqual(['rev-1', 'rev-2', 'rev-2']);
  });

  it('ignores an activation older than the one the alias already carries', async () => {
    mock.on(GetAliasCommand).resolves({ FunctionVersion: '9', RevisionId: 'rev-9', Description: 'anchor revision=5 deployment=d_3' });

    await host.activate('shop', version, 4);

    expect(mock.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });
});

describe('LambdaFunctionHost.smoke', () => {
  const version = { deploymentId: 'd_2', serverUrl: `lambda:${SERVER}:7`, imageUrl: `lambda:${IMAGE}:4` };
  const streamed = (status: number) => Buffer.concat([Buffer.from(JSON.stringify({ statusCode: status, headers: {} })), Buffer.alloc(8), Buffer.from('<html>')]);

  it('invokes the new version itself with a Function URL event and accepts a streamed 200', async () => {
    mock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: streamed(200) as never });

    await host.smoke(version, 'shop');

    const input = mock.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ FunctionName: SERVER, Qualifier: '7' });
    const event = JSON.parse(Buffer.from(input?.Payload as Uint8Array).toString('utf8'));
    expect(event).toMatchObject({ version: '2.0', rawPath: '/', requestContext: { http: { method: 'GET' } } });
  });

  it('fails on a 5xx answer or a function error', async () => {
    mock.on(InvokeCommand).resolvesOnce({ StatusCode: 200, Payload: streamed(500) as never });
    expect(((await rejectionOf(host.smoke(version, 'shop'))) as Error).message).toBe('GET / answered 500');

    mock.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from(JSON.stringify({ errorMessage: 'Cannot find module' })) as never });
    expect(((await rejectionOf(host.smoke(version, 'shop'))) as Error).message).toContain('Cannot find module');
  });
});
