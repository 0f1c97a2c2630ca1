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
import { createRequire } from 'node:module';
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

// The site must see the protocol its visitor used (`new URL('/x', request.url)` in a route
// handler, a redirect in middleware). The edge in front says it in x-forwarded-proto (the local
// edge: http; CloudFront → Function URL: https); two places ignore it and write https://:
// - OpenNext's Function URL converter (aws-apigw-v2), for the URL routing and middleware see;
// - Next itself, for pages and route handlers: with trustHostHeader, which OpenNext turns on,
//   next-server.js builds the request's URL as `https://${host}` (opennextjs-aws issue #969).
// This converter follows the header in both, and leaves https when it is absent or anything else.
type Apigw = typeof import('@opennextjs/aws/overrides/converters/aws-apigw-v2.js').default;
const forwardedHttp = (headers: Record<string, unknown>): boolean => String(headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim().toLowerCase() === 'http';
const asHttp = (url: string): string => (url.startsWith('https://') ? `http://${url.slice('https://'.length)}` : url);

const visitorProtocolConverter = async (): Promise<Apigw> => {
  // At build time OpenNext only asks for the name (see byRuntime above).
  if (!('openNextConfig' in globalThis)) return { name: 'aws-apigw-v2' } as Apigw;
  followForwardedProtoInNext();
  const { default: apigw } = await import('@opennextjs/aws/overrides/converters/aws-apigw-v2.js');
  return {
    ...apigw,
    convertFrom: async (event: Parameters<Apigw['convertFrom']>[0]) => {
      const request = await apigw.convertFrom(event);
      return forwardedHttp(request.headers) ? { ...request, url: asHttp(request.url) } : request;
    },
  };
};

// Next's NextNodeServer.attachRequestMeta sets the URL pages and route handlers see (request meta
// `initURL`); run after it, it gets the visitor's protocol back. The server function loads Next
// from its own node_modules, the same module this require finds; a Next without the method (or
// with another layout) is left alone.
function followForwardedProtoInNext(): void {
  type Meta = { initURL?: string; initProtocol?: string };
  type Req = { headers: Record<string, unknown> } & Record<symbol, Meta | undefined>;
  let server: { prototype: { attachRequestMeta?: (this: unknown, req: Req, ...rest: unknown[]) => unknown; anchorFollowsForwardedProto?: boolean } } | undefined;
  try {
    server = createRequire(import.meta.url)('next/dist/server/next-server.js').default;
  } catch {
    return;
  }
  const proto = server?.prototype;
  const attach = proto?.attachRequestMeta;
  if (!proto || !attach || proto.anchorFollowsForwardedProto) return;
  proto.anchorFollowsForwardedProto = true;
  const META = Symbol.for('NextInternalRequestMeta');
  proto.attachRequestMeta = function (this: unknown, req: Req, ...rest: unknown[]) {
    const result = attach.call(this, req, ...rest);
    const meta = req[META];
    if (meta?.initURL && forwardedHttp(req.headers)) {
      meta.initURL = asHttp(meta.initURL);
      meta.initProtocol = 'http';
    }
    return result;
  };
}

const config = {
  default: {
    override: {
      wrapper: 'aws-lambda-streaming',
      converter: visitorProtocolConverter,
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
