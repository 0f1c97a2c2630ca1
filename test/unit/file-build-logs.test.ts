import { appendFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBuildLogs } from '../../src/adapters/local/store/file-build-logs.js';
import type { LogLine } from '../../src/core/ports/build-logs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anchor-logs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// The builder's process writes the same format: one {at, text} JSON object per line.
const WRITER = `
const { appendFileSync, writeSync, openSync } = require('node:fs');
const [file, count] = process.argv.slice(1);
const fd = openSync(file, 'a');
for (let i = 1; i <= Number(count); i++) {
  const line = JSON.stringify({ at: new Date(0).toISOString(), text: 'line ' + i + ' ' + 'x'.repeat(i % 300) }) + '\\n';
  // Half a line first, then the rest: a reader must never see the half.
  const cut = Math.floor(line.length / 2);
  writeSync(fd, line.slice(0, cut));
  writeSync(fd, line.slice(cut));
}
`;

describe('FileBuildLogs (local only)', () => {
  it('does not return a last line until it is complete', async () => {
    const logs = new FileBuildLogs(dir);
    await logs.append('d_1', ['first'], '2025-01-01T00:00:00.000Z');
    const line = `${JSON.stringify({ at: '2025-01-01T00:00:01.000Z', text: 'second' })}\n`;

    await appendFile(join(dir, 'd_1.jsonl'), line.slice(0, 10));
    expect((await logs.read('d_1', { after: 0 })).map((l) => l.text)).toEqual(['first']);
    expect((await logs.tail('d_1', 5)).map((l) => l.text)).toEqual(['first']);

    await appendFile(join(dir, 'd_1.jsonl'), line.slice(10));
    expect(await logs.read('d_1', { after: 1 })).toEqual([{ n: 2, at: '2025-01-01T00:00:01.000Z', text: 'second' }]);
  });

  it('follows a log that another process is writing, line by line, without gaps or halves', async () => {
    const count = 2000;
    await mkdir(dir, { recursive: true });
    const writer = execa('node', ['-e', WRITER, join(dir, 'd_1.jsonl'), String(count)]);
    const logs = new FileBuildLogs(dir);

    const seen: LogLine[] = [];
    let writerDone = false;
    void writer.then(() => (writerDone = true));
    for (;;) {
      const finished = writerDone;
      const next = await logs.read('d_1', { after: seen.at(-1)?.n ?? 0, limit: 500 });
      seen.push(...next);
      if (seen.length >= count) break;
      if (next.length === 0) {
        // A read that started after the writer exited and found nothing: there is nothing more to come.
        if (finished) break;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    await writer;

    expect(seen).toHaveLength(count);
    seen.forEach((l, i) => expect(l.text.startsWith(`line ${i + 1} `)).toBe(true));
  });

  it('reads a log written by another instance (the server reading what the builder wrote)', async () => {
    await new FileBuildLogs(dir).append('d_1', ['a', 'b'], '2025-01-01T00:00:00.000Z');
    const reader = new FileBuildLogs(dir);
    expect(await reader.tail('d_1', 1)).toEqual([{ n: 2, at: '2025-01-01T00:00:00.000Z', text: 'b' }]);
    await new FileBuildLogs(dir).append('d_1', ['c'], '2025-01-01T00:00:01.000Z');
    expect((await reader.read('d_1', { after: 2 })).map((l) => [l.n, l.text])).toEqual([[3, 'c']]);
  });
});

describe('FileBuildLogs when a log is replaced', () => {
  it('reads a log that was removed and written anew from its new start', async () => {
    const logs = new FileBuildLogs(dir);
    await logs.append('d_1', ['old 1', 'old 2', 'old 3'], '2025-01-01T00:00:00.000Z');
    expect(await logs.read('d_1', { after: 0 })).toHaveLength(3);

    await rm(join(dir, 'd_1.jsonl'));
    await logs.append('d_1', ['new 1'], '2025-01-01T00:00:01.000Z');
    expect(await logs.read('d_1', { after: 0 })).toEqual([{ n: 1, at: '2025-01-01T00:00:01.000Z', text: 'new 1' }]);

    // Replaced by a longer log: still read from its own start.
    await writeFile(join(dir, 'd_1.jsonl.next'), ['a', 'b', 'c', 'd'].map((text) => `${JSON.stringify({ at: '2025-01-01T00:00:02.000Z', text: `replacement ${text}` })}\n`).join(''));
    await rename(join(dir, 'd_1.jsonl.next'), join(dir, 'd_1.jsonl'));
    expect((await logs.read('d_1', { after: 0 })).map((l) => l.text)).toEqual(['replacement a', 'replacement b', 'replacement c', 'replacement d']);
  });
});
