import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DashboardSource } from '../../core/dashboard/dashboard-response.js';

/** Written last by the upload, so a prefix with a manifest is complete: every file it lists is there. */
export const DASHBOARD_MANIFEST = 'manifest.json';

/** The files of one dashboard build (names relative to its prefix, precompressed copies included). */
export interface DashboardManifest {
  files: Record<string, { bytes: number; sha256: string }>;
}

/**
 * One dashboard build in S3 (`dashboard/<sha256>/` of the bootstrap bucket, named by its
 * content), served by the API function. Nothing under a prefix ever changes, so what a container
 * read once it keeps; a name the manifest lacks is answered without asking S3 (its read role may
 * not list, and S3 would answer 403 for a missing key).
 */
export class S3DashboardSource implements DashboardSource {
  private manifest: Promise<DashboardManifest> | null = null;
  private readonly files = new Map<string, Promise<Uint8Array>>();

  constructor(private readonly options: { s3: S3Client; bucket: string; prefix: string }) {}

  async read(name: string): Promise<Uint8Array | null> {
    const manifest = await this.listing();
    if (!Object.hasOwn(manifest.files, name)) return null;
    let file = this.files.get(name);
    if (!file) {
      file = this.get(name);
      this.files.set(name, file);
      file.catch(() => this.files.delete(name));
    }
    return file;
  }

  private listing(): Promise<DashboardManifest> {
    this.manifest ??= this.get(DASHBOARD_MANIFEST).then((bytes) => JSON.parse(Buffer.from(bytes).toString('utf8')) as DashboardManifest);
    this.manifest.catch(() => {
      this.manifest = null;
    });
    return this.manifest;
  }

  private async get(name: string): Promise<Uint8Array> {
    const { Body } = await this.options.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: `${this.options.prefix}${name}` }));
    if (!Body) throw new Error(`s3://${this.options.bucket}/${this.options.prefix}${name} has no body`);
    return Body.transformToByteArray();
  }
}
