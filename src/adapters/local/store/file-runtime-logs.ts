import { appendFile, mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AnchorError } from '../../../core/errors.js';
import type { DeploymentRef, RuntimeLogLine, RuntimeLogs } from '../../../core/ports/runtime-logs.js';

export interface RuntimeLogLimits {
  /** A log file is rotated (the previous one dropped) once it would pass this size. */
  fileBytes: number;
  /** Lines waiting to be written; past it they are dropped and the drop is logged. */
  pendingBytes: number;
  batchMs: number;
}

export const DEFAULT_RUNTIME_LOG_LIMITS: RuntimeLogLimits = { fileBytes: 5 * 1024 * 1024, pendingBytes: 1024 * 1024, batchMs: 100 };

interface Writer {
  pending: string[];
  pendingBytes: number;
  dropped: number;
  /** Bytes in the current file, known after the first write. */
  size: number | null;
  chain: Promise<void>;
  timer: NodeJS.Timeout | null;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * A deployment's runtime log: `<dir>/<deploymentId>.jsonl`, one JSON object per line, rotated to
 * `<deploymentId>.1.jsonl` when it would pass `fileBytes`, so at most two files' worth is kept.
 * Written only by the anchor server (batched, in order); read by any process, with a cursor that
 * follows the file across a rotation (`<inode>:<offset>`).
 */
export class FileRuntimeLogs implements RuntimeLogs {
  private readonly writers = new Map<string, Writer>();
  private dirReady: Promise<unknown> | null = null;

  constructor(
    private readonly dir: string,
    private readonly limits: RuntimeLogLimits = DEFAULT_RUNTIME_LOG_LIMITS,
  ) {}

  /** Queues a line (already masked); it reaches the file within `batchMs`. */
  write(deploymentId: string, line: RuntimeLogLine): void {
    const writer = this.writer(deploymentId);
    const text = `${JSON.stringify(line)}\n`;
    if (writer.pendingBytes + text.length > this.limits.pendingBytes) {
      writer.dropped++;
    } else {
      writer.pending.push(text);
      writer.pendingBytes += text.length;
    }
    writer.timer ??= setTimeout(() => void this.flushOne(deploymentId), this.limits.batchMs);
  }

  /** Resolves when every line written so far is in its file. */
  async flush(): Promise<void> {
    await Promise.all([...this.writers.keys()].map((id) => this.flushOne(id)));
  }

  /** Locally a log is filed by deployment id alone (ids are unique on a platform). */
  async read({ deploymentId }: DeploymentRef, cursor?: string): Promise<{ lines: RuntimeLogLine[]; cursor: string }> {
    const [cursorIno, cursorOffset] = parseCursor(cursor);
    const current = await openIfThere(this.file(deploymentId));
    try {
      const currentIno = current ? (await current.stat()).ino : 0;
      if (cursor !== undefined && current && currentIno === cursorIno) {
        const { lines, end } = await readLines(current, cursorOffset);
        return { lines, cursor: `${currentIno}:${end}` };
      }
      // First read, or the file was rotated since: the rest of the older file, then the new one.
      const lines: RuntimeLogLine[] = [];
      const previous = await openIfThere(this.rotated(deploymentId));
      if (previous) {
        try {
          const previousIno = (await previous.stat()).ino;
          if (cursor === undefined) lines.push(...(await readLines(previous, 0)).lines);
          else if (previousIno === cursorIno) lines.push(...(await readLines(previous, cursorOffset)).lines);
        } finally {
          await previous.close();
        }
      }
      const fresh = current ? await readLines(current, 0) : { lines: [], end: 0 };
      return { lines: [...lines, ...fresh.lines], cursor: `${currentIno}:${fresh.end}` };
    } finally {
      await current?.close();
    }
  }

