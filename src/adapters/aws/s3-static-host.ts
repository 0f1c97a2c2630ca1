import { DescribeKeyValueStoreCommand, GetKeyCommand, PutKeyCommand, type CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { CopyObjectCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { assetPrefix, liveAssetValue } from './resource-names.js';
import { bundleReport } from '../../core/opennext-output.js';
import type { ArtifactInfo, PublishStats, StaticHost } from '../../core/ports/index.js';
import { cacheControl, contentType } from '../../core/asset-headers.js';
import { AnchorError } from '../../core/errors.js';
import { mapLimited } from '../../lib/map-limited.js';
import { S3ObjectPuts, type ObjectHeaders } from './s3-object-puts.js';
import { deletePrefix } from './s3-prefix.js';
import { downloadZip, listZipAt } from './s3-zip.js';
import { seedTagCache, TAG_SEED_FILE } from './dynamo-tag-seed.js';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { listZip, readZipEntry } from './zip-archive.js';
import { awsErrorNamed, isS3NotFound } from './aws-errors.js';

export interface S3StaticHostOptions {
  /** Reads the artifact and writes the assets (and ISR cache) buckets. */
  s3: S3Client;
  assetsBucket: string;
  /** When given, the build's ISR cache (`.open-next/cache/`) is seeded under `<project>/` (the s3-lite prefix). */
  cacheBucket?: string;
  kvs: CloudFrontKeyValueStoreClient;
  /** When given, the build's tag cache seed (`.open-next/dynamodb-provider`) goes into the project's tag table. */
  tagCache?: { dynamodb: DynamoDBClient; table(project: string): string };
  /** The project's KeyValueStore (a project stack output). */
  keyValueStoreArn(project: string): Promise<string>;
  /** Uploads in flight at once (default 64, chosen by `npm run bench -- aws`: see README). */
  concurrency?: number;
  /** Files from this size go up as multipart uploads (default 8 MiB). */
  multipartBytes?: number;
}

const MIB = 1024 * 1024;
const CONCURRENCY = 64;
/** Under a deployment's prefix: the list of `_next/static/` files its own build made (not those carried in). */
const OWN_STATIC = '.anchor/own-static.json';
const STATIC = '_next/static/';
const KVS_ATTEMPTS = 5;

/**
 * Static assets in S3 under `<project>/<deploymentId>/` (names.ts assetPrefix), served through
 * CloudFront; the CloudFront Function finds the live prefix in the project's KeyValueStore.
 * Content-hashed files (`_next/**`) already stored under the deployment's prefix are not
 * uploaded again (a retried deploy), and ISR cache entries already seeded are never overwritten
 * (revalidation may have written fresher ones since).
 */
export class S3StaticHost implements StaticHost {
  constructor(private readonly options: S3StaticHostOptions) {}

  /** Uploads (and copies) in flight at once. */
  get concurrency(): number {
    return this.options.concurrency ?? CONCURRENCY;
  }

  async publish(projectName: string, deploymentId: string, artifact: ArtifactInfo): Promise<PublishStats> {
    const zip = await downloadZip(this.options.s3, artifact.location);
    const entries = listZip(zip).filter((e) => e.kind === 'file');
    const prefix = assetPrefix(projectName, deploymentId);
    const assets = entries.filter((e) => e.name.startsWith('assets/'));
    // Fails before anything is uploaded when the public names cannot fit the live KVS value.
    liveAssetValue(projectName, deploymentId, bundleReport(assets.map((e) => ({ name: e.name, size: e.size })), null).publicNames);
    // An OpenNext output always has assets (Next.js's own chunks at least): a site without them would go live broken.
    if (assets.length === 0) throw new AnchorError({ code: 'ASSETS_MISSING', kind: 'external', message: `the build output has no assets directory (${artifact.location})` });
    const present = await this.listSizes(this.options.assetsBucket, `${prefix}/`);
    const stats: PublishStats = { files: assets.length, uploaded: 0, skipped: 0 };
        const puts = new S3ObjectPuts(this.options.s3, this.concurrency);
    const jobs: (() => Promise<void>)[] = assets.map((entry) => async () => {
      const path = entry.name.slice('assets/'.length);
      const key = `${prefix}/${path}`;
      if (path.startsWith('_next/') && present.get(key) === entry.size) {
        stats.skipped += 1;
        return;
      }
      await this.put(puts, this.options.assetsBucket, key, readZipEntry(zip, entry), { ContentType: contentType(path), CacheControl: cacheControl(`/${path}`) });
      stats.uploaded += 1;
    });
    const { cacheBucket } = this.options;
    if (cacheBucket) {
      const seeded = await this.listSizes(cacheBucket, `${projectName}/`);
      for (const entry of entries.filter((e) => e.name.startsWith('cache/'))) {
        const key = `${projectName}/${entry.name.slice('cache/'.length)}`;
        if (!seeded.has(key)) jobs.push(() => this.put(puts, cacheBucket, key, readZipEntry(zip, entry), { ContentType: contentType(key) }));
      }
    }
    const seed = entries.find((e) => e.name === TAG_SEED_FILE);
    const { tagCache } = this.options;
    if (tagCache && seed) jobs.push(async () => void (await seedTagCache(tagCache.dynamodb, tagCache.table(projectName), readZipEntry(zip, seed).toString('utf8'))));
    try {
      await mapLimited(jobs, this.concurrency, (job) => job());
      const own = assets.map((e) => e.name.slice('assets/'.length)).filter((path) => path.startsWith(STATIC));
      await this.put(puts, this.options.assetsBucket, `${prefix}/${OWN_STATIC}`, Buffer.from(JSON.stringify(own)), { ContentType: 'application/json', CacheControl: 'no-store' });
    } finally {
      puts.close();
    }
    return stats;
  }

  /**
   * One KVS write, conditional on the store's ETag; retried when another write got in between.
   * The value carries the deployment's top-level public names (listed from its prefix, so a
   * rollback routes the public files the target deployment had).
   */
  async activate(projectName: string, deploymentId: string): Promise<void> {
    const KvsARN = await this.options.keyValueStoreArn(projectName);
    const live = await this.liveDeployment(KvsARN, projectName);
    if (live && live !== deploymentId) await this.carryStatic(projectName, live, deploymentId);
    const Value = liveAssetValue(projectName, deploymentId, await this.publicNames(assetPrefix(projectName, deploymentId)));
    for (let attempt = 1; ; attempt++) {
      const { ETag } = await this.options.kvs.send(new DescribeKeyValueStoreCommand({ KvsARN }));
      try {
        await this.options.kvs.send(new PutKeyCommand({ KvsARN, Key: projectName, Value, IfMatch: ETag }));
        return;
      } catch (error) {
        const conflict = awsErrorNamed(error, 'ConflictException', 'PreconditionFailed', 'PreconditionFailedException');
        if (!conflict || attempt >= KVS_ATTEMPTS) throw error;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  /**
   * Retention: the deployment's assets prefix, and the ISR cache prefixes its build seeded
   * (`<project>/<Next build id>/`, read from the artifact's `cache/`) that no kept deployment's
   * build shares (an app with a fixed generateBuildId shares one). Refused for the deployment the
   * KeyValueStore serves now, whatever the caller thinks.
   */
  async remove(projectName: string, artifact: ArtifactInfo, kept: readonly ArtifactInfo[]): Promise<void> {
    const KvsARN = await this.options.keyValueStoreArn(projectName);
    const prefix = assetPrefix(projectName, artifact.deploymentId);
    if ((await this.liveDeployment(KvsARN, projectName)) === artifact.deploymentId) return;
    await deletePrefix(this.options.s3, this.options.assetsBucket, `${prefix}/`);
    const { cacheBucket } = this.options;
    if (!cacheBucket) return;
    const keptIds = new Set((await Promise.all(kept.map((k) => this.cacheFolders(k)))).flat());
    for (const folder of await this.cacheFolders(artifact)) {
      if (!keptIds.has(folder)) await deletePrefix(this.options.s3, cacheBucket, `${projectName}/${folder}/`);
    }
  }

  /** The build-id folders of an artifact's `cache/` (`<id>`, or `__fetch/<id>` for the fetch cache). */
  private async cacheFolders(artifact: ArtifactInfo): Promise<string[]> {
    const { entries } = await listZipAt(this.options.s3, artifact.location);
    const folders = new Set<string>();
    for (const { name } of entries) {
      const parts = name.split('/');
      if (parts[0] !== 'cache' || parts.length < 3) continue;
      if (parts[1] === '__fetch') {
        if (parts.length >= 4) folders.add(`__fetch/${parts[2]}`);
      } else if (parts[1]) folders.add(parts[1]);
    }
    return [...folders];
  }

  /** The deployment the KVS routes to now (null before the first deploy). */
  private async liveDeployment(KvsARN: string, projectName: string): Promise<string | null> {
    let value: string | undefined;
    try {
      value = (await this.options.kvs.send(new GetKeyCommand({ KvsARN, Key: projectName })))?.Value;
    } catch (error) {
      if (awsErrorNamed(error, 'ResourceNotFoundException')) return null;
      throw error;
    }
    if (!value) return null;
    const prefix = value.startsWith('{') ? (JSON.parse(value) as { p?: string }).p : value;
    return prefix?.startsWith(`${projectName}/`) ? prefix.slice(projectName.length + 1) : null;
  }

  /**
   * Open tabs across a flip: a page of the deployment going out keeps loading its hashed chunks
   * after the KVS routes `/_next/static/…` to the new one. So before the flip, the outgoing
   * deployment's own `_next/static/` files (as its build made them; not what it carried in
   * itself) are copied, inside the bucket, into the incoming deployment's prefix where it has no
   * file of that name. Names are content hashes or carry the build id, so nothing of the incoming
   * deployment is replaced. A rollback carries the same way, so tabs of the version rolled back
   * from keep working too. Tabs two flips old reload (Next.js does a hard navigation on a chunk
   * it cannot load). The copies go with the incoming deployment's prefix.
   */
  private async carryStatic(projectName: string, from: string, to: string): Promise<void> {
    const bucket = this.options.assetsBucket;
    const fromPrefix = assetPrefix(projectName, from);
    const toPrefix = assetPrefix(projectName, to);
    const own = await this.ownStatic(fromPrefix);
    const present = await this.listSizes(bucket, `${toPrefix}/${STATIC}`);
    const missing = own.filter((path) => path.startsWith(STATIC) && !path.includes('..') && !present.has(`${toPrefix}/${path}`));
    await mapLimited(missing, this.concurrency, async (path) => {
      try {
        await this.options.s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `${toPrefix}/${path}`, CopySource: `${bucket}/${encodeURIComponent(`${fromPrefix}/${path}`).replace(/%2F/g, '/')}` }));
      } catch (error) {
        // Retention may have removed the outgoing deployment already: nothing to carry.
        if (!isS3NotFound(error)) throw error;
      }
    });
  }

  /** A deployment's own static files; for one published before the list was kept, every static file under its prefix. */
  private async ownStatic(prefix: string): Promise<string[]> {
    try {
      const object = await this.options.s3.send(new GetObjectCommand({ Bucket: this.options.assetsBucket, Key: `${prefix}/${OWN_STATIC}` }));
      const list = JSON.parse((await object.Body?.transformToString()) ?? '[]') as unknown;
      return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
    } catch (error) {
      if (!awsErrorNamed(error, 'NoSuchKey', 'AccessDenied')) throw error;
      return [...(await this.listSizes(this.options.assetsBucket, `${prefix}/${STATIC}`)).keys()].map((key) => key.slice(prefix.length + 1));
    }
  }

  /** Top-level names under a deployment's prefix other than `_next` (one delimited listing). */
  private async publicNames(prefix: string): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.options.s3.send(new ListObjectsV2Command({ Bucket: this.options.assetsBucket, Prefix: `${prefix}/`, Delimiter: '/', ContinuationToken: token }));
      for (const dir of page.CommonPrefixes ?? []) if (dir.Prefix) names.push(dir.Prefix.slice(prefix.length + 1, -1));
      for (const object of page.Contents ?? []) if (object.Key) names.push(object.Key.slice(prefix.length + 1));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return names.filter((n) => n !== '_next' && n !== '.anchor' && n !== '').sort();
  }

  private async listSizes(bucket: string, prefix: string): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    let token: string | undefined;
    do {
      const page = await this.options.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const object of page.Contents ?? []) if (object.Key) sizes.set(object.Key, object.Size ?? -1);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return sizes;
  }

  /** Small files as signed PUTs on kept-alive connections (S3ObjectPuts); big ones as the SDK's multipart upload. */
  private async put(puts: S3ObjectPuts, bucket: string, key: string, body: Buffer, headers: ObjectHeaders): Promise<void> {
    if (body.length < (this.options.multipartBytes ?? 8 * MIB)) {
      await puts.put(bucket, key, body, headers);
      return;
    }
    const params = { Bucket: bucket, Key: key, Body: body, ...headers };
    try {
      await new Upload({ client: this.options.s3, params, partSize: Math.max(5 * MIB, this.options.multipartBytes ?? 8 * MIB), queueSize: 2 }).done();
    } catch (error) {
      throw new AnchorError({
        code: 'ASSET_UPLOAD_FAILED',
        kind: 'external',
        message: `Uploading s3://${bucket}/${key} (${(body.length / MIB).toFixed(1)} MiB, in parts) failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
        hint: 'Nothing went live. Check the bucket exists and the deploy role may write to it, then redeploy.',
        details: { bucket, key },
        cause: error,
      });
    }
  }
}

