import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { artifactKey, functionCodeKey } from '../../src/adapters/aws/resource-names.js';
import { zipFiles } from '../../src/lib/zip-files.js';

/**
 * What the buildspec does at its end: zip each function's bundle (its files at the zip root) and
 * `.open-next/`, and upload them beside each other under the deployment's artifact prefix.
 * `marker` ends up in the server function's answer and the asset and cache paths.
 */
export async function uploadBuildOutput(s3: S3Client, bucket: string, project: string, deploymentId: string, marker: string): Promise<void> {
  const files: Record<string, string> = {
    'open-next.output.json': JSON.stringify({ origins: { default: { bundle: '.open-next/server-functions/default' } } }),
    'server-functions/default/index.mjs': `export const handler = () => '${marker}';`,
    'image-optimization-function/index.mjs': 'export const handler = () => 1;',
    'image-optimization-function/node_modules/sharp/package.json': '{"name":"sharp"}',
    'assets/_next/static/chunks/main-1a2b3c.js': 'console.log(1)',
    [`assets/_next/static/${marker}/_buildManifest.js`]: 'self.__BUILD_MANIFEST={}',
    'assets/favicon.ico': 'ico',
    [`cache/${marker}/index.cache`]: '{}',
  };
  const zipUnder = (dir: string) => zipFiles(Object.entries(files).filter(([name]) => name.startsWith(dir)).map(([name, content]) => ({ name: name.slice(dir.length), data: Buffer.from(content) })));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: functionCodeKey(project, deploymentId, 'server'), Body: zipUnder('server-functions/default/') }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: functionCodeKey(project, deploymentId, 'image'), Body: zipUnder('image-optimization-function/') }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: artifactKey(project, deploymentId), Body: zipUnder('') }));
}

/** The EventBridge event CodeBuild sends when the build of `deploymentId` (project shop) succeeded at `sha`. */
export function buildSucceeded(deploymentId: string, sha: string) {
  return {
    'detail-type': 'CodeBuild Build State Change' as const,
    detail: {
      'build-status': 'SUCCEEDED',
      'build-id': `arn:aws:codebuild:ap-southeast-1:111122223333:build/anchor-dev-build:${randomUUID()}`,
      'project-name': 'anchor-dev-build',
      'additional-information': {
        environment: { 'environment-variables': [{ name: 'ANCHOR_DEPLOYMENT_ID', value: deploymentId }, { name: 'ANCHOR_PROJECT', value: 'shop' }] },
        'exported-environment-variables': [{ name: 'ANCHOR_COMMIT_SHA', value: sha }, { name: 'ANCHOR_COMMIT_MESSAGE', value: `Commit ${sha.slice(0, 7)}` }],
      },
    },
  };
}
