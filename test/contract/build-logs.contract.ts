import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuildLogs, LogLine } from '../../src/core/ports/build-logs.js';

export interface BuildLogsSubject {
  logs: BuildLogs;
  cleanup(): Promise<void>;
}

const at = (second: number) => `2025-01-01T00:00:${String(second).padStart(2, '0')}.000Z`;

export function describeBuildLogsContract(name: string, makeAdapter: () => Promise<BuildLogsSubject>): void {
  describe(`BuildLogs contract: ${name}`, () => {
    let s: BuildLogsSubject;
    beforeEach(async () => {
      s = await makeAdapter();
    });
    afterEach(async () => {
      await s.cleanup();
    });

    it('has no lines for a deployment that logged nothing', async () => {
      expect(await s.logs.read('d_none', { after: 0 })).toEqual([]);
      expect(await s.logs.tail('d_none', 10)).toEqual([]);
    });

    it('numbers lines from 1 in the order appended, each with its time', async () => {
      await s.logs.append('d_1', ['$ npm ci', 'added 312 packages'], at(1));
      await s.logs.append('d_1', ['$ next build'], at(2));

      expect(await s.logs.read('d_1', { after: 0 })).toEqual([
        { n: 1, at: at(1), text: '$ npm ci' },
        { n: 2, at: at(1), text: 'added 312 packages' },
        { n: 3, at: at(2), text: '$ next build' },
      ]);
    });

    it('reads after a cursor, at most limit lines, and tails the last lines', async () => {
      await s.logs.append('d_1', Array.from({ length: 10 }, (_, i) => `line ${i + 1}`), at(1));

      expect((await s.logs.read('d_1', { after: 7 })).map((l) => l.n)).toEqual([8, 9, 10]);
      expect((await s.logs.read('d_1', { after: 2, limit: 3 })).map((l) => l.text)).toEqual(['line 3', 'line 4', 'line 5']);
      expect(await s.logs.read('d_1', { after: 10 })).toEqual([]);
      expect((await s.logs.tail('d_1', 2)).map((l) => [l.n, l.text])).toEqual([
        [9, 'line 9'],
        [10, 'line 10'],
      ]);
      expect(await s.logs.tail('d_1', 50)).toHaveLength(10);
    });

    it('keeps text as given: unicode, quotes, tabs, ANSI colours and empty lines', async () => {
      const texts = ['✓ Compiled 🚀 in 2.1s', 'say "hi"\tthere', '\u001b[32mgreen\u001b[39m', '', '{"json":"looking"}'];
      await s.logs.append('d_1', texts, at(1));
      expect((await s.logs.read('d_1', { after: 0 })).map((l) => l.text)).toEqual(texts);
    });

    it('keeps the logs of different deployments apart', async () => {
      await s.logs.append('d_1', ['one'], at(1));
      await s.logs.append('d_2', ['two'], at(1));
      expect((await s.logs.read('d_2', { after: 0 })).map((l) => [l.n, l.text])).toEqual([[1, 'two']]);
    });

    it('follows a log from a cursor while lines are being appended', async () => {
      const batches = 50;
      const writer = (async () => {
        for (let b = 0; b < batches; b++) {
          await s.logs.append('d_1', [`batch ${b} a`, `batch ${b} b`, `batch ${b} c`], at(b % 60));
          await new Promise((r) => setTimeout(r, 1));
        }
      })();

      const seen: LogLine[] = [];
      while (seen.length < batches * 3) {
        const next = await s.logs.read('d_1', { after: seen.at(-1)?.n ?? 0, limit: 20 });
        seen.push(...next);
        if (next.length === 0) await new Promise((r) => setTimeout(r, 2));
      }
      await writer;

      expect(seen.map((l) => l.n)).toEqual(Array.from({ length: batches * 3 }, (_, i) => i + 1));
      expect(seen.slice(0, 4).map((l) => l.text)).toEqual(['batch 0 a', 'batch 0 b', 'batch 0 c', 'batch 1 a']);
    });
  });
}
