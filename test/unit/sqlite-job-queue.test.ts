import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../src/adapters/local/store/sqlite-database.js';
import { SqliteJobQueue } from '../../src/adapters/local/store/sqlite-job-queue.js';
import { AnchorError } from '../../src/core/errors.js';

const HOUR = 3_600_000;
const job = { deploymentId: 'd_1', projectId: 'p_shop' };

let dir: string;
let file: string;
const open: SqliteDatabase[] = [];
function connect(): SqliteDatabase {
  const db = openDatabase(file);
  open.push(db);
  return db;
}
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anchor-queue-'));
  file = join(dir, 'anchor.db');
});
afterEach(async () => {
  for (const db of open.splice(0)) if (db.open) db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteJobQueue (local only)', () => {
  it('keeps a sent job across a restart of the process', async () => {
    const before = connect();
    await new SqliteJobQueue(before).send(job);
    before.close();

    const received = await new SqliteJobQueue(connect()).receive({ visibilityMs: HOUR, max: 1 });
    expect(received.map((r) => r.job)).toEqual([job]);
  });

  it('brings back, at start-up, a job held by a worker that crashed, keeping its attempt count', async () => {
    const crashed = connect();
    await new SqliteJobQueue(crashed).send(job);
    expect(await new SqliteJobQueue(crashed).receive({ visibilityMs: HOUR, max: 1 })).toHaveLength(1);
    crashed.close(); // the process died without ack or fail

    const queue = new SqliteJobQueue(connect());
    expect(await queue.receive({ visibilityMs: HOUR, max: 1 })).toEqual([]);

    expect(queue.releaseInFlight()).toBe(1);

    const again = await queue.receive({ visibilityMs: HOUR, max: 1 });
    expect(again).toEqual([{ receipt: expect.any(String), job, attempt: 2 }]);
    expect(queue.releaseInFlight()).toBe(1);
    expect(queue.releaseInFlight()).toBe(0);
  });

  it('counts a release towards the 3 attempts', async () => {
    const queue = new SqliteJobQueue(connect());
    await queue.send(job);
    for (let i = 0; i < 3; i++) {
      expect(await queue.receive({ visibilityMs: HOUR, max: 1 })).toHaveLength(1);
      queue.releaseInFlight();
    }
    expect(await queue.receive({ visibilityMs: HOUR, max: 1 })).toEqual([]);
    expect(await queue.takeDeadLetters()).toEqual([{ job, attempts: 3, lastError: null }]);
  });

  it('returns a job exactly when its visibility deadline passes, on the queue\'s clock', async () => {
    let now = 1_000_000;
    const queue = new SqliteJobQueue(connect(), { now: () => now });
    await queue.send(job);
    await queue.receive({ visibilityMs: 30_000, max: 1 });

    now += 29_999;
    expect(await queue.receive({ visibilityMs: 30_000, max: 1 })).toEqual([]);
    now += 1;
    expect(await queue.receive({ visibilityMs: 30_000, max: 1 })).toMatchObject([{ job, attempt: 2 }]);
  });

  it('ignores an ack or fail from a worker whose job was handed to another, and tells it on extend', async () => {
    let now = 0;
    const queue = new SqliteJobQueue(connect(), { now: () => now });
    await queue.send(job);
    const [slow] = await queue.receive({ visibilityMs: 1000, max: 1 });
    now = 2000;
    const [fresh] = await queue.receive({ visibilityMs: HOUR, max: 1 });

    await queue.ack(slow?.receipt as string);
    await queue.fail(slow?.receipt as string, 'late failure');
    const error = await queue.extend(slow?.receipt as string, HOUR).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AnchorError);
    expect(error).toMatchObject({ code: 'QUEUE_RECEIPT_STALE' });
    // The new holder still has it: nobody else can receive it, and its ack works.
    expect(await queue.receive({ visibilityMs: HOUR, max: 1 })).toEqual([]);
    await queue.extend(fresh?.receipt as string, HOUR);
    await queue.ack(fresh?.receipt as string);
    now += 2 * HOUR;
    expect(await queue.receive({ visibilityMs: HOUR, max: 1 })).toEqual([]);
  });

  it('shares one queue between two connections without double delivery', async () => {
    const a = new SqliteJobQueue(connect());
    const b = new SqliteJobQueue(connect());
    for (let i = 0; i < 20; i++) await a.send({ deploymentId: `d_${i}`, projectId: 'p_shop' });

    const got = [...(await a.receive({ visibilityMs: HOUR, max: 7 })), ...(await b.receive({ visibilityMs: HOUR, max: 20 }))];

    expect(new Set(got.map((r) => r.job.deploymentId)).size).toBe(20);
  });
});
