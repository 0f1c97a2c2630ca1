import { randomUUID } from 'node:crypto';
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { assetPrefix, projectResourceName, type FUNCTION_ZIPS } from './resource-names.js';
import { AnchorError } from '../../core/errors.js';
import type { ArtifactInfo, FunctionHost, FunctionVersion } from '../../core/ports/index.js';
import type { FunctionUrlEvent } from '../../core/lambda-wire.js';
import { functionZipKey } from './s3-artifacts.js';
import { parseS3Location } from './s3-zip.js';

export interface LambdaFunctionHostOptions {
  lambda: LambdaClient;
  stage: string;
  region: string;
  /** The ISR cache bucket (OpenNext s3-lite reads CACHE_BUCKET_*); keys under `<project>/`. */
  cacheBucket: string;
  /** The static assets bucket, where the image function's s3-lite loader reads the deployment's public files (BUCKET_*). */
  assetsBucket: string;
  /** Waits between retries and polls; tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Tries of one Lambda call that keeps answering ResourceConflict / TooManyRequests (default 6). */
  maxAttempts?: number;
}

type Kind = keyof typeof FUNCTION_ZIPS;
const ALIAS = 'live';
const RETRIED = new Set(['ResourceConflictException', 'TooManyRequestsException', 'ThrottlingException', 'PreconditionFailedException']);
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
 * `activate` moves the alias with the RevisionId it read. Old versions are never deleted here.
 */
export class LambdaFunctionHost implements FunctionHost {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: LambdaFunctionHostOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async publish(input: { projectName: string; deploymentId: string; artifact: ArtifactInfo; env: Record<string, string> }): Promise<FunctionVersion> {
    const server = await this.publishOne('server', input);
    const image = await this.publishOne('image', input);
    return { deploymentId: input.deploymentId, serverUrl: versionUrl(server.fn, server.version), imageUrl: versionUrl(image.fn, image.version) };
  }

  /** Invokes the new server version directly with a Function URL-shaped GET /; an error or a 5xx fails the deploy. */
  async smoke(version: FunctionVersion, projectName: string): Promise<void> {
    const { fn, version: qualifier } = parseVersionUrl(version.serverUrl);
    const response = await this.call(() => this.options.lambda.send(new InvokeCommand({ FunctionName: fn, Qualifier: qualifier, Payload: Buffer.from(JSON.stringify(smokeEvent(projectName))) })));
    const payload = Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8');
    if (response.FunctionError) {
      const message = safeJson<{ errorMessage?: string }>(payload)?.errorMessage ?? payload.slice(0, 300);
      throw new AnchorError({ code: 'SMOKE_FAILED', kind: 'external', message: `the server function threw: ${message}` });
    }
    const status = responseStatus(payload);
    if (status !== null && status >= 500) throw new AnchorError({ code: 'SMOKE_FAILED', kind: 'external', message: `GET / answered ${status}` });
  }

  async activate(projectName: string, version: FunctionVersion, revision: number): Promise<void> {
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
          if (!isRetried(error) || attempt >= this.maxAttempts) throw error;
          await this.sleep(backoff(attempt));
        }
      }
    }
  }

  /** Lambda keeps versions until retention removes them: the version just unpinned must stay for requests in flight and rollbacks. */
  async release(): Promise<void> {}

  private get maxAttempts(): number {
    return this.options.maxAttempts ?? 6;
  }

  private async publishOne(kind: Kind, input: { projectName: string; deploymentId: string; artifact: ArtifactInfo; env: Record<string, string> }): Promise<{ fn: string; version: string }> {
    const fn = projectResourceName(this.options.stage, input.projectName, kind);
    const description = `anchor ${input.deploymentId}`;
    const existing = await this.findVersion(fn, description);
    if (existing) return { fn, version: existing };
    const { bucket, key: artifactKey } = parseS3Location(input.artifact.location);
    const key = functionZipKey(artifactKey, kind);
    const code = await this.call(() => this.options.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: fn, S3Bucket: bucket, S3Key: key })));
    await this.waitUntilUpdated(fn);
    const config = await this.call(() =>
      this.options.lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: fn,
          Handler: 'index.handler',
          Environment: { Variables: this.environment(kind, input) },
        }),
      ),
    );
    await this.waitUntilUpdated(fn);
    const published = await this.call(() => this.options.lambda.send(new PublishVersionCommand({ FunctionName: fn, Description: description, CodeSha256: code.CodeSha256, RevisionId: config.RevisionId })));
    if (!published.Version) throw new AnchorError({ code: 'LAMBDA_NO_VERSION', kind: 'external', message: `PublishVersion of ${fn} returned no version.` });
    return { fn, version: published.Version };
  }

  /**
   * The whole environment of a version (UpdateFunctionConfiguration replaces it, so this is all
   * the function will see). The server gets the project's runtime variables and the ISR cache; the
   * image function only where its deployment's public files are (each version keeps its own
   * prefix, so a rollback serves the old images), and none of the project's secrets.
   */
  private environment(kind: Kind, input: { projectName: string; deploymentId: string; env: Record<string, string> }): Record<string, string> {
    const anchor = { ANCHOR_RUNTIME: 'aws', ANCHOR_DEPLOYMENT_ID: input.deploymentId };
    if (kind === 'image') return { ...anchor, BUCKET_NAME: this.options.assetsBucket, BUCKET_KEY_PREFIX: assetPrefix(input.projectName, input.deploymentId), BUCKET_REGION: this.options.region };
    return {
      ...input.env,
      ...anchor,
      CACHE_BUCKET_NAME: this.options.cacheBucket,
      CACHE_BUCKET_KEY_PREFIX: `${input.projectName}/`,
      CACHE_BUCKET_REGION: this.options.region,
    };
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

  private async waitUntilUpdated(fn: string): Promise<void> {
    for (let poll = 0; poll < UPDATE_POLLS; poll++) {
      const config = await this.call(() => this.options.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn })));
      if (config.LastUpdateStatus === 'Failed') {
        throw new AnchorError({ code: 'LAMBDA_UPDATE_FAILED', kind: 'external', message: `Lambda could not apply the update to ${fn}: ${config.LastUpdateStatusReason ?? 'no reason given'}` });
      }
      if (config.LastUpdateStatus === 'Successful' || config.LastUpdateStatus === undefined) return;
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

function smokeEvent(projectName: string): FunctionUrlEvent {
  const now = new Date();
  const host = `${projectName}.smoke.anchor.invalid`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { host, 'x-forwarded-host': host, 'x-forwarded-proto': 'https', 'x-anchor-smoke': '1', 'user-agent': 'anchor-smoke' },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'anchor-smoke',
      domainName: host,
      domainPrefix: projectName,
      http: { method: 'GET', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'anchor-smoke' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
}

/**
 * The status in an Invoke payload: a buffered handler returns `{statusCode, …}`; a streaming one
 * (awslambda.streamifyResponse) writes a JSON prelude, 8 NUL bytes, then the body.
 */
function responseStatus(payload: string): number | null {
  const prelude = payload.includes('\0'.repeat(8)) ? payload.slice(0, payload.indexOf('\0'.repeat(8))) : payload;
  const status = safeJson<{ statusCode?: unknown }>(prelude)?.statusCode;
  return typeof status === 'number' ? status : null;
}

function safeJson<T>(text: string): T | null {
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
