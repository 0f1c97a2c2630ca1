// Publishing static assets to S3 (s3rver): anchor's S3StaticHost against a plain one-by-one
// PutObject loop, in the same run, and what a second publish of the same build uploads again.
// Runs from dist/ (npm run build first): `node bench/s3-publish.mjs`, or `npm run bench -- aws`.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median } from './measure.mjs';
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

/** 1,000 small files shaped like a Next.js build: 800 content-hashed under _next/, 200 public files in three top-level folders
 * (the live KeyValueStore value names top-level public names, so a real app has few). */
async function writeSite(root, count) {
  const paths = [];
  for (let i = 0; i < count; i++) {
    const hashed = i < count * 0.8;
    const path = hashed ? `_next/static/chunks/${i}-${(i * 2654435761 >>> 0).toString(16)}.js` : `${['images', 'docs', 'fonts'][i % 3]}/file-${i}.txt`;
    await mkdir(join(root, 'assets', path, '..'), { recursive: true });
    await writeFile(join(root, 'assets', path), `/* ${path} */ ${'x'.repeat(200 + (i % 800))}`);
    paths.push(path);
  }
  await mkdir(join(root, 'server-functions', 'default'), { recursive: true });
  await writeFile(join(root, 'server-functions', 'default', 'index.mjs'), 'export const handler = () => 1;');
  await writeFile(join(root, 'open-next.output.json'), '{}');
  return paths;
}

/**
 * Rounds interleave the baseline (one PutObject after another), the same PUTs 16 at once through
 * the SDK (how S3StaticHost uploaded before it signed its own PUTs), and S3StaticHost.publish at
 * each concurrency, each into a fresh prefix: a noisy moment of the machine hits all alike.
 * Medians of the rounds.
 */
export async function benchS3Publish({ files = 1000, rounds = 3, concurrencies = [8, 16, 32, 64], sdkConcurrency = 16 } = {}) {
  const [{ S3Artifacts }, { S3StaticHost }, { mapLimited }] = await Promise.all([
    import(new URL('s3-artifacts.js', dist).href),
    import(new URL('s3-static-host.js', dist).href),
    import(new URL('../../lib/map-limited.js', dist).href),
  ]);
  const scratch = await mkdtemp(join(tmpdir(), 'anchor-bench-s3-'));
  const s3rver = await startS3rver(join(scratch, 's3rver'));
  const s3 = new S3Client({ endpoint: s3rver.endpoint, region: 'ap-southeast-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true });
  try {
    const site = join(scratch, 'open-next');
    const paths = await writeSite(site, files);
    const bodies = new Map(await Promise.all(paths.map(async (path) => [path, await readFile(join(site, 'assets', path))])));
    for (const bucket of ['artifacts', 'baseline', 'sdk', 'assets']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const artifact = await new S3Artifacts({ s3, bucket: 'artifacts' }).store({ projectName: 'bench', deploymentId: 'd_bench' }, { kind: 'directory', path: site });
    const put = (bucket, prefix) => (path) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${path}`, Body: bodies.get(path), ContentType: 'application/octet-stream' }));
    const time = async (work) => {
      const started = performance.now();
      await work();
      return performance.now() - started;
    };
    const sequential = [];
    const sdk = [];
    const publish = Object.fromEntries(concurrencies.map((c) => [c, []]));
    for (let round = 0; round < rounds; round++) {
      sequential.push(await time(async () => {
        for (const path of paths) await put('baseline', `bench/r${round}`)(path);
      }));
      sdk.push(await time(() => mapLimited(paths, sdkConcurrency, put('sdk', `bench/r${round}`))));
      for (const concurrency of concurrencies) {
        const host = new S3StaticHost({ s3, assetsBucket: 'assets', kvs: null, keyValueStoreArn: async () => '', concurrency });
        publish[concurrency].push(await time(() => host.publish('bench', `d_r${round}_c${concurrency}`, artifact)));
      }
    }
    // The default concurrency, publishing the same build again (a retried deploy).
    const host = new S3StaticHost({ s3, assetsBucket: 'assets', kvs: null, keyValueStoreArn: async () => '' });
    const second = await host.publish('bench', `d_r0_c${host.concurrency}`, artifact);
    const hashed = paths.filter((p) => p.startsWith('_next/')).length;
    const sequentialMs = median(sequential);
    return {
      files,
      rounds,
      sequentialMs: Math.round(sequentialMs),
      sdkConcurrency,
      sdkMs: Math.round(median(sdk)),
      publishMs: Object.fromEntries(concurrencies.map((c) => [c, Math.round(median(publish[c]))])),
      defaultConcurrency: host.concurrency,
      secondPublish: { ...second, hashedUploadedAgain: second.uploaded - (files - hashed) },
    };
  } finally {
    s3.destroy();
    await s3rver.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Prints the figures beside the baseline and the goal (bench/run.mjs). */
export function printS3Publish(r, { line, ratio }) {
  process.stdout.write(`\nS3 publish of ${r.files} static files to s3rver (median of ${r.rounds} interleaved rounds; baseline: one PutObject after another)\n`);
  line('one by one (baseline)', `${r.sequentialMs} ms`);
  line(`SDK PutObject, ${r.sdkConcurrency} at once (the upload before signed PUTs)`, `${r.sdkMs} ms`, `${ratio(r.sequentialMs, r.sdkMs)} faster`);
  for (const [concurrency, ms] of Object.entries(r.publishMs)) {
    const chosen = Number(concurrency) === r.defaultConcurrency;
    line(`S3StaticHost.publish, ${concurrency} at once${chosen ? ' (the default)' : ''}`, `${ms} ms`, `${ratio(r.sequentialMs, ms)} faster${chosen ? '  (goal ≥ 4×; was 2.57×)' : ''}`);
  }
  line('second publish of the same build: uploaded / skipped', `${r.secondPublish.uploaded} / ${r.secondPublish.skipped}`, `content-hashed files uploaded again: ${r.secondPublish.hashedUploadedAgain} (goal 0)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printS3Publish(await benchS3Publish(), await import('./measure.mjs'));
}
