import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AnchorError } from '../../core/errors.js';
import { findCentralDirectory, parseCentralDirectory, readZipEntry, ZIP_TAIL_BYTES, type ZipEntry } from './zip-archive.js';

/** An artifact's `location` on AWS: `s3://<bucket>/<key>`. */
export function parseS3Location(location: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  if (!match?.[1] || !match[2]) {
    throw new AnchorError({ code: 'ARTIFACT_LOCATION_INVALID', kind: 'internal', message: `"${location}" is not an s3://bucket/key location.` });
  }
  return { bucket: match[1], key: match[2] };
}

async function getBytes(s3: S3Client, bucket: string, key: string, range?: string): Promise<Buffer> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: range } : {}) }));
  if (!Body) return Buffer.alloc(0);
  return Buffer.from(await Body.transformToByteArray());
}

/** The whole zip, in memory (the deploy function has the memory for an OpenNext bundle). */
export async function downloadZip(s3: S3Client, location: string): Promise<Buffer> {
  const { bucket, key } = parseS3Location(location);
  return getBytes(s3, bucket, key);
}

/**
 * A zip's entries from two or three ranged reads (size, tail, central directory), without
 * downloading the archive: how a 100 MB artifact is inspected in a few hundred ms.
 */
export async function listZipAt(s3: S3Client, location: string): Promise<{ entries: ZipEntry[]; zipBytes: number; metadata: Record<string, string> }> {
  const { bucket, key } = parseS3Location(location);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const size = head.ContentLength ?? 0;
  const tailStart = Math.max(0, size - ZIP_TAIL_BYTES);
  const tail = await getBytes(s3, bucket, key, `bytes=${tailStart}-${size - 1}`);
  const { offset, size: dirSize } = findCentralDirectory(tail);
  const directory = offset >= tailStart ? tail.subarray(offset - tailStart, offset - tailStart + dirSize) : await getBytes(s3, bucket, key, `bytes=${offset}-${offset + dirSize - 1}`);
  return { entries: parseCentralDirectory(directory), zipBytes: size, metadata: head.Metadata ?? {} };
}

/** One small entry (a manifest) by ranged reads: its local header, then its data. */
export async function readEntryAt(s3: S3Client, location: string, entry: ZipEntry): Promise<Buffer> {
  const { bucket, key } = parseS3Location(location);
  // The local header's name and extra field may differ in length from the central one: read generously.
  const slice = await getBytes(s3, bucket, key, `bytes=${entry.localHeaderOffset}-${entry.localHeaderOffset + 30 + 0xffff * 2 + entry.compressedSize}`);
  return readZipEntry(slice, { ...entry, localHeaderOffset: 0 });
}
