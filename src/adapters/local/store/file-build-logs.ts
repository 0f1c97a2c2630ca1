import { appendFile, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { AnchorError } from '../../../core/errors.js';
import type { BuildLogs, LogLine } from '../../../core/ports/build-logs.js';

/** What is known about a log file: where each complete line ends, in bytes. */
interface LineIndex {
  ends: number[];
  /** The scan in progress, so two reads never index the same bytes twice. */
  scan: Promise<void>;
  /** The file the offsets belong to. */
  ino: number | null;
}

const NEWLINE = 0x0a;
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * One JSON-lines file per deployment (`<dir>/<deploymentId>.jsonl`), one `{at, text}` object per
 * line; a line's number is its position. Another process may be appending at the same time: each
 * `append` is one O_APPEND write, and a last line without its newline is not returned until it is
 * complete. Line positions are indexed in memory so following a long log reads only what is new.
 */
export class FileBuildLogs implements BuildLogs {
  private readonly indexes = new Map<string, LineIndex>();
  private readonly writes = new Map<string, Promise<void>>();
  private dirReady: Promise<unknown> | null = null;

  constructor(private readonly dir: string) {}

  append(deploymentId: string, lines: readonly string[], at: string): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    const file = this.file(deploymentId);
    const text = lines.map((line) => `${JSON.stringify({ at, text: line })}\n`).join('');
    // Appends to one log run one after another (so lines keep their order) off the event loop:
    // creating a file costs about a millisecond here, which a burst of webhooks must not wait on.
    // Created on the first append, never at construction: most processes that open a platform only read.
    this.dirReady ??= mkdir(this.dir, { recursive: true }).catch(() => undefined);
    const previous = this.writes.get(deploymentId) ?? this.dirReady;
    const write = previous.then(() => appendFile(file, text));
    const settled = write.catch(() => undefined);
    this.writes.set(deploymentId, settled);
    void settled.then(() => {
      if (this.writes.get(deploymentId) === settled) this.writes.delete(deploymentId);
    });
    return write;
  }

  async read(deploymentId: string, options: { after: number; limit?: number }): Promise<LogLine[]> {
    const { ends } = await this.index(deploymentId);
    const from = Math.max(0, options.after);
    const to = options.limit === undefined ? ends.length : Math.min(ends.length, from + Math.max(0, options.limit));
    return this.lines(deploymentId, ends, from, to);
  }

  async tail(deploymentId: string, count: number): Promise<LogLine[]> {
    const { ends } = await this.index(deploymentId);
    return this.lines(deploymentId, ends, Math.max(0, ends.length - Math.max(0, count)), ends.length);
  }

  /** Lines `from + 1` … `to` (1-based, inclusive), read in one go from their byte range. */
  private async lines(deploymentId: string, ends: readonly number[], from: number, to: number): Promise<LogLine[]> {
    if (from >= to) return [];
    const start = from === 0 ? 0 : (ends[from - 1] as number);
    const bytes = await readRange(this.file(deploymentId), start, (ends[to - 1] as number) - start);
    const texts = bytes.toString('utf8').split('\n');
    return texts.slice(0, to - from).map((raw, i) => {
      const parsed = JSON.parse(raw) as { at: string; text: string };
      return { n: from + i + 1, at: parsed.at, text: parsed.text };
    });
  }

  /** Scans only the bytes appended since the last call; scans of one log run one after another. */
  private index(deploymentId: string): Promise<LineIndex> {
    let index = this.indexes.get(deploymentId);
    if (!index) {
      index = { ends: [], scan: Promise.resolve(), ino: null };
      this.indexes.set(deploymentId, index);
    }
    const current = index;
    const scan = current.scan.then(() => this.scan(deploymentId, current));
    current.scan = scan.catch(() => undefined);
    return scan.then(() => current);
  }

  private async scan(deploymentId: string, index: LineIndex): Promise<void> {
    const handle = await open(this.file(deploymentId), 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (!handle) return;
    try {
      // A log removed and written anew (another file, or a shorter one): what we knew about it is void.
      const stat = await handle.stat();
      if (stat.ino !== index.ino || stat.size < (index.ends.at(-1) ?? 0)) index.ends.length = 0;
      index.ino = stat.ino;
      const chunk = Buffer.alloc(64 * 1024);
      let position = index.ends.at(-1) ?? 0;
      for (;;) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) break;
        for (let i = 0; i < bytesRead; i++) if (chunk[i] === NEWLINE) index.ends.push(position + i + 1);
        position += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }

  private file(deploymentId: string): string {
    if (!SAFE_ID.test(deploymentId)) {
      throw new AnchorError({ code: 'DEPLOYMENT_ID_INVALID', kind: 'usage', message: `"${deploymentId}" is not a deployment id.`, hint: 'Deployment ids look like d_01J…; run "anchor deployments ls <project>".' });
    }
    return join(this.dir, `${deploymentId}.jsonl`);
  }
}

async function readRange(file: string, start: number, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(buffer, done, length - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  } finally {
    await handle.close();
  }
}
