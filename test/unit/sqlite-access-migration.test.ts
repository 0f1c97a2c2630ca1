import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, openDatabase } from '../../src/adapters/local/store/sqlite-database.js';
import { SqliteAccess } from '../../src/adapters/local/store/sqlite-access.js';
import { SqliteProjects } from '../../src/adapters/local/store/sqlite-projects.js';
import { DEFAULT_OWNER_ID } from '../../src/core/ports/access.js';
import { sampleProject } from '../contract/samples.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the owners migration', () => {
  it('gives the projects of a platform from before owners to the default owner, and keeps them when they are removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anchor-owners-'));
    dirs.push(dir);
    const file = join(dir, 'anchor.db');
    const before = MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE owners'));
    expect(before).toBeGreaterThan(0);
    const old = openDatabase(file, { migrations: MIGRATIONS.slice(0, before) });
    await new SqliteProjects(old).create(sampleProject('p_shop'));
    old.close();

    const db = openDatabase(file);
    const access = new SqliteAccess(db);
    expect(db.prepare('SELECT project_id, owner_id FROM project_owners').all()).toEqual([{ project_id: 'p_shop', owner_id: DEFAULT_OWNER_ID }]);
    expect(await access.listOwners()).toEqual([expect.objectContaining({ id: DEFAULT_OWNER_ID, name: 'default' })]);
    await new SqliteProjects(db).remove('p_shop');
    expect(db.prepare('SELECT COUNT(*) AS n FROM project_owners').get()).toEqual({ n: 0 });
    db.close();
  });
});
