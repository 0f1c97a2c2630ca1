import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, openDatabase } from '../../src/adapters/local/store/sqlite-database.js';
import { AnchorError } from '../../src/core/errors.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anchor-db-'));
  file = join(dir, 'nested', 'anchor.db');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function versions(db: Database.Database): number[] {
  return (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
}

describe('openDatabase', () => {
  it('creates the file in WAL mode with foreign keys on and every migration applied once', () => {
    const db = openDatabase(file);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(versions(db)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['projects', 'deployments', 'live_pointers', 'env_vars', 'deliveries', 'jobs', 'dead_letters', 'schema_migrations']));
    } finally {
      db.close();
    }
  });

  it('opens an up-to-date file again without touching it, keeping its data', () => {
    const first = openDatabase(file);
    first.prepare("INSERT INTO deliveries VALUES ('g-1', 'p_1', 'd_1', '2025-01-01T00:00:00.000Z')").run();
    first.close();

    const again = openDatabase(file);
    try {
      expect(versions(again)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      expect(again.prepare('SELECT count(*) FROM deliveries').pluck().get()).toBe(1);
    } finally {
      again.close();
    }
  });

  it('applies only the migrations a file does not have yet, in order', () => {
    const v1 = ["CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('from v1');"];
    openDatabase(file, { migrations: v1 }).close();

    const db = openDatabase(file, { migrations: [...v1, "ALTER TABLE notes ADD COLUMN author TEXT; UPDATE notes SET author = 'v2';"] });
    try {
      expect(versions(db)).toEqual([1, 2]);
      expect(db.prepare('SELECT text, author FROM notes').all()).toEqual([{ text: 'from v1', author: 'v2' }]);
    } finally {
      db.close();
    }
  });

  it('applies nothing of a migration batch that fails', () => {
    openDatabase(file, { migrations: ['CREATE TABLE a (x)'] }).close();

    expect(() => openDatabase(file, { migrations: ['CREATE TABLE a (x)', 'CREATE TABLE b (x)', 'THIS IS NOT SQL'] })).toThrow();

    const raw = new Database(file);
    try {
      expect(versions(raw)).toEqual([1]);
      expect(raw.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'b'").pluck().get()).toBe(0);
    } finally {
      raw.close();
    }
  });

  it('refuses a file written by a newer anchor, saying so, and leaves it alone', () => {
    openDatabase(file).close();
    const raw = new Database(file);
    raw.prepare("INSERT INTO schema_migrations VALUES (?, '2030-01-01T00:00:00.000Z')").run(MIGRATIONS.length + 1);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();

    let error: unknown;
    try {
      openDatabase(file).close();
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(AnchorError);
    expect(error).toMatchObject({ code: 'DATABASE_TOO_NEW', kind: 'conflict', details: { version: MIGRATIONS.length + 1, known: MIGRATIONS.length } });
    expect((error as AnchorError).message).toContain('newer anchor');
    expect((error as AnchorError).hint).toMatch(/Upgrade anchor/);
  });

  it('keeps every connection to one file on the same schema', () => {
    const dbs = Array.from({ length: 4 }, () => openDatabase(file));
    try {
      for (const db of dbs) expect(versions(db)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    } finally {
      for (const db of dbs) db.close();
    }
  });
});
