import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRuntimeLogs } from '../../src/adapters/local/store/file-runtime-logs.js';
import type { DeploymentRef, RuntimeLogLine } from '../../src/core/ports/runtime-logs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anchor-runtime-logs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (n: number): RuntimeLogLine => ({ at: new Date(n).toISOString(), source: 'server', stream: 'stdout', text: `line ${n} ${'x'.repeat(40)}` });
const numbers = (lines: RuntimeLogLine[]) => lines.map((l) => Number(l.text.split(' ')[1]));

/** Locally a runtime log is filed by deployment id; the project name rides along. */
function ref(deploymentId: string): DeploymentRef {
  return { projectName: 'shop', deploymentId };
}

describe('FileRuntimeLogs (local)', () => {
  it('keeps at most two files of the newest lines, whatever a site prints', async () => {
    const logs = new FileRuntimeLogs(dir, { fileBytes: 2000, pendingBytes: 1024 * 1024, batchMs: 5 });
    for (let n = 1; n <= 500; n++) {
      logs.write('d_1', line(n));
      if (n % 7 === 0) await logs.flush();
    }
    await logs.flush();
    const files = await readdir(dir);
    expect(files.sort()).toEqual(['d_1.1.jsonl', 'd_1.jsonl']);
    for (const file of files) expect((await stat(join(dir, file))).size).toBeLessThanOrEqual(2000);
    const kept = numbers((await logs.read(ref('d_1'))).lines);
    expect(kept.at(-1)).toBe(500);
    expect(kept[0]).toBeGreaterThan(1);
    // Oldest first, nothing missing in between.
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => (kept[0] ?? 0) + i));
  });

  it('a cursor follows the log across a rotation without losing or repeating a line', async () => {
    const logs = new FileRuntimeLogs(dir, { fileBytes: 2000, pendingBytes: 1024 * 1024, batchMs: 5 });
    const reader = new FileRuntimeLogs(dir);
    let seen: number[] = [];
    let cursor: string | undefined;
    for (let n = 1; n <= 120; n++) {
      logs.write('d_1', line(n));
      if (n % 10 === 0) {
        await logs.flush();
        const read = await reader.read(ref('d_1'), cursor);
        seen = [...seen, ...numbers(read.lines)];
        cursor = read.cursor;
      }
    }
    expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect((await readdir(dir)).sort()).toEqual(['d_1.1.jsonl', 'd_1.jsonl']);
  });

  it('drops what it cannot write in time, and says so in the log', async () => {
    const logs = new FileRuntimeLogs(dir, { fileBytes: 1024 * 1024, pendingBytes: 500, batchMs: 1000 });
    for (let n = 1; n <= 100; n++) logs.write('d_1', line(n));
    await logs.flush();
    const lines = (await logs.read(ref('d_1'))).lines;
    expect(lines.length).toBeLessThan(100);
    expect(lines.at(-1)).toMatchObject({ source: 'anchor', text: expect.stringMatching(/^\d+ lines were dropped: the site printed faster than they could be stored\.$/) });
  });

  it('remove deletes both files; reading what was never written is empty', async () => {
    const logs = new FileRuntimeLogs(dir, { fileBytes: 500, pendingBytes: 1024 * 1024, batchMs: 5 });
    for (let n = 1; n <= 30; n++) logs.write('d_1', line(n));
    await logs.flush();
    await logs.remove(ref('d_1'));
    expect(await readdir(dir)).toEqual([]);
    expect((await logs.read(ref('d_2'))).lines).toEqual([]);
    await expect(logs.read(ref('../etc/passwd'))).rejects.toMatchObject({ code: 'DEPLOYMENT_ID_INVALID' });
  });
});
