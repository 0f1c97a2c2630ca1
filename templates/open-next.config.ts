// anchor's default OpenNext config, used when a repository has no open-next.config.ts.
//
// One build serves both anchor backends: the storage overrides are functions, evaluated when a
// handler starts, that pick by ANCHOR_RUNTIME (`local`, the default, or `aws`). Locally nothing
// may talk to AWS, so the caches live in files beside the bundle and ISR revalidation is a
// direct HTTP call; on AWS they are S3, DynamoDB and SQS (the `-lite` clients, no SDK in the
// bundle).
//
// Both functions use the streaming wrapper: the buffered one breaks Suspense streaming,
// server-sent events and `after()`. On AWS they sit behind Function URLs with RESPONSE_STREAM.
//
// sharp is native code, so its CPU is fixed at build time: ANCHOR_IMAGE_ARCH (`x64` or `arm64`;
// unset means the building machine's) must match where the image function runs.
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { OpenNextConfig } from '@opennextjs/aws/types/open-next.js';

const onAws = () => process.env.ANCHOR_RUNTIME === 'aws';

// OpenNext also calls override functions at build time, only to write their names into
// open-next.output.json. The real modules cannot load there (they expect to run inside a bundle),
// so before the handler has set `globalThis.openNextConfig` answer with the name alone.
const byRuntime =
  <T>(localName: string, awsName: string, load: (aws: boolean) => Promise<{ default: T }>) =>
  async (): Promise<T> => {
    const aws = onAws();
    if (!('openNextConfig' in globalThis)) return { name: aws ? awsName : localName } as T;
    return (await load(aws)).default;
  };

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

// Locally the image function reads the deployment's public files from disk. OpenNext's own
// fs-dev loader cannot be used: it loads Next's full manifests, which the image bundle lacks.
// The files are at ANCHOR_ASSETS_DIR, or `../../assets` from the bundle (anchor's layout).
const localImageLoader = {
  name: 'anchor-fs',
  load: async (url: string) => {
    const root = path.resolve(process.env.ANCHOR_ASSETS_DIR ?? '../../assets');
    const file = path.join(root, decodeURIComponent(url.split('?')[0] ?? ''));
    if (!file.startsWith(root + path.sep)) throw new Error(`Image ${url} is outside the site's public files.`);
    return {
      body: createReadStream(file),
      contentType: IMAGE_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      cacheControl: 'public, max-age=31536000, immutable',
    };
  },
};

const config = {
  default: {
    override: {
      wrapper: 'aws-lambda-streaming',
      converter: 'aws-apigw-v2',
      incrementalCache: byRuntime('fs-dev', 's3-lite', (aws) =>
        aws
          ? import('@opennextjs/aws/overrides/incrementalCache/s3-lite.js')
          : import('@opennextjs/aws/overrides/incrementalCache/fs-dev.js'),
      ),
      // nextMode on both sides, so a page is STALE (not MISS) after revalidateTag everywhere.
      tagCache: byRuntime('fs-dev-nextMode', 'dynamodb-nextMode', (aws) =>
        aws
          ? import('@opennextjs/aws/overrides/tagCache/dynamodb-nextMode.js')
          : import('@opennextjs/aws/overrides/tagCache/fs-dev-nextMode.js'),
      ),
      queue: byRuntime('direct', 'sqs-lite', (aws) =>
        aws ? import('@opennextjs/aws/overrides/queue/sqs-lite.js') : import('@opennextjs/aws/overrides/queue/direct.js'),
      ),
    },
  },
  imageOptimization: {
    override: {
      wrapper: 'aws-lambda-streaming',
      converter: 'aws-apigw-v2',
    },
    loader: byRuntime('anchor-fs', 's3-lite', async (aws) =>
      aws ? import('@opennextjs/aws/overrides/imageLoader/s3-lite.js') : { default: localImageLoader },
    ),
    install: {
      packages: ['sharp@0.35.5'],
      arch: (process.env.ANCHOR_IMAGE_ARCH ?? process.arch) === 'arm64' ? 'arm64' : 'x64',
      libc: 'glibc',
    },
  },
} satisfies OpenNextConfig;

export default config;
