import { AnchorError } from '../../core/errors.js';

/**
 * The names both stacks and the aws adapters agree on. IAM policies are scoped by these
 * patterns, so an adapter that writes elsewhere is refused by AWS: change them here only.
 *
 * - Functions:   anchor-<stage>-<project>-server | -image, anchor-<stage>-webhook | -orchestrator | -deploy
 * - Build roles: anchor-<stage>-<project>-build (passed to CodeBuild StartBuild as serviceRoleOverride)
 * - Artifacts:   s3://<artifacts>/builds/<project>/<deploymentId>/open-next.zip (the zipped `.open-next/`),
 *                with server.zip and image.zip beside it (each function's bundle, index.mjs at the root)
 * - Assets:      s3://<assets>/<project>/<deploymentId>/<path under .open-next/assets>
 * - ISR cache:   s3://<cache>/<project>/<buildId>/… (the OpenNext s3-lite key prefix is `<project>/`)
 * - Secrets:     SSM SecureString /anchor/<stage>/<project>/env/<KEY>, webhook secrets under
 *                /anchor/<stage>/<project>/webhook/<name>
 * - KVS:         key `<project>` → value liveAssetValue(): the live asset prefix `<project>/<deploymentId>`
 *                and the deployment's top-level public names, as JSON of at most 1 KB (read by the
 *                CloudFront Function, infra/stack/project-code.ts)
 */

const STAGE = /^[a-z][a-z0-9-]{0,15}$/;
const AWS_NAME_LIMIT = 64;

export function assertStage(stage: string): void {
  if (!STAGE.test(stage)) {
    throw new AnchorError({
      code: 'STAGE_INVALID',
      kind: 'usage',
      message: `Stage "${stage}" is not valid: it becomes part of every AWS resource name.`,
      hint: 'Use 1 to 16 lower-case letters, digits and hyphens, starting with a letter (e.g. dev or prod).',
    });
  }
}

export const platformFunctionName = (stage: string, fn: 'webhook' | 'orchestrator' | 'deploy' | 'domains' | 'api'): string => `anchor-${stage}-${fn}`;

export type ProjectResource = 'server' | 'image' | 'build' | 'edge' | 'kvs' | 'lambda-oac' | 's3-oac' | 'server-cache' | 'image-cache';
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
export const FUNCTION_ZIPS = { server: 'server.zip', image: 'image.zip' } as const;
export const artifactKey = (project: string, deploymentId: string): string => `${artifactFolder(project, deploymentId)}/${ARTIFACT_ZIP}`;
export const functionCodeKey = (project: string, deploymentId: string, kind: keyof typeof FUNCTION_ZIPS): string => `${artifactFolder(project, deploymentId)}/${FUNCTION_ZIPS[kind]}`;
/** A function's zip beside an artifact key. */
export const functionCodeKeyBeside = (artifactKey: string, kind: keyof typeof FUNCTION_ZIPS): string => artifactKey.replace(/[^/]*$/, FUNCTION_ZIPS[kind]);
export const assetPrefix = (project: string, deploymentId: string): string => `${project}/${deploymentId}`;
export const secretParameterPath = (stage: string, project: string): string => `/anchor/${stage}/${project}/env/`;
export const webhookParameterPath = (stage: string, project: string): string => `/anchor/${stage}/${project}/webhook/`;
export const buildLogGroupName = (stage: string): string => `/anchor/${stage}/builds`;
export const platformStackName = (stage: string): string => `anchor-${stage}`;
export const projectStackName = (stage: string, project: string): string => `anchor-${stage}-project-${project}`;

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
