import { randomUUID } from 'node:crypto';
import {
  DeleteFunctionCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  type GetFunctionConfigurationCommandOutput,
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  type InvokeWithResponseStreamResponseEvent,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { artifactFolder, assetPrefix, functionCodeKeyBeside, projectResourceName, REVALIDATION_ZIP, revalidationQueueUrl, tagTableName, type FUNCTION_ZIPS } from './resource-names.js';
import { AnchorError } from '../../core/errors.js';
import type { ArtifactInfo, FunctionHost, FunctionVersion } from '../../core/ports/index.js';
import type { FunctionUrlEvent } from '../../core/lambda-wire.js';
import { FUNCTION_WRAPPER, invokeModeOf, type CpuArch } from '../../core/opennext-output.js';
import { parseS3Location } from './s3-zip.js';
import { ORIGIN_GUARD_HANDLER, ORIGIN_REFUSED_HEADER, ORIGIN_SECRET_HEADER, ORIGIN_SECRETS_ENV } from '../../core/origin-guard-wire.js';
import { awsErrorNamed } from './aws-errors.js';

export interface LambdaFunctionHostOptions {
  lambda: LambdaClient;
  stage: string;
  region: string;
  /** The ISR cache bucket (OpenNext s3-lite reads CACHE_BUCKET_*); keys under `<project>/`. */
  cacheBucket: string;
  /** The static assets bucket, where the image function's s3-lite loader reads the deployment's public files (BUCKET_*). */
  assetsBucket: string;
  /** Where the builds put each deployment's revalidation.zip (the ISR consumer's code). */
  artifactsBucket: string;
  /** The platform's build queue URL: the revalidation queue's URL is made from it (resource-names.ts revalidationQueueUrl). */
  buildQueueUrl: string;
  /** The functions' architecture, as the project stack sets it (default arm64). */
  architecture?: 'arm64' | 'x86_64';
  /**
   * The origin header values a project's functions accept (origin-secret.ts acceptedOriginSecrets:
   * the current one first); set in each version's environment for the origin guard.
   */
  originSecrets(project: string): Promise<string[]>;
  /** Waits between retries and polls; tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Tries of one Lambda call that keeps answering ResourceConflict / TooManyRequests (default 6). */
  maxAttempts?: number;
}

type Kind = keyof typeof FUNCTION_ZIPS;
const ALIAS = 'live';
/** Errors a call is retried on unchanged. A PreconditionFailed is not among them: the caller must read the resource again first. */
const RETRIED = new Set(['ResourceConflictException', 'TooManyRequestsException', 'ThrottlingException']);
const UPDATE_POLLS = 120;

/**
 * The project's server and image Lambda functions (project stack), alias `live`.
 *
 * `publish` points each function's code at its own zip, which the build uploaded beside the
 * artifact (server.zip, image.zip: the bundle with index.mjs at the root, so each function stays
 * under Lambda's 250 MB without the assets and the other bundle), waits until applied, sets the
 * runtime env, and publishes a version described `anchor <deploymentId>`; PublishVersion is
 * conditional on the code hash and revision just written, so a concurrent deploy can never slip
 * its code into our version. A deployment that already has versions (a rollback) reuses them.
 * `activate` moves the alias with the RevisionId it read. `remove` deletes a dropped deployment's
 * versions (core retention), never the aliased one.
 */
export class LambdaFunctionHost implements FunctionHost {
  readonly cpu: CpuArch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: LambdaFunctionHostOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.cpu = options.architecture === 'x86_64' ? 'x64' : 'arm64';
  }

  async publish(input: { projectName: string; deploymentId: string; artifact: ArtifactInfo; env: Record<string, string> }): Promise<FunctionVersion> {
    const server = await this.publishOne('server', input);
    const image = await this.publishOne('image', input);
    return { deploymentId: input.deploymentId, serverUrl: versionUrl(server.fn, server.version), imageUrl: versionUrl(image.fn, image.version) };
  }

  /**
   * Invokes each new version the way its Function URL will (InvokeWithResponseStream for a
   * RESPONSE_STREAM URL, Invoke for a BUFFERED one: the mode the wrapper it is built with needs).
   * A handler whose answer does not have that mode's form would show visitors its raw payload,
   * so the form is checked as well as the status: an error or a 5xx fails the deploy.
   */
  async smoke(version: FunctionVersion, projectName: string): Promise<void> {
    // The smoke request comes in as CloudFront's do, with the origin header, so it passes the guard.
    const [secret = ''] = await this.options.originSecrets(projectName);
    await this.smokeOne('server', version.serverUrl, smokeEvent(projectName, '/', secret));
    // Without a url= the optimizer answers 400 itself: it loaded, and it answers in its URL's mode.
    await this.smokeOne('image', version.imageUrl, smokeEvent(projectName, '/_next/image', secret));
  }

  private async smokeOne(kind: Kind, url: string, event: FunctionUrlEvent): Promise<void> {
    const { fn, version } = parseVersionUrl(url);
    const Payload = Buffer.from(JSON.stringify(event));
    const mode = invokeModeOf(FUNCTION_WRAPPER[kind]);
    const path = event.rawPath;
    let status: number | null;
    let refused = false;
    if (mode === 'RESPONSE_STREAM') {
      const streamed = await this.call(() => this.options.lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: fn, Qualifier: version, Payload })));
      const { payload, error } = await readStream(streamed.EventStream);
      if (error !== null) throw smokeFailed(kind, `the ${kind} function threw: ${error}`);
      const prelude = streamedPrelude(payload);
      status = prelude?.status ?? null;
      refused = prelude?.refused ?? false;
      if (status === null) {
        throw smokeFailed(kind, `the ${kind} function answered without a response-stream prelude (${JSON.stringify(payload.subarray(0, 60).toString('utf8'))}…): it is not built with the ${FUNCTION_WRAPPER[kind]} wrapper its RESPONSE_STREAM URL needs`);
      }
    } else {
      const buffered = await this.call(() => this.options.lambda.send(new InvokeCommand({ FunctionName: fn, Qualifier: version, Payload })));
      const payload = Buffer.from(buffered.Payload ?? new Uint8Array()).toString('utf8');
      if (buffered.FunctionError) throw smokeFailed(kind, `the ${kind} function threw: ${safeJson<{ errorMessage?: string }>(payload)?.errorMessage ?? payload.slice(0, 300)}`);
      const answer = safeJson<{ statusCode?: unknown; headers?: Record<string, unknown> }>(payload);
      status = typeof answer?.statusCode === 'number' ? answer.statusCode : null;
      refused = answer?.headers?.[ORIGIN_REFUSED_HEADER] !== undefined;
      if (status === null) throw smokeFailed(kind, `the ${kind} function did not answer a buffered {statusCode} response: its wrapper does not match its BUFFERED URL`);
    }
    if (refused) throw smokeFailed(kind, `the ${kind} function's origin guard refused the origin secret: CloudFront's requests would all get 403`);
    if (status >= 500) throw smokeFailed(kind, `GET ${path} answered ${status}`);
  }

  async activate(projectName: string, version: FunctionVersion, revision: number): Promise<void> {
    await this.moveAliases(version, revision);
    await this.activateRevalidation(projectName, version.deploymentId);
  }

  private async moveAliases(version: FunctionVersion, revision: number): Promise<void> {
    for (const url of [version.serverUrl, version.imageUrl]) {
      const { fn, version: target } = parseVersionUrl(url);
      for (let attempt = 1; ; attempt++) {
        const alias = await this.call(() => this.options.lambda.send(new GetAliasCommand({ FunctionName: fn, Name: ALIAS })));
        // An activation older than one already applied is ignored (two deploys finishing out of order).
        const applied = /revision=(\d+)/.exec(alias.Description ?? '');
        if (applied && Number(applied[1]) >= revision) break;
        try {
          await this.options.lambda.send(
            new UpdateAliasCommand({ FunctionName: fn, Name: ALIAS, FunctionVersion: target, RevisionId: alias.RevisionId, Description: `anchor revision=${revision} deployment=${version.deploymentId}` }),
          );
          break;
        } catch (error) {
          // The alias changed between our read and write (or Lambda was busy): read it again.
          const stale = awsErrorNamed(error, 'PreconditionFailedException');
          if ((!stale && !isRetried(error)) || attempt >= this.maxAttempts) throw error;
          await this.sleep(backoff(attempt));
        }
      }
    }
  }

  /**
   * The ISR consumer runs the live deployment's revalidation code: it carries that build's
   * preview id, which the server checks on a revalidation request. Switched once the site is
   * (a rollback switches it back). A stack from before ISR has no consumer, and a build without
   * one has no zip: both leave it as it is.
   */
  private async activateRevalidation(projectName: string, deploymentId: string): Promise<void> {
    const fn = projectResourceName(this.options.stage, projectName, 'revalidation');
    try {
      await this.call(() => this.options.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: fn, S3Bucket: this.options.artifactsBucket, S3Key: `${artifactFolder(projectName, deploymentId)}/${REVALIDATION_ZIP}` })));
    } catch (error) {
      const absent = awsErrorNamed(error, 'ResourceNotFoundException') || (awsErrorNamed(error, 'InvalidParameterValueException') && error instanceof Error && /S3/i.test(error.message));
      if (!absent) throw error;
    }
  }

  /** Lambda keeps versions until retention removes them: the version just unpinned must stay for requests in flight and rollbacks. */
  async release(): Promise<void> {}

  private get maxAttempts(): number {
    return this.options.maxAttempts ?? 6;
  }

  /**
   * Code, then configuration, then PublishVersion conditional on both. The RevisionId to publish
   * with is the one read once the configuration update has completed: Lambda changes it again
   * when an update finishes, so the one UpdateFunctionConfiguration returns is already stale. A
   * precondition failure means someone else changed the function in between: start over, so the
   * version never carries their code or variables under our description.
   */
  private async publishOne(kind: Kind, input: { projectName: string; deploymentId: string; artifact: ArtifactInfo; env: Record<string, string> }): Promise<{ fn: string; version: string }> {
    const fn = projectResourceName(this.options.stage, input.projectName, kind);
    const description = `anchor ${input.deploymentId}`;
    const existing = await this.findVersion(fn, description);
    if (existing) return { fn, version: existing };
    const { bucket, key: artifactKey } = parseS3Location(input.artifact.location);
    const environment = await this.environment(kind, input);
    for (let attempt = 1; ; attempt++) {
      const code = await this.call(() => this.options.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: fn, S3Bucket: bucket, S3Key: functionCodeKeyBeside(artifactKey, kind) })));
      await this.waitUntilUpdated(fn);
      await this.call(() => this.options.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Handler: ORIGIN_GUARD_HANDLER, Environment: { Variables: environment } })));
      const applied = await this.waitUntilUpdated(fn);
      try {
        const published = await this.call(() => this.options.lambda.send(new PublishVersionCommand({ FunctionName: fn, Description: description, CodeSha256: code.CodeSha256, RevisionId: applied.RevisionId })));
        if (!published.Version) throw new AnchorError({ code: 'LAMBDA_NO_VERSION', kind: 'external', message: `PublishVersion of ${fn} returned no version.` });
        return { fn, version: published.Version };
      } catch (error) {
        if (!(awsErrorNamed(error, 'PreconditionFailedException')) || attempt >= this.maxAttempts) throw error;
        await this.sleep(backoff(attempt));
      }
    }
  }

  /**
   * The whole environment of a version (UpdateFunctionConfiguration replaces it, so this is all
   * the function will see). The server gets the project's runtime variables and the ISR cache; the
   * image function only where its deployment's public files are (each version keeps its own
   * prefix, so a rollback serves the old images), and none of the project's secrets. Both get
   * the origin header values their guard accepts.
   */
  private async environment(kind: Kind, input: { projectName: string; deploymentId: string; env: Record<string, string> }): Promise<Record<string, string>> {
    const anchor = { ANCHOR_RUNTIME: 'aws', ANCHOR_DEPLOYMENT_ID: input.deploymentId, [ORIGIN_SECRETS_ENV]: (await this.options.originSecrets(input.projectName)).join(',') };
    if (kind === 'image') return { ...anchor, BUCKET_NAME: this.options.assetsBucket, BUCKET_KEY_PREFIX: assetPrefix(input.projectName, input.deploymentId), BUCKET_REGION: this.options.region };
    return {
      ...input.env,
      ...anchor,
      CACHE_BUCKET_NAME: this.options.cacheBucket,
      CACHE_BUCKET_KEY_PREFIX: `${input.projectName}/`,
      CACHE_BUCKET_REGION: this.options.region,
      // ISR (infra/stack/project-isr.ts): OpenNext's dynamodb tag cache and sqs-lite queue read these.
      CACHE_DYNAMO_TABLE: tagTableName(this.options.stage, input.projectName),
      REVALIDATION_QUEUE_URL: revalidationQueueUrl(this.options.buildQueueUrl, this.options.stage, input.projectName),
      REVALIDATION_QUEUE_REGION: this.options.region,
    };
  }

  /**
   * Deletes the deployment's server and image versions (DeleteFunction with the version as
   * qualifier, which the deploy role may do only on qualified ARNs). A version alias `live` points
   * at is left, whatever the caller thinks: Lambda would refuse it anyway, and that is the site.
   */
  async remove(projectName: string, deploymentId: string): Promise<void> {
    for (const kind of ['server', 'image'] as const) {
      const fn = projectResourceName(this.options.stage, projectName, kind);
      const version = await this.findVersion(fn, `anchor ${deploymentId}`);
      if (!version) continue;
      const alias = await this.call(() => this.options.lambda.send(new GetAliasCommand({ FunctionName: fn, Name: ALIAS })));
      if (alias.FunctionVersion === version) continue;
      try {
        await this.call(() => this.options.lambda.send(new DeleteFunctionCommand({ FunctionName: fn, Qualifier: version })));
      } catch (error) {
        // Gone already (a retention run before), or aliased since we read the alias: both leave it be.
        if (awsErrorNamed(error, 'ResourceNotFoundException', 'ResourceConflictException')) continue;
        throw error;
      }
    }
  }

  private async findVersion(fn: string, description: string): Promise<string | null> {
    let marker: string | undefined;
    do {
      const page = await this.call(() => this.options.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: fn, Marker: marker })));
      const found = page.Versions?.find((v) => v.Version !== '$LATEST' && v.Description === description);
      if (found?.Version) return found.Version;
      marker = page.NextMarker;
    } while (marker);
    return null;
  }

  /** Polls until the last update has been applied, and returns the configuration as it then is (its RevisionId is the current one). */
  private async waitUntilUpdated(fn: string): Promise<GetFunctionConfigurationCommandOutput> {
    for (let poll = 0; poll < UPDATE_POLLS; poll++) {
      const config = await this.call(() => this.options.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn })));
      if (config.LastUpdateStatus === 'Failed') {
        throw new AnchorError({ code: 'LAMBDA_UPDATE_FAILED', kind: 'external', message: `Lambda could not apply the update to ${fn}: ${config.LastUpdateStatusReason ?? 'no reason given'}` });
      }
      if (config.LastUpdateStatus === 'Successful' || config.LastUpdateStatus === undefined) return config;
      await this.sleep(Math.min(2000, 250 * (poll + 1)));
    }
    throw new AnchorError({ code: 'LAMBDA_UPDATE_TIMEOUT', kind: 'external', message: `${fn} was still updating after ${UPDATE_POLLS} checks.` });
  }

  /** Retries what Lambda asks to retry: an update in progress (ResourceConflict) and throttling. */
  private async call<T>(send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        if (!isRetried(error) || attempt >= this.maxAttempts) throw error;
        await this.sleep(backoff(attempt));
      }
    }
  }
}

