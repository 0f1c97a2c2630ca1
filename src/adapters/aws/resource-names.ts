import { AnchorError } from '../../core/errors.js';

/**
 * The names both stacks and the aws adapters agree on. IAM policies are scoped by these
 * patterns, so an adapter that writes elsewhere is refused by AWS: change them here only.
 *
 * - Functions:   anchor-<stage>-<project>-server | -image, anchor-<stage>-webhook | -orchestrator | -deploy
 * - Build roles: anchor-<stage>-<project>-build (passed to CodeBuild StartBuild as serviceRoleOverride)
 * - Artifacts:   s3://<artifacts>/builds/<project>/<deploymentId>/open-next.zip (the zipped `.open-next/`),
 *                with server.zip and image.zip beside it (each function's bundle, index.mjs at the root)
 * - Assets:      s3://<assets>/<project>/<deploymentId>/<path under .open-next/assets>, with
 *                `.anchor/own-static.json` (the build's own _next/static files, carried to the next live one)
 * - ISR cache:   s3://<cache>/<project>/<buildId>/… (the OpenNext s3-lite key prefix is `<project>/`)
 * - ISR:         DynamoDB table anchor-<stage>-<project>-tags, SQS FIFO anchor-<stage>-<project>-revalidation.fifo,
 *                consumer function anchor-<stage>-<project>-revalidation (its code: revalidation.zip beside the artifact)
 * - Origin:      SSM SecureString /anchor/<stage>/origin-secret (and -previous), origin-secret.ts
 * - Secrets:     SSM SecureString /anchor/<stage>/<project>/env/<KEY>, webhook secrets under
 *                /anchor/<stage>/<project>/webhook/<name>, the project's GitHub token at
 *                /anchor/<stage>/<project>/github-token
 * - KVS:         key `<project>` → value liveAssetValue(): the live asset prefix `<project>/<deploymentId>`
 *                and the deployment's top-level public names, as JSON of at most 1 KB (read by the
 *                CloudFront Function, infra/stack/project-code.ts)
 */

/**
 * No `-` in a stage: IAM patterns such as `anchor-<stage>-*-server` then end at the stage's own
 * delimiter, so stage `prod`'s can never match stage `prod-eu`'s (or `prod2`'s) resources.
 */
const STAGE = /^[a-z][a-z0-9]{0,15}$/;
const AWS_NAME_LIMIT = 64;

export function assertStage(stage: string): void {
  if (!STAGE.test(stage)) {
    throw new AnchorError({
      code: 'STAGE_INVALID',
      kind: 'usage',
      message: `Stage "${stage}" is not valid: it becomes part of every AWS resource name.`,
      hint: 'Use 1 to 16 lower-case letters and digits, starting with a letter, no hyphen (e.g. dev, prod or prodeu): IAM patterns are scoped by it, and a hyphen would let one stage match another.',
    });
  }
}

export const platformFunctionName = (stage: string, fn: 'webhook' | 'orchestrator' | 'deploy' | 'domains' | 'api'): string => `anchor-${stage}-${fn}`;

export type ProjectResource = 'server' | 'image' | 'build' | 'edge' | 'kvs' | 'lambda-oac' | 's3-oac' | 'server-cache' | 'image-cache' | 'tags' | 'revalidation';
const LONGEST_SUFFIX = 'server-cache';

/** Throws when some AWS name of the project would be too long, naming the longest project name that fits. */
export function assertProjectFitsAws(stage: string, project: string): void {
  const longest = `anchor-${stage}-${project}-${LONGEST_SUFFIX}`;
  if (longest.length > AWS_NAME_LIMIT) {
    throw new AnchorError({
      code: 'PROJECT_NAME_TOO_LONG_FOR_AWS',
      kind: 'usage',
      message: `Project "${project}" is too long for the aws backend: "${longest}" exceeds the ${AWS_NAME_LIMIT} characters AWS allows for a function, role or CloudFront name.`,
      hint: `Use a project name of at most ${AWS_NAME_LIMIT - `anchor-${stage}--${LONGEST_SUFFIX}`.length} characters on stage "${stage}".`,
    });
  }
}

export const projectResourceName = (stage: string, project: string, suffix: ProjectResource): string => `anchor-${stage}-${project}-${suffix}`;

