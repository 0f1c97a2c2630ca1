import { CloudWatchLogsClient, CreateLogStreamCommand, DescribeLogStreamsCommand, GetLogEventsCommand, PutLogEventsCommand, ResourceAlreadyExistsException, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteParameterCommand, GetParameterCommand, ParameterAlreadyExists, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CloudFrontKeyValueStoreClient, ConflictException, DescribeKeyValueStoreCommand, PutKeyCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { TEST_CREDENTIALS, TEST_REGION } from './emulators.js';
import { FakeLambda } from '../fakes/aws-lambda.js';

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

/** SSM Parameter Store: PutParameter (Overwrite honoured), GetParameter and DeleteParameter, values kept as given. */
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
  mock.on(DeleteParameterCommand).callsFake((input: { Name?: string }) => {
    if (!input.Name || !parameters.delete(input.Name)) throw new ParameterNotFound({ message: `Parameter ${input.Name} not found.`, $metadata: {} });
    return {};
  });
  return { client, mock, parameters };
}

/**
 * The Lambda control plane of one project's functions (test/fakes/aws-lambda.ts: updates that
 * complete later and rotate the RevisionId, PublishVersion and UpdateAlias conditional as Lambda's
 * are). `smoke.status` is what every version answers; `smoke.error` makes it throw.
 */
export function mockLambda(initial: { functions: string[] }) {
  const fake = new FakeLambda({ functions: initial.functions, client: new LambdaClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS }) });
  const smoke: { status: number; error?: string } = { status: 200 };
  fake.behaviour = () => ({ mode: 'stream', status: smoke.status, ...(smoke.error === undefined ? {} : { error: smoke.error }) });
  return { client: fake.client, mock: fake.mock, functions: fake.functions, smoke, fake };
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

/** The live asset prefix the KeyValueStore holds for a project (resource-names.ts liveAssetValue). */
export function livePrefix(kvs: ReturnType<typeof mockKeyValueStore>, project: string): string | undefined {
  const value = kvs.store.keys.get(project);
  return value === undefined ? undefined : (JSON.parse(value) as { p: string }).p;
}
