import { inflateRawSync } from 'node:zlib';
import { AnchorError } from '../../core/errors.js';

/**
 * Reads the zips the buildspec writes (`zip -qry`: deflate or stored, Unix modes, symlinks kept
 * as links). Only the central directory is needed to list a zip, so a large artifact can be
 * inspected from its last bytes (see S3 range reads in s3-zip.ts). No zip64: a zip that needs it
 * (over 65,535 entries or 4 GB) is refused with a clear error.
 */

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
  kind: 'file' | 'directory' | 'symlink';
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
/** End-of-central-directory record plus the longest comment a zip may carry. */
export const ZIP_TAIL_BYTES = 22 + 0xffff;

/** Where the central directory is, from the last bytes of a zip. */
export function findCentralDirectory(tail: Buffer): { offset: number; size: number; entries: number } {
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== EOCD_SIGNATURE) continue;
    const entries = tail.readUInt16LE(i + 10);
    const size = tail.readUInt32LE(i + 12);
    const offset = tail.readUInt32LE(i + 16);
    if (entries === 0xffff || size === 0xffffffff || offset === 0xffffffff) throw zipError('it is a zip64 archive (over 65,535 files or 4 GB), which anchor cannot read yet');
    return { offset, size, entries };
  }
  throw zipError('no end-of-central-directory record was found');
}

export function parseCentralDirectory(directory: Buffer): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let at = 0;
  while (at + 46 <= directory.length && directory.readUInt32LE(at) === CENTRAL_SIGNATURE) {
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    const madeBy = directory.readUInt16LE(at + 4) >> 8;
    const mode = madeBy === 3 ? directory.readUInt32LE(at + 38) >>> 16 : 0;
    const name = directory.toString('utf8', at + 46, at + 46 + nameLength);
    const kind = name.endsWith('/') || (mode & 0o170000) === 0o040000 ? 'directory' : (mode & 0o170000) === 0o120000 ? 'symlink' : 'file';
    entries.push({
      name: name.replace(/\/$/, ''),
      method: directory.readUInt16LE(at + 10),
      compressedSize: directory.readUInt32LE(at + 20),
      size: directory.readUInt32LE(at + 24),
      localHeaderOffset: directory.readUInt32LE(at + 42),
      kind,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Every entry of a zip held in memory. */
export function listZip(zip: Buffer): ZipEntry[] {
  const { offset, size } = findCentralDirectory(zip.subarray(Math.max(0, zip.length - ZIP_TAIL_BYTES)));
  return parseCentralDirectory(zip.subarray(offset, offset + size));
}

/** The bytes of one entry of a zip held in memory. */
export function readZipEntry(zip: Buffer, entry: ZipEntry): Buffer {
  const at = entry.localHeaderOffset;
  if (zip.readUInt32LE(at) !== LOCAL_SIGNATURE) throw zipError(`the entry ${entry.name} is damaged`);
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return Buffer.from(data);
  if (entry.method === 8) return inflateRawSync(data);
  throw zipError(`the entry ${entry.name} uses compression method ${entry.method}`);
}

function zipError(why: string): AnchorError {
  return new AnchorError({ code: 'ARTIFACT_UNREADABLE', kind: 'external', message: `The build artifact could not be read: ${why}.`, hint: 'Deploy again to rebuild it.' });
}