  async remove({ deploymentId }: DeploymentRef): Promise<void> {
    const writer = this.writers.get(deploymentId);
    if (writer?.timer) clearTimeout(writer.timer);
    this.writers.delete(deploymentId);
    await writer?.chain;
    await Promise.all([rm(this.file(deploymentId), { force: true }), rm(this.rotated(deploymentId), { force: true })]);
  }

  private writer(deploymentId: string): Writer {
    let writer = this.writers.get(deploymentId);
    if (!writer) {
      this.file(deploymentId);
      writer = { pending: [], pendingBytes: 0, dropped: 0, size: null, chain: Promise.resolve(), timer: null };
      this.writers.set(deploymentId, writer);
    }
    return writer;
  }

  private flushOne(deploymentId: string): Promise<void> {
    const writer = this.writers.get(deploymentId);
    if (!writer) return Promise.resolve();
    if (writer.timer) clearTimeout(writer.timer);
    writer.timer = null;
    const batch = writer.pending;
    if (writer.dropped > 0) {
      batch.push(`${JSON.stringify({ at: new Date().toISOString(), source: 'anchor', stream: 'stderr', text: `${writer.dropped} lines were dropped: the site printed faster than they could be stored.` } satisfies RuntimeLogLine)}\n`);
    }
    writer.pending = [];
    writer.pendingBytes = 0;
    writer.dropped = 0;
    if (batch.length === 0) return writer.chain;
    writer.chain = writer.chain.then(() => this.append(deploymentId, writer, batch)).catch(() => undefined);
    return writer.chain;
  }

  /** Appends in pieces that fit the current file, rotating between them. */
  private async append(deploymentId: string, writer: Writer, batch: string[]): Promise<void> {
    this.dirReady ??= mkdir(this.dir, { recursive: true });
    await this.dirReady;
    const file = this.file(deploymentId);
    writer.size ??= await stat(file).then((s) => s.size, () => 0);
    let piece = '';
    let pieceBytes = 0;
    for (const text of batch) {
      const bytes = Buffer.byteLength(text);
      if (writer.size + pieceBytes + bytes > this.limits.fileBytes && writer.size + pieceBytes > 0) {
        if (piece !== '') await appendFile(file, piece);
        await rename(file, this.rotated(deploymentId)).catch(() => undefined);
        writer.size = 0;
        piece = '';
        pieceBytes = 0;
      }
      piece += text;
      pieceBytes += bytes;
    }
    if (piece !== '') await appendFile(file, piece);
    writer.size += pieceBytes;
  }

  private file(deploymentId: string): string {
    if (!SAFE_ID.test(deploymentId)) {
      throw new AnchorError({ code: 'DEPLOYMENT_ID_INVALID', kind: 'usage', message: `"${deploymentId}" is not a deployment id.`, hint: 'Deployment ids look like d_01J…; run "anchor deployments ls <project>".' });
    }
    return join(this.dir, `${deploymentId}.jsonl`);
  }

  private rotated(deploymentId: string): string {
    return join(this.dir, `${deploymentId}.1.jsonl`);
  }
}

function parseCursor(cursor: string | undefined): [number, number] {
  const match = /^(\d+):(\d+)$/.exec(cursor ?? '');
  return match ? [Number(match[1]), Number(match[2])] : [-1, 0];
}

async function openIfThere(file: string): Promise<FileHandle | null> {
  return open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
}

/** The complete lines from `offset` to the end (a last line still being written waits for next time). */
async function readLines(handle: FileHandle, offset: number): Promise<{ lines: RuntimeLogLine[]; end: number }> {
  const { size } = await handle.stat();
  if (size <= offset) return { lines: [], end: Math.min(offset, size) };
  const buffer = Buffer.alloc(size - offset);
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  const complete = buffer.subarray(0, done).lastIndexOf(0x0a) + 1;
  const text = buffer.subarray(0, complete).toString('utf8');
  const lines = text === '' ? [] : text.slice(0, -1).split('\n').map((raw) => JSON.parse(raw) as RuntimeLogLine);
  return { lines, end: offset + complete };
}
