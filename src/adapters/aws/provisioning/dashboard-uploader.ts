import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { contentType } from '../../../core/asset-headers.js';
import { dashboardFileName, isHashedAsset } from '../../../core/dashboard/dashboard-response.js';
import { AnchorError, errorMessage } from '../../../core/errors.js';
import { DASHBOARD_KEY_ROOT } from '../../../../infra/stack/platform-api.js';
import { DASHBOARD_MANIFEST, type DashboardManifest } from '../s3-dashboard-source.js';
import { isS3NotFound } from '../aws-errors.js';

/** A built dashboard folder read into memory (it is small: tens of KB), and the prefix its content names. */
export interface DashboardBuild {
  prefix: string;
  manifest: DashboardManifest;
  files: { name: string; bytes: Buffer }[];
}

export interface DashboardUpload {
  bucket: string;
  prefix: string;
  /** Files put now; 0 when this build was in the bucket already. */
  uploaded: number;
  files: number;
}

/**
 * The built dashboard (dist/dashboard/) as `init --aws` uploads it, or null when it was never
 * built. Regular files only (a link is not followed), with names a dashboard URL can have.
 */
export async function readDashboardBuild(dir: string): Promise<DashboardBuild | null> {
  if (!(await stat(join(dir, 'index.html')).catch(() => null))?.isFile()) return null;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: DashboardBuild['files'] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const name = relative(dir, path).split(sep).join('/');
    if (dashboardFileName(`/${name}`) !== name || name === DASHBOARD_MANIFEST) continue;
    files.push({ name, bytes: await readFile(path) });
  }
  files.sort((a, b) => (a.name < b.name ? -1 : 1));
  const manifest: DashboardManifest = { files: Object.fromEntries(files.map((f) => [f.name, { bytes: f.bytes.length, sha256: createHash('sha256').update(f.bytes).digest('hex') }])) };
  const sha = createHash('sha256').update(JSON.stringify(manifest)).digest('hex');
  return { prefix: `${DASHBOARD_KEY_ROOT}${sha}/`, manifest, files };
}

/**
 * Puts a dashboard build under its content-named prefix in the bootstrap bucket, the manifest
 * last (the API function reads a build only through it). A build already there is not sent again,
 * so a rerun of `init --aws` with the same dashboard uploads nothing and the stack sees no change.
 */
export class S3DashboardUploader {
  constructor(private readonly options: { s3: S3Client; bucket: string }) {}

  async upload(build: DashboardBuild): Promise<DashboardUpload> {
    const report = { bucket: this.options.bucket, prefix: build.prefix, uploaded: 0, files: build.files.length };
    if (await this.exists(`${build.prefix}${DASHBOARD_MANIFEST}`)) return report;
    for (const file of build.files) {
      const plain = file.name.replace(/\.(br|gz)$/, '');
      await this.put(file.name, build.prefix, file.bytes, contentType(plain), isHashedAsset(plain) && plain !== 'index.html' ? 'public, max-age=31536000, immutable' : 'no-cache');
      report.uploaded++;
    }
    await this.put(DASHBOARD_MANIFEST, build.prefix, Buffer.from(JSON.stringify(build.manifest)), 'application/json', 'no-cache');
    return report;
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.options.s3.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isS3NotFound(error)) return false;
      throw s3Error(error, `Reading s3://${this.options.bucket}/${key}`);
    }
  }

  private async put(name: string, prefix: string, body: Buffer, type: string, cacheControl: string): Promise<void> {
    const key = `${prefix}${name}`;
    try {
      await this.options.s3.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentType: type, CacheControl: cacheControl }));
    } catch (error) {
      throw s3Error(error, `Uploading s3://${this.options.bucket}/${key}`);
    }
  }
}

function s3Error(error: unknown, doing: string): AnchorError {
  return new AnchorError({ code: 'S3_ERROR', kind: 'external', message: `${doing} failed: ${errorMessage(error)}`, hint: 'Run "anchor init --aws" again; check the credentials may use S3 in this region.', cause: error });
}
