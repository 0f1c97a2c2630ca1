// Publishing static assets to S3 (s3rver): anchor's S3StaticHost against a plain one-by-one
// PutObject loop, in the same run, and what a second publish of the same build uploads again.
// Runs from dist/ (npm run build first): `node bench/s3-publish.mjs`, or benchS3Publish() from bench/run.mjs.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const require = createRequire(import.meta.url);
const dist = new URL('../dist/src/adapters/aws/', import.meta.url);

/** s3rver in a child process on a free loopback port (--openssl-legacy-provider, or ListObjectsV2 fails). */
async function startS3rver(dir) {
  const bin = require.resolve('s3rver/bin/s3rver.js');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', bin, '-d', dir, '-a', '127.0.0.1', '-p', '0', '--silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on [^:]+:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}: ${output}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/** 1,000 small files shaped like a Next.js build: 800 content-hashed under _next/, 200 public files. */
async function writeSite(root, count) {
  const paths = [];
  for (let i = 0; i < count; i++) {
    const hashed = i < count * 0.8;
    const path = hashed ? `_next/static/chunks/${i}-${(i * 2654435761 >>> 0).toString(16)}.js` : `public-${i}/file-${i}.txt`;
    await mkdir(join(root, 'assets', path, '..'), { recursive: true });
    await writeFile(join(root, 'assets', path), `/* ${path} */ ${'x'.repeat(200 + (i % 800))}`);
    paths.push(path);
  }
  await mkdir(join(root, 'server-functions', 'default'), { recursive: true });
  await writeFile(join(root, 'server-functions', 'default', 'index.mjs'), 'export const handler = () => 1;');
  await writeFile(join(root, 'open-next.output.json'), '{}');
  return paths;
}

export async function benchS3Publish({ files = 1000, concurrency = 16 } = {}) {
  const [{ S3Artifacts }, { S3StaticHost }] = await Promise.all([import(new URL('s3-artifacts.js', dist).href), import(new URL('s3-static-host.js', dist).href)]);
  const scratch = await mkdtemp(join(tmpdir(), 'anchor-bench-s3-'));
  const s3rver = await startS3rver(join(scratch, 's3rver'));
  const s3 = new S3Client({ endpoint: s3rver.endpoint, region: 'ap-southeast-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true });
  try {
    const site = join(scratch, 'open-next');
    const paths = await writeSite(site, files);
    for (const bucket of ['artifacts', 'baseline', 'assets']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const artifact = await new S3Artifacts({ s3, bucket: 'artifacts', projectOf: async () => 'bench' }).store('d_bench', site);

    let started = performance.now();
    for (const path of paths) await s3.send(new PutObjectCommand({ Bucket: 'baseline', Key: `bench/d_bench/${path}`, Body: await readFile(join(site, 'assets', path)) }));
    const sequentialMs = performance.now() - started;

    const host = new S3StaticHost({ s3, assetsBucket: 'assets', kvs: null, keyValueStoreArn: async () => '', concurrency });
    started = performance.now();
    const first = await host.publish('bench', 'd_bench', artifact);
    const publishMs = performance.now() - started;
    const second = await host.publish('bench', 'd_bench', artifact);
    const hashed = paths.filter((p) => p.startsWith('_next/')).length;

    return {
      files,
      concurrency,
      sequentialMs: Math.round(sequentialMs),
      publishMs: Math.round(publishMs),
      speedup: Number((sequentialMs / publishMs).toFixed(2)),
      firstPublish: first,
      secondPublish: { ...second, hashedUploadedAgain: second.uploaded - (files - hashed) },
    };
  } finally {
    s3.destroy();
    await s3rver.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchS3Publish();
  console.log(`S3 publish of ${r.files} files to s3rver: one-by-one PutObject ${r.sequentialMs} ms, S3StaticHost (${r.concurrency} at once, incl. reading the artifact zip) ${r.publishMs} ms → ${r.speedup}× faster`);
  console.log(`second publish of the same build: ${r.secondPublish.uploaded} uploaded, ${r.secondPublish.skipped} skipped, ${r.secondPublish.hashedUploadedAgain} content-hashed files uploaded again`);
}