function isRetried(error: unknown): boolean {
  return error instanceof Error && RETRIED.has(error.name);
}

function backoff(attempt: number): number {
  return Math.min(5000, 200 * 2 ** (attempt - 1)) + Math.floor(Math.random() * 100);
}

/** A FunctionVersion's URLs on AWS name a function version: `lambda:<function>:<version>`. */
function versionUrl(fn: string, version: string): string {
  return `lambda:${fn}:${version}`;
}

function parseVersionUrl(url: string): { fn: string; version: string } {
  const match = /^lambda:([^:]+):(\d+)$/.exec(url);
  if (!match?.[1] || !match[2]) throw new AnchorError({ code: 'FUNCTION_VERSION_INVALID', kind: 'internal', message: `"${url}" does not name a Lambda function version.` });
  return { fn: match[1], version: match[2] };
}

function smokeEvent(projectName: string, path: string, originSecret: string): FunctionUrlEvent {
  const now = new Date();
  const host = `${projectName}.smoke.anchor.invalid`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host, 'x-forwarded-host': host, 'x-forwarded-proto': 'https', 'x-anchor-smoke': '1', 'user-agent': 'anchor-smoke', [ORIGIN_SECRET_HEADER]: originSecret },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'anchor-smoke',
      domainName: host,
      domainPrefix: projectName,
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'anchor-smoke' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
}

