import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/store/sqlite-database.js';
import { SqliteFunctionStates } from '../../src/adapters/local/store/sqlite-function-states.js';
import type { HandlerStatus } from '../../src/adapters/local/runtime/supervised-handler.js';

let dir: string;
let db: SqliteDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'anchor-states-'));
  db = openDatabase(join(dir, 'anchor.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const record = (state: HandlerStatus['state'], extra: Partial<HandlerStatus> = {}): HandlerStatus => ({ state, pid: 4242, crashes: 0, restarts: 0, lastCrash: null, ...extra });
/** The pid of a process that has exited. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

describe('SqliteFunctionStates (local)', () => {
  it('tells the state the server wrote, the one needing attention first, and counts crashes and restarts', async () => {
    const states = new SqliteFunctionStates(db);
    states.record('d_1', 'server', record('running', { restarts: 2 }), process.pid, '2026-01-01T00:00:00.000Z');
    states.record('d_1', 'image', record('idle'), process.pid, '2026-01-01T00:00:01.000Z');
    states.record('d_2', 'server', record('crashloop', { crashes: 5, lastCrash: { at: '2026-01-01T00:00:02.000Z', reason: 'exit code 1' } }), process.pid, '2026-01-01T00:00:02.000Z');
    states.record('d_2', 'image', record('running', { restarts: 1 }), process.pid, '2026-01-01T00:00:02.000Z');
    const read = await new SqliteFunctionStates(db).of(['d_1', 'd_2', 'd_3']);
    expect(read.get('d_1')).toMatchObject({ state: 'running', restarts: 2, updatedAt: '2026-01-01T00:00:01.000Z' });
    expect(read.get('d_2')).toMatchObject({ state: 'crashloop', crashes: 5, restarts: 1, lastCrash: { reason: 'exit code 1' } });
    expect(read.has('d_3')).toBe(false);
  });

  it('rows of a server that died or stopped say no server runs them; a new server starts from nothing', async () => {
    const states = new SqliteFunctionStates(db);
    states.record('d_1', 'server', record('running'), deadPid(), '2026-01-01T00:00:00.000Z');
    expect((await states.of(['d_1'])).get('d_1')?.state).toBe('no-server');
    states.record('d_2', 'server', record('running'), process.pid, '2026-01-01T00:00:00.000Z');
    states.detach();
    expect((await states.of(['d_2'])).get('d_2')?.state).toBe('no-server');
    states.reset();
    expect((await states.of(['d_1', 'd_2'])).size).toBe(0);
  });
});
