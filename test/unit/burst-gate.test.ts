import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BurstGate, BurstGatedLogs } from '../../src/adapters/local/server/burst-gate.js';
import { FileBuildLogs } from '../../src/adapters/local/store/file-build-logs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('BurstGate (local only)', () => {
  it('runs work at once when nothing is arriving', () => {
    const gate = new BurstGate({ quietMs: 20, maxMs: 250 });
    const ran: string[] = [];
    gate.afterBurst(() => ran.push('now'));
    expect(ran).toEqual(['now']);
  });

  it('holds work until deliveries stop, then runs it in the order it came', async () => {
    const gate = new BurstGate({ quietMs: 30, maxMs: 1000 });
    const ran: number[] = [];
    for (let i = 0; i < 5; i++) {
      gate.arrived()();
      gate.afterBurst(() => ran.push(i));
      await sleep(10);
    }
    expect(ran).toEqual([]);
    await sleep(60);
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    expect(gate.bursting).toBe(false);
  });

  it('holds work while a delivery is still being answered, then a quiet period more', async () => {
    const gate = new BurstGate({ quietMs: 20, maxMs: 1000 });
    const ran: string[] = [];
    const answered = gate.arrived();
    gate.afterBurst(() => ran.push('held'));
    // No other delivery comes, but this one is not answered yet: its follow-up would slow the answer.
    await sleep(80);
    expect(ran).toEqual([]);
    answered();
    answered();
    await sleep(5);
    expect(ran).toEqual([]);
    await sleep(60);
    expect(ran).toEqual(['held']);
    expect(gate.bursting).toBe(false);
  });

  it('never holds work longer than maxMs, however long the deliveries keep coming', async () => {
    const gate = new BurstGate({ quietMs: 30, maxMs: 120 });
    let ranAt = 0;
    const start = Date.now();
    gate.arrived();
    gate.afterBurst(() => {
      ranAt = Date.now() - start;
    });
    while (Date.now() - start < 400 && ranAt === 0) {
      gate.arrived();
      await sleep(5);
    }
    // Without the cap it would still be waiting: a delivery came every 5 ms the whole time.
    expect(ranAt).toBeGreaterThan(0);
  });

  it('log lines appended during a burst are written after it, in order, and reads do not wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anchor-gate-'));
    dirs.push(dir);
    const gate = new BurstGate({ quietMs: 30, maxMs: 1000 });
    const logs = new BurstGatedLogs(new FileBuildLogs(dir), gate);
    await logs.append('d_1', ['before the burst'], 'now');
    gate.arrived()();
    const held = [logs.append('d_1', ['first'], 'now'), logs.append('d_1', ['second'], 'now')];
    expect((await logs.read('d_1', { after: 0 })).map((l) => l.text)).toEqual(['before the burst']);
    await Promise.all(held);
    expect((await logs.read('d_1', { after: 0 })).map((l) => l.text)).toEqual(['before the burst', 'first', 'second']);
  });
});
