import { CloudWatchLogsClient, CreateLogStreamCommand, DescribeLogStreamsCommand, GetLogEventsCommand, PutLogEventsCommand, ResourceAlreadyExistsException, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { GetParameterCommand, ParameterAlreadyExists, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CloudFrontKeyValueStoreClient, ConflictException, DescribeKeyValueStoreCommand, PutKeyCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  PreconditionFailedException,
  PublishVersionCommand,
  ResourceNotFoundException as LambdaResourceNotFound,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { TEST_CREDENTIALS, TEST_REGION } from './emulators.js';

/**
 * aws-sdk-client-mock behind services no emulator exists for here (DESIGN.md): small in-memory
 * stand-ins that answer the calls the adapters make the way the service does (paging tokens,
 * errors by name), so the contract suites can run against the real adapters and SDK clients.
 */

/** CloudWatch Logs: streams of events, GetLogEvents pages of `pageSize` with forward tokens that repeat at the end. */
export function mockCloudWatchLogs(pageSize = 7) {
  const client = new CloudWatchLogsClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS });
  const mock = mockClient(client);
  const streams = new Map<string, { timestamp: number; message: string }[]>();
  const key = (group?: string, stream?: string) => `${group}\0${stream}`;
  mock.on(CreateLogStreamCommand).callsFake((input: { logGroupName?: string; logStreamName?: string }) => {
    if (streams.has(key(input.logGroupName, input.logStreamName))) throw new ResourceAlreadyExistsException({ message: 'The specified log stream already exists', $metadata: {} });
    streams.set(key(input.logGroupName, input.logStreamName), []);
    return {};
  });
  mock.on(PutLogEventsCommand).callsFake((input: { logGroupName?: string; logStreamName?: string; logEvents?: { timestamp?: number; message?: string }[] }) => {
    const events = streams.get(key(input.logGroupName, input.logStreamName));
    if (!events) throw new ResourceNotFoundException({ message: 'The specified log stream does not exist.', $metadata: {} });
    for (const e of input.logEvents ?? []) {
      if (!e.message) throw new Error('InvalidParameterException: message must not be empty');
      events.push({ timestamp: e.timestamp ?? 0, message: e.message });
    }
    return { nextSequenceToken: String(events.length) };
  });
  mock.on(DescribeLogStreamsCommand).callsFake((input: { logGroupName?: string; logStreamNamePrefix?: string }) => ({
    logStreams: [...streams.keys()]
      .map((k) => k.split('\0') as [string, string])
      .filter(([group, stream]) => group === input.logGroupName && stream.startsWith(input.logStreamNamePrefix ?? ''))
      .map(([, logStreamName]) => ({ logStreamName })),
  }));
  mock.on(GetLogEventsCommand).callsFake((input: { logGroupName?: string; logStreamName?: string; nextToken?: string }) => {
    const events = streams.get(key(input.logGroupName, input.logStreamName));
    if (!events) throw new ResourceNotFoundException({ message: 'The specified log stream does not exist.', $metadata: {} });
    const from = input.nextToken ? Number(input.nextToken.slice(2)) : 0;
    const page = events.slice(from, from + pageSize);
    return { events: page, nextForwardToken: `f/${from + page.length}`, nextBackwardToken: `b/${from}` };
  });
  return { client, mock, streams };
}

/** SSM Parameter Store: PutParameter (Overwrite honoured) and GetParameter, values kept as given. */
export function mockSsm() {
  const client = new SSMClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS });
  const mock = mockClient(client);
  const parameters = new Map<string, { value: string; type: string }>();
  mock.on(PutParameterCommand).callsFake((input: { Name?: string; Value?: string; Type?: string; Overwrite?: boolean }) => {
    if (!input.Name || !input.Value) throw new Error('ValidationException: Name and Value are required');
    if (parameters.has(input.Name) && !input.Overwrite) throw new ParameterAlreadyExists({ message: 'The parameter already exists.', $metadata: {} });
    parameters.set(input.Name, { value: input.Value, type: input.Type ?? 'String' });
    return { Version: 1, Tier: 'Standard' };
  });
  mock.on(GetParameterCommand).callsFake((input: { Name?: string }) => {
    const found = input.Name ? parameters.get(input.Name) : undefined;
    if (!found) throw new ParameterNotFound({ message: `Parameter ${input.Name} not found.`, $metadata: {} });
    return { Parameter: { Name: input.Name, Value: found.value, Type: found.type } };
  });
  return { client, mock, parameters };
}

/**
 * The Lambda control plane of one project's functions: $LATEST code and configuration, published
 * versions, and alias `live` with a RevisionId that changes on every update (UpdateAlias with a
 * stale one fails as Lambda does). Invoke answers like the streaming server: prelude, 8 NULs, body.
 */
