import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { artifactKey, FUNCTION_ZIPS, functionCodeKeyBeside } from './resource-names.js';
import { zipFiles } from '../../lib/zip-files.js';
import { AnchorError } from '../../core/errors.js';
import type { ArtifactInfo, Artifacts, BuildOutput, BundleReport, DeploymentRef } from '../../core/ports/artifacts.js';
import { bundleReport, OPEN_NEXT_LAYOUT, parseManifest } from '../../core/opennext-output.js';
import { listZipAt, parseS3Location, readEntryAt } from './s3-zip.js';
import { isS3NotFound } from './aws-errors.js';

export interface S3ArtifactsOptions {
  s3: S3Client;
  bucket: string;
}


/** Object metadata with the unzipped size, so `get` need not list the zip (x-amz-meta-anchor-bytes). */
const BYTES_META = 'anchor-bytes';

/**
 * A deployment's OpenNext output as the zip of `.open-next/` in the artifacts bucket. On AWS the
 * build uploads it itself (an `uploaded` output), so `store` only checks it is there and measures
 * it; a `directory` (the CLI, tests) is zipped and uploaded. Keys are
 * `builds/<project>/<deploymentId>/open-next.zip` (resource-names.ts `artifactKey`).
 * `bytes` is the unzipped size, as on the local backend. `inspect` lists the zip with ranged reads.
 */
export class S3Artifacts implements Artifacts {
  constructor(private readonly options: S3ArtifactsOptions) {}

  async store(ref: DeploymentRef, output: BuildOutput): Promise<ArtifactInfo> {
    const { deploymentId } = ref;
    if (output.kind === 'uploaded') {
      const info = await this.measure(deploymentId, output.location);
      if (!info) {
        throw new AnchorError({
          code: 'BUILD_OUTPUT_MISSING',
          kind: 'failed',
          message: `The build of ${deploymentId} uploaded no output to ${output.location}.`,
          hint: 'Check the end of the build log: the OpenNext build or the upload step most likely failed.',
        });
      }
      return info;
    }
    const location = this.location(ref);
    const files = await collectFiles(output.path);
    const bytes = files.reduce((sum, f) => sum + f.data.length, 0);
    const { bucket, key } = parseS3Location(location);
    // As the buildspec does: each function's own zip beside the artifact, the artifact last.
    for (const kind of Object.keys(FUNCTION_ZIPS) as (keyof typeof FUNCTION_ZIPS)[]) {
      const dir = OPEN_NEXT_LAYOUT[kind];
      const inside = files.filter((f) => f.name.startsWith(`${dir}/`)).map((f) => ({ name: f.name.slice(dir.length + 1), data: f.data }));
      if (inside.length > 0) await this.upload(bucket, functionCodeKeyBeside(key, kind), zipFiles(inside));
    }
    await this.upload(bucket, key, zipFiles(files), { [BYTES_META]: String(bytes) });
    return { deploymentId, location, bytes };
  }

  async get(ref: DeploymentRef): Promise<ArtifactInfo | null> {
    return this.measure(ref.deploymentId, this.location(ref));
  }

  async inspect(artifact: ArtifactInfo): Promise<BundleReport> {
    const { entries } = await listZipAt(this.options.s3, artifact.location);
    const manifestEntry = entries.find((e) => e.name === OPEN_NEXT_LAYOUT.manifest);
    const manifest = manifestEntry ? parseManifest((await readEntryAt(this.options.s3, artifact.location, manifestEntry)).toString('utf8')) : null;
    return bundleReport(entries.filter((e) => e.kind === 'file').map((e) => ({ name: e.name, size: e.size })), manifest);
  }

  async remove(ref: DeploymentRef): Promise<void> {
    const { bucket, key } = parseS3Location(this.location(ref));
    for (const kind of Object.keys(FUNCTION_ZIPS) as (keyof typeof FUNCTION_ZIPS)[]) await this.options.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: functionCodeKeyBeside(key, kind) }));
    await this.options.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }

  private async upload(bucket: string, key: string, body: Buffer, metadata?: Record<string, string>): Promise<void> {
    await new Upload({ client: this.options.s3, params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/zip', ...(metadata ? { Metadata: metadata } : {}) } }).done();
  }

  private async measure(deploymentId: string, location: string): Promise<ArtifactInfo | null> {
    try {
      const { entries, metadata } = await listZipAt(this.options.s3, location);
      const recorded = Number(metadata[BYTES_META]);
      const bytes = Number.isFinite(recorded) && metadata[BYTES_META] !== undefined ? recorded : entries.filter((e) => e.kind !== 'directory').reduce((sum, e) => sum + e.size, 0);
      return { deploymentId, location, bytes };
    } catch (error) {
      if (isS3NotFound(error)) return null;
      throw error;
    }
  }

  private location(ref: DeploymentRef): string {
    return `s3://${this.options.bucket}/${artifactKey(ref.projectName, ref.deploymentId)}`;
  }
}

/** Every regular file under `dir` (links followed), with its path inside `dir` using `/`. */
async function collectFiles(dir: string): Promise<{ name: string; data: Buffer }[]> {
  try {
    await stat(dir);
  } catch (error) {
    throw new AnchorError({ code: 'BUILD_OUTPUT_MISSING', kind: 'failed', message: `The build produced no output at ${dir}.`, hint: 'Check the end of the build log.', cause: error });
  }
  const files: { name: string; data: Buffer }[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const info = entry.isSymbolicLink() ? await stat(path).catch(() => null) : await lstat(path);
    if (!info?.isFile()) continue;
    files.push({ name: relative(dir, path).split(sep).join('/'), data: await readFile(path) });
  }
  return files.sort((a, b) => a.name.localeCompare(b.name));
}