/**
 * The artifact layout, written by the buildspec (with shell variables for the names) and by
 * S3Artifacts, read by the function host and the deploy handler: one folder per deployment
 * holding the zipped `.open-next/` and, beside it, each function's own code (the bundle's files
 * with index.mjs at the zip root).
 */
export const artifactFolder = (project: string, deploymentId: string): string => `builds/${project}/${deploymentId}`;
export const ARTIFACT_ZIP = 'open-next.zip';
/**
 * A project's CodeBuild cache (npm's cache, .next/cache, the OpenNext packaging cache), in the
 * artifacts bucket: StartBuild's cacheOverride names it, and only the project's build role may use it.
 */
export const buildCacheFolder = (project: string): string => `build-cache/${project}`;
export const FUNCTION_ZIPS = { server: 'server.zip', image: 'image.zip' } as const;
/** The ISR revalidation consumer's code (`.open-next/revalidation-function`), beside the others. */
export const REVALIDATION_ZIP = 'revalidation.zip';
export const artifactKey = (project: string, deploymentId: string): string => `${artifactFolder(project, deploymentId)}/${ARTIFACT_ZIP}`;
export const functionCodeKey = (project: string, deploymentId: string, kind: keyof typeof FUNCTION_ZIPS): string => `${artifactFolder(project, deploymentId)}/${FUNCTION_ZIPS[kind]}`;
/** A function's zip beside an artifact key. */
export const functionCodeKeyBeside = (artifactKey: string, kind: keyof typeof FUNCTION_ZIPS): string => artifactKey.replace(/[^/]*$/, FUNCTION_ZIPS[kind]);
export const assetPrefix = (project: string, deploymentId: string): string => `${project}/${deploymentId}`;
export const secretParameterPath = (stage: string, project: string): string => `/anchor/${stage}/${project}/env/`;
/** A project's GitHub token (SSM SecureString): CodeBuild reads it by this name to clone a private repository. */
export const githubTokenParameter = (stage: string, project: string): string => `/anchor/${stage}/${project}/github-token`;
export const webhookParameterPath = (stage: string, project: string): string => `/anchor/${stage}/${project}/webhook/`;
export const buildLogGroupName = (stage: string): string => `/anchor/${stage}/builds`;
export const platformStackName = (stage: string): string => `anchor-${stage}`;
export const projectStackName = (stage: string, project: string): string => `anchor-${stage}-project-${project}`;

/**
 * ISR on AWS (OpenNext's dynamodb tag cache and sqs revalidation queue): the tag table, the FIFO
 * queue the server sends revalidations to, and the URL the server's sqs-lite override posts to.
 * The URL is the build queue's (a platform output, so it carries the account) with this queue's name.
 */
export const tagTableName = (stage: string, project: string): string => projectResourceName(stage, project, 'tags');
export const revalidationQueueName = (stage: string, project: string): string => `${projectResourceName(stage, project, 'revalidation')}.fifo`;
export function revalidationQueueUrl(buildQueueUrl: string, stage: string, project: string): string {
  return buildQueueUrl.replace(/[^/]+$/, revalidationQueueName(stage, project));
}

/** KeyValueStore values are at most 1 KB. */
const KVS_VALUE_LIMIT = 1024;

/** The live KVS value: `{"p":"<project>/<deploymentId>","f":[top-level public names]}`. */
export function liveAssetValue(project: string, deploymentId: string, publicNames: readonly string[]): string {
  const value = JSON.stringify({ p: assetPrefix(project, deploymentId), f: publicNames });
  if (Buffer.byteLength(value) > KVS_VALUE_LIMIT) {
    throw new AnchorError({
      code: 'TOO_MANY_PUBLIC_NAMES',
      kind: 'failed',
      message: `The app's public/ folder has ${publicNames.length} top-level files and folders; their names take more than the ${KVS_VALUE_LIMIT} bytes CloudFront's KeyValueStore holds for the live site.`,
      hint: 'Move public files into a few top-level folders (public/images/…, public/docs/…) and push again.',
    });
  }
  return value;
}

/** The platform's Lambda handlers (infra/handlers/<name>.ts), each bundled into `<name>.zip`. */
export const HANDLER_NAMES = ['webhook', 'orchestrator', 'deploy', 'domains', 'api'] as const;
export type HandlerName = (typeof HANDLER_NAMES)[number];