export function mockLambda(initial: { functions: string[] }) {
  const client = new LambdaClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS });
  const mock = mockClient(client);
  let revisions = 0;
  const nextRevision = () => `rev-${++revisions}`;
  const functions = new Map(
    initial.functions.map((name) => [
      name,
      {
        code: 'placeholder',
        config: { handler: 'index.handler', env: {} as Record<string, string>, revisionId: nextRevision() },
        versions: [{ Version: '1', Description: 'Placeholder: no deployment yet', CodeSha256: 'sha-placeholder', code: 'placeholder', env: {} as Record<string, string> }],
        alias: { FunctionVersion: '1', RevisionId: nextRevision(), Description: '' },
      },
    ]),
  );
  const smoke = { status: 200 };
  const fn = (name?: string) => {
    const found = name ? functions.get(name) : undefined;
    if (!found) throw new LambdaResourceNotFound({ message: `Function not found: ${name}`, $metadata: {} });
    return found;
  };
  const sha = (code: string) => `sha-${code}`;
  mock.on(UpdateFunctionCodeCommand).callsFake((input: { FunctionName?: string; S3Bucket?: string; S3Key?: string }) => {
    const f = fn(input.FunctionName);
    f.code = `s3://${input.S3Bucket}/${input.S3Key}`;
    f.config.revisionId = nextRevision();
    return { CodeSha256: sha(f.code), RevisionId: f.config.revisionId, LastUpdateStatus: 'InProgress' };
  });
  mock.on(GetFunctionConfigurationCommand).callsFake((input: { FunctionName?: string }) => ({ LastUpdateStatus: 'Successful', RevisionId: fn(input.FunctionName).config.revisionId }));
  mock.on(UpdateFunctionConfigurationCommand).callsFake((input: { FunctionName?: string; Handler?: string; Environment?: { Variables?: Record<string, string> } }) => {
    const f = fn(input.FunctionName);
    f.config = { handler: input.Handler ?? f.config.handler, env: input.Environment?.Variables ?? f.config.env, revisionId: nextRevision() };
    return { RevisionId: f.config.revisionId, LastUpdateStatus: 'InProgress' };
  });
  mock.on(PublishVersionCommand).callsFake((input: { FunctionName?: string; Description?: string; CodeSha256?: string; RevisionId?: string }) => {
    const f = fn(input.FunctionName);
    if ((input.CodeSha256 && input.CodeSha256 !== sha(f.code)) || (input.RevisionId && input.RevisionId !== f.config.revisionId)) {
      throw new PreconditionFailedException({ message: 'The code or revision changed', $metadata: {} });
    }
    const Version = String(f.versions.length + 1);
    f.versions.push({ Version, Description: input.Description ?? '', CodeSha256: sha(f.code), code: f.code, env: f.config.env });
    return { Version };
  });
  mock.on(ListVersionsByFunctionCommand).callsFake((input: { FunctionName?: string }) => ({ Versions: [{ Version: '$LATEST' }, ...fn(input.FunctionName).versions.map(({ Version, Description }) => ({ Version, Description }))] }));
  mock.on(GetAliasCommand).callsFake((input: { FunctionName?: string }) => ({ Name: 'live', ...fn(input.FunctionName).alias }));
  mock.on(UpdateAliasCommand).callsFake((input: { FunctionName?: string; FunctionVersion?: string; RevisionId?: string; Description?: string }) => {
    const f = fn(input.FunctionName);
    if (input.RevisionId && input.RevisionId !== f.alias.RevisionId) throw new PreconditionFailedException({ message: 'The Revision Id provided does not match the latest Revision Id', $metadata: {} });
    f.alias = { FunctionVersion: input.FunctionVersion ?? f.alias.FunctionVersion, RevisionId: nextRevision(), Description: input.Description ?? '' };
    return { ...f.alias };
  });
  mock.on(InvokeCommand).callsFake(() => ({ StatusCode: 200, Payload: Buffer.concat([Buffer.from(JSON.stringify({ statusCode: smoke.status, headers: {} })), Buffer.alloc(8), Buffer.from('<html>')]) }));
  return { client, mock, functions, smoke };
}

/** One KeyValueStore: an ETag that changes on every write; PutKey with a stale IfMatch fails. */
export function mockKeyValueStore(arn: string) {
  const client = new CloudFrontKeyValueStoreClient({ region: 'us-east-1', credentials: TEST_CREDENTIALS });
  const mock = mockClient(client);
  const store = { etag: 'etag-0', keys: new Map<string, string>() };
  mock.on(DescribeKeyValueStoreCommand).callsFake(() => ({ KvsARN: arn, ETag: store.etag, ItemCount: store.keys.size }));
  mock.on(PutKeyCommand).callsFake((input: { Key?: string; Value?: string; IfMatch?: string }) => {
    if (input.IfMatch !== store.etag) throw new ConflictException({ message: 'ETag mismatch', $metadata: {} });
    store.keys.set(input.Key ?? '', input.Value ?? '');
    store.etag = `etag-${Number(store.etag.slice(5)) + 1}`;
    return { ETag: store.etag, ItemCount: store.keys.size, TotalSizeInBytes: 1 };
  });
  return { client, mock, store };
}
