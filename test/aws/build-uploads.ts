import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { artifactKey, functionCodeKey } from '../../infra/stack/names.js';
import { zipFiles } from '../../infra/handler-zip.js';

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
