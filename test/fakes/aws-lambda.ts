import {
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  PreconditionFailedException,
  PublishVersionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { ORIGIN_GUARD_HANDLER, ORIGIN_REFUSED_HEADER, ORIGIN_SECRET_HEADER, ORIGIN_SECRETS_ENV } from '../../src/core/origin-guard-wire.js';

/**
 * Lambda's control plane for a few functions, with the rules the service documents and a real
 * account enforces (each checked against AWS's docs, not against what anchor sends):
 *
 * - An UpdateFunctionCode or UpdateFunctionConfiguration starts an update (`LastUpdateStatus:
 *   InProgress`) that completes a few calls later; while it runs, another update or a
 *   PublishVersion is refused with ResourceConflictException.
 * - The function's RevisionId changes when an update starts **and again when it completes**, so
 *   the RevisionId an Update* call returns is stale once the update has been applied.
 * - PublishVersion checks `RevisionId` and `CodeSha256` against $LATEST (PreconditionFailed), and returns the last version unchanged when code and configuration
 *   have not changed since it was published.
 * - UpdateAlias checks the alias's RevisionId, which changes on every alias update.
 * - Invoke and InvokeWithResponseStream run what the version's code "is": a streaming handler
 *   (awslambda.streamifyResponse: JSON prelude, 8 NUL bytes, body) or a buffered one (a JSON
 *   `{statusCode, …}`). A streaming handler called with Invoke still answers its stream bytes; a
 *   buffered one called with InvokeWithResponseStream answers its JSON as one chunk, which a
 *   RESPONSE_STREAM Function URL would show the visitor as the page.
 */

export type HandlerMode = 'stream' | 'buffered';

/** The headers the origin guard refuses with (infra/stack/origin-guard.ts). */
const GUARD_REFUSED_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', [ORIGIN_REFUSED_HEADER]: 'origin-secret' };

export interface FakeVersion {
  Version: string;
  Description: string;
  CodeSha256: string;
  code: string;
  env: Record<string, string>;
  handler: string;
}

export interface FakeFunction {
  code: string;
  config: { handler: string; env: Record<string, string>; revisionId: string };
  status: 'Successful' | 'InProgress' | 'Failed';
  statusReason?: string;
  /** Calls left until the running update completes. */
  callsUntilDone: number;
  /** Whether $LATEST changed since the last published version. */
  changedSincePublish: boolean;
  versions: FakeVersion[];
  alias: { FunctionVersion: string; RevisionId: string; Description: string };
}

export interface FakeLambdaOptions {
  functions: string[];
  client?: LambdaClient;
  /** Answer for every LambdaClient made anywhere (the CLI makes its own), not only `client`. */
  everyClient?: boolean;
  /** How many calls on a function an update takes to complete (default 2: the first poll still sees InProgress). */
  updateCalls?: number;
}

/** What invoking a version's code does; tests change it to make a deploy break. */
export interface CodeBehaviour {
  mode: HandlerMode;
  status: number;
  /** Thrown by the handler (FunctionError: Unhandled) instead of answering. */
  error?: string;
}

export class FakeLambda {
  readonly client: LambdaClient;
  readonly mock;
  readonly functions = new Map<string, FakeFunction>();
  /** A failure the next update of a function ends in (LastUpdateStatus Failed), by function name. */
  readonly failNextUpdate = new Map<string, string>();
  /** Where a test plays a concurrent deployer: before a PublishVersion is judged, after a GetAlias was answered. */
  beforePublish: (name: string) => void = () => {};
  afterGetAlias: (name: string) => void = () => {};
  /**
   * How code answers, by the end of its S3 key. Default: both bundles stream (OpenNext's
   * aws-lambda-streaming wrapper, as templates/open-next.config.ts builds them) and answer 200.
   */
  behaviour: (_code: string) => CodeBehaviour = () => ({ mode: 'stream', status: 200 });
  private revisions = 0;
  private readonly updateCalls: number;

  constructor(options: FakeLambdaOptions) {
    this.client = options.client ?? new LambdaClient({ region: 'ap-southeast-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' } });
    this.mock = options.everyClient ? mockClient(LambdaClient) : mockClient(this.client);
    this.updateCalls = options.updateCalls ?? 2;
    for (const name of options.functions) {
      const code = `placeholder:${name}`;
      this.functions.set(name, {
        code,
        config: { handler: 'index.handler', env: {}, revisionId: this.nextRevision() },
        status: 'Successful',
        callsUntilDone: 0,
        changedSincePublish: false,
        versions: [{ Version: '1', Description: 'Placeholder: no deployment yet', CodeSha256: sha(code), code, env: {}, handler: 'index.handler' }],
        alias: { FunctionVersion: '1', RevisionId: this.nextRevision(), Description: '' },
      });
    }
    this.install();
  }

  /** Lambda's own RevisionIds are UUIDs; these count up so a test can tell them apart. */
  private nextRevision(): string {
    return `rev-${++this.revisions}`;
  }

  /** Finds a function and lets time pass for it: a running update completes after `updateCalls` calls. */
  private fn(name: string | undefined): FakeFunction {
    const found = name === undefined ? undefined : this.functions.get(name.replace(/:[^:]+$/, ''));
    if (!found) throw new ResourceNotFoundException({ message: `Function not found: ${name}`, $metadata: {} });
    if (found.status === 'InProgress' && --found.callsUntilDone <= 0) {
      const failure = this.failNextUpdate.get(name!);
      this.failNextUpdate.delete(name!);
      found.status = failure === undefined ? 'Successful' : 'Failed';
      found.statusReason = failure;
      found.config.revisionId = this.nextRevision();
    }
    return found;
  }

  private startUpdate(f: FakeFunction, name: string | undefined): void {
    if (f.status === 'InProgress') {
      throw new ResourceConflictException({ message: `The operation cannot be performed at this time. An update is in progress for resource: ${name}`, $metadata: {} });
    }
    f.status = 'InProgress';
    f.statusReason = undefined;
    f.callsUntilDone = this.updateCalls;
    f.changedSincePublish = true;
    f.config.revisionId = this.nextRevision();
  }

  /** UpdateFunctionConfiguration, also for a test playing another deployer. */
  updateConfiguration(name: string | undefined, change: { handler?: string; env?: Record<string, string> }): FakeFunction {
    const f = this.fn(name);
    this.startUpdate(f, name);
    f.config = { handler: change.handler ?? f.config.handler, env: change.env ?? f.config.env, revisionId: f.config.revisionId };
    return f;
  }

  /**
   * The origin guard (infra/stack/origin-guard.ts) of a version whose Handler is the guard: it
   * answers 403 without running the app unless the event carries one of the values in the
   * version's ANCHOR_ORIGIN_SECRETS. Tested against the guard's own code in test/infra/origin-guard.test.ts.
   */
  private guardRefuses(name: string | undefined, qualifier: string | undefined, payload: Uint8Array | undefined): boolean {
    const f = this.fn(name);
    const version = qualifier === 'live' ? f.alias.FunctionVersion : qualifier;
    const config = qualifier === undefined || qualifier === '$LATEST' ? f.config : f.versions.find((v) => v.Version === version);
    if (config?.handler !== ORIGIN_GUARD_HANDLER) return false;
    const accepted = (config.env[ORIGIN_SECRETS_ENV] ?? '').split(',').filter(Boolean);
    const event = JSON.parse(Buffer.from(payload ?? new Uint8Array()).toString('utf8') || '{}') as { headers?: Record<string, string> };
    const given = event.headers?.[ORIGIN_SECRET_HEADER];
    return given === undefined || !accepted.includes(given);
  }

  private codeOf(name: string | undefined, qualifier: string | undefined): string {
    const f = this.fn(name);
    if (qualifier === undefined || qualifier === '$LATEST') return f.code;
    const version = qualifier === 'live' ? f.alias.FunctionVersion : qualifier;
    const found = f.versions.find((v) => v.Version === version);
    if (!found) throw new ResourceNotFoundException({ message: `Function not found: ${name}:${qualifier}`, $metadata: {} });
    return found.code;
  }

  private install(): void {
    const { mock } = this;
    mock.on(UpdateFunctionCodeCommand).callsFake((input: { FunctionName?: string; S3Bucket?: string; S3Key?: string }) => {
      const f = this.fn(input.FunctionName);
      this.startUpdate(f, input.FunctionName);
      f.code = `s3://${input.S3Bucket}/${input.S3Key}`;
      return { FunctionName: input.FunctionName, CodeSha256: sha(f.code), RevisionId: f.config.revisionId, LastUpdateStatus: 'InProgress', State: 'Active' };
    });
    mock.on(UpdateFunctionConfigurationCommand).callsFake((input: { FunctionName?: string; Handler?: string; Environment?: { Variables?: Record<string, string> } }) => {
      const f = this.updateConfiguration(input.FunctionName, { handler: input.Handler, env: input.Environment?.Variables });
      return { FunctionName: input.FunctionName, CodeSha256: sha(f.code), RevisionId: f.config.revisionId, LastUpdateStatus: 'InProgress', State: 'Active' };
    });
    mock.on(GetFunctionConfigurationCommand).callsFake((input: { FunctionName?: string }) => {
      const f = this.fn(input.FunctionName);
      return { FunctionName: input.FunctionName, CodeSha256: sha(f.code), RevisionId: f.config.revisionId, Handler: f.config.handler, Environment: { Variables: f.config.env }, State: 'Active', LastUpdateStatus: f.status, LastUpdateStatusReason: f.statusReason };
    });
    mock.on(PublishVersionCommand).callsFake((input: { FunctionName?: string; Description?: string; CodeSha256?: string; RevisionId?: string }) => {
      this.beforePublish(input.FunctionName ?? '');
      const f = this.fn(input.FunctionName);
      if (f.status === 'InProgress') throw new ResourceConflictException({ message: `The operation cannot be performed at this time. An update is in progress for resource: ${input.FunctionName}`, $metadata: {} });
      if (input.RevisionId !== undefined && input.RevisionId !== f.config.revisionId) {
        throw new PreconditionFailedException({ message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id', $metadata: {} });
      }
      if (input.CodeSha256 !== undefined && input.CodeSha256 !== sha(f.code)) {
        throw new PreconditionFailedException({ message: 'CodeSHA256 does not match the code of $LATEST', $metadata: {} });
      }
      const last = f.versions.at(-1)!;
      if (!f.changedSincePublish) return { Version: last.Version, Description: last.Description, RevisionId: f.config.revisionId };
      const version: FakeVersion = { Version: String(Number(last.Version) + 1), Description: input.Description ?? '', CodeSha256: sha(f.code), code: f.code, env: { ...f.config.env }, handler: f.config.handler };
      f.versions.push(version);
      f.changedSincePublish = false;
      return { Version: version.Version, Description: version.Description, RevisionId: f.config.revisionId };
    });
    mock.on(ListVersionsByFunctionCommand).callsFake((input: { FunctionName?: string; Marker?: string }) => {
      const all = [{ Version: '$LATEST', Description: '' }, ...this.fn(input.FunctionName).versions.map(({ Version, Description }) => ({ Version, Description }))];
      // Pages of 50, as Lambda's default MaxItems.
      const from = Number(input.Marker ?? 0);
      return { Versions: all.slice(from, from + 50), NextMarker: from + 50 < all.length ? String(from + 50) : undefined };
    });
    mock.on(GetAliasCommand).callsFake((input: { FunctionName?: string }) => {
      const answer = { Name: 'live', ...this.fn(input.FunctionName).alias };
      this.afterGetAlias(input.FunctionName ?? '');
      return answer;
    });
    mock.on(UpdateAliasCommand).callsFake((input: { FunctionName?: string; FunctionVersion?: string; RevisionId?: string; Description?: string }) => {
      const f = this.fn(input.FunctionName);
      if (input.RevisionId !== undefined && input.RevisionId !== f.alias.RevisionId) {
        throw new PreconditionFailedException({ message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id', $metadata: {} });
      }
      if (input.FunctionVersion !== undefined && !f.versions.some((v) => v.Version === input.FunctionVersion)) {
        throw new ResourceNotFoundException({ message: `Function not found: ${input.FunctionName}:${input.FunctionVersion}`, $metadata: {} });
      }
      f.alias = { FunctionVersion: input.FunctionVersion ?? f.alias.FunctionVersion, RevisionId: this.nextRevision(), Description: input.Description ?? '' };
      return { Name: 'live', ...f.alias };
    });
    mock.on(DeleteFunctionCommand).callsFake((input: { FunctionName?: string; Qualifier?: string }) => {
      const f = this.fn(input.FunctionName);
      if (input.Qualifier === undefined) {
        this.functions.delete(input.FunctionName!);
        return {};
      }
      if (f.alias.FunctionVersion === input.Qualifier) {
        throw new ResourceConflictException({ message: `Unable to delete version because the following aliases reference it: [live]`, $metadata: {} });
      }
      f.versions = f.versions.filter((v) => v.Version !== input.Qualifier);
      return {};
    });
    mock.on(InvokeCommand).callsFake((input: { FunctionName?: string; Qualifier?: string; Payload?: Uint8Array }) => {
      const refused = this.guardRefuses(input.FunctionName, input.Qualifier, input.Payload);
      const behaviour = refused ? { ...this.behaviour(this.codeOf(input.FunctionName, input.Qualifier)), status: 403, headers: GUARD_REFUSED_HEADERS } : this.behaviour(this.codeOf(input.FunctionName, input.Qualifier));
      if (behaviour.error !== undefined) return { StatusCode: 200, FunctionError: 'Unhandled', Payload: Buffer.from(JSON.stringify({ errorType: 'Error', errorMessage: behaviour.error })) };
      return { StatusCode: 200, ExecutedVersion: input.Qualifier, Payload: answer(behaviour) };
    });
    mock.on(InvokeWithResponseStreamCommand).callsFake((input: { FunctionName?: string; Qualifier?: string; Payload?: Uint8Array }) => {
      const refused = this.guardRefuses(input.FunctionName, input.Qualifier, input.Payload);
      const behaviour = refused ? { ...this.behaviour(this.codeOf(input.FunctionName, input.Qualifier)), status: 403, headers: GUARD_REFUSED_HEADERS } : this.behaviour(this.codeOf(input.FunctionName, input.Qualifier));
      const payload = answer(behaviour);
      const events = behaviour.error !== undefined
        ? [{ InvokeComplete: { ErrorCode: 'Unhandled', ErrorDetails: JSON.stringify({ errorMessage: behaviour.error }) } }]
        : [{ PayloadChunk: { Payload: payload.subarray(0, 10) } }, { PayloadChunk: { Payload: payload.subarray(10) } }, { InvokeComplete: {} }];
      return {
        StatusCode: 200,
        ExecutedVersion: input.Qualifier,
        // A streamified HTTP handler's stream is typed so; a buffered handler's is plain JSON.
        ResponseStreamContentType: behaviour.mode === 'stream' ? 'application/vnd.awslambda.http-integration-response' : 'application/octet-stream',
        EventStream: (async function* () {
          yield* events;
        })(),
      };
    });
  }
}

/** Lambda's CodeSha256 is the base64 SHA-256 of the zip; a stand-in that differs per code location does here. */
function sha(code: string): string {
  return `sha-${code}`;
}

function answer(behaviour: CodeBehaviour & { headers?: Record<string, string> }): Buffer {
  const headers = behaviour.headers ?? { 'content-type': 'text/html' };
  if (behaviour.mode === 'buffered') return Buffer.from(JSON.stringify({ statusCode: behaviour.status, headers, body: '<html>', isBase64Encoded: false }));
  return Buffer.concat([Buffer.from(JSON.stringify({ statusCode: behaviour.status, headers })), Buffer.alloc(8), Buffer.from('<html>')]);
}