/** The whole streamed payload, or the error the invocation ended with. */
async function readStream(events: AsyncIterable<InvokeWithResponseStreamResponseEvent> | undefined): Promise<{ payload: Buffer; error: string | null }> {
  const chunks: Buffer[] = [];
  let error: string | null = null;
  for await (const event of events ?? []) {
    if (event.PayloadChunk?.Payload) chunks.push(Buffer.from(event.PayloadChunk.Payload));
    if (event.InvokeComplete?.ErrorCode) {
      error = safeJson<{ errorMessage?: string }>(event.InvokeComplete.ErrorDetails ?? '')?.errorMessage ?? event.InvokeComplete.ErrorDetails ?? event.InvokeComplete.ErrorCode;
    }
  }
  return { payload: Buffer.concat(chunks), error };
}

/**
 * The status (and whether the origin guard refused) in the prelude a streaming HTTP handler (awslambda.HttpResponseStream) writes
 * before its body: JSON, then 8 NUL bytes. Null when the payload has no such prelude.
 */
function streamedPrelude(payload: Buffer): { status: number; refused: boolean } | null {
  const end = payload.indexOf(Buffer.alloc(8));
  if (end === -1) return null;
  const prelude = safeJson<{ statusCode?: unknown; headers?: Record<string, unknown> }>(payload.subarray(0, end).toString('utf8'));
  return typeof prelude?.statusCode === 'number' ? { status: prelude.statusCode, refused: prelude.headers?.[ORIGIN_REFUSED_HEADER] !== undefined } : null;
}

function smokeFailed(kind: Kind, message: string): AnchorError {
  return new AnchorError({ code: 'SMOKE_FAILED', kind: 'external', message, hint: `The ${kind} function of the new version was not put live; the build log and the function's CloudWatch log say more.` });
}

function safeJson<T>(text: string): T | null {
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
