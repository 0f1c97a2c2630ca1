import { createRequire } from 'node:module';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/adapters/local/store/sqlite-database.js';
import { SqliteDeployments } from '../../src/adapters/local/store/sqlite-deployments.js';
import { SqliteProjects } from '../../src/adapters/local/store/sqlite-projects.js';
import { sampleDeployment, sampleProject } from '../contract/samples.js';

const src = resolve(import.meta.dirname, '../../src/adapters/local/store');

// Each worker process opens the same fresh file, creates deployments and races to take live with
// the compare-and-swap, the way several `anchor` processes (server, CLI) share one platform.
const WORKER = `
import { openDatabase, SqliteDeployments } from './adapters.mjs';
const [file, name, count] = process.argv.slice(2);
const deployments = new SqliteDeployments(openDatabase(file));
const at = new Date(0).toISOString();
const made = [];
for (let i = 0; i < Number(count); i++) {
  const d = await deployments.create({ id: name + '_' + i, projectId: 'p_shop', state: 'deploying', commitSha: null, commitMessage: null,
    ref: 'main', trigger: { kind: 'manual', ref: 'main' }, transitions: [], reason: null, buildId: null, runtimeEnv: null, createdAt: at });
  made.push(d.sequence);
}
let flips = 0;
for (const [i] of made.entries()) {
  for (;;) {
    const live = await deployments.getLive('p_shop');
    const r = await deployments.promote({ projectId: 'p_shop', deploymentId: name + '_' + i, expectedRevision: live?.revision ?? null, onlyIfNewer: true, at });
    if (r.ok) flips++;
    if (r.ok || r.reason !== 'revision-changed') break;
  }
}
console.log(JSON.stringify({ made, flips }));
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'anchor-deployments-'));
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  await writeFile(join(dir, 'entry.ts'), `export { openDatabase } from '${src}/sqlite-database.js';\nexport { SqliteDeployments } from '${src}/sqlite-deployments.js';\n`);
  await build({
    entryPoints: [join(dir, 'entry.ts')],
    outfile: join(dir, 'adapters.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    plugins: [{ name: 'native', setup: (b) => b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: sqlite, external: true })) }],
  });
  await writeFile(join(dir, 'worker.mjs'), WORKER);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('SqliteDeployments shared by several processes', () => {
  it('numbers deployments without gaps or repeats, and live ends on the newest', async () => {
    const file = join(dir, 'anchor.db');
    const db = openDatabase(file);
    await new SqliteProjects(db).create(sampleProject('p_shop'));
    const workers = ['a', 'b', 'c', 'd'].map((name) => execa('node', [join(dir, 'worker.mjs'), file, name, '30'], { cwd: dir }));

    const results = (await Promise.all(workers)).map((w) => JSON.parse(w.stdout) as { made: number[]; flips: number });

    const all = results.flatMap((r) => r.made).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    for (const r of results) expect(r.made).toEqual([...r.made].sort((a, b) => a - b));
    const deployments = new SqliteDeployments(db);
    const live = await deployments.getLive('p_shop');
    expect(live?.sequence).toBe(120);
    expect(live?.revision).toBe(results.reduce((sum, r) => sum + r.flips, 0));
    expect(await deployments.listByProject('p_shop', { states: ['live'] })).toHaveLength(1);
    db.close();
  });
});

describe('SqliteDeployments (local only)', () => {
  it('refuses to remove the live deployment and to create one for an unknown project', async () => {
    const db = openDatabase(join(dir, 'single.db'));
    const deployments = new SqliteDeployments(db);
    await new SqliteProjects(db).create(sampleProject('p_shop'));
    await deployments.create(sampleDeployment('d_1', 'p_shop', { state: 'deploying' }));
    await deployments.promote({ projectId: 'p_shop', deploymentId: 'd_1', expectedRevision: null, onlyIfNewer: true, at: '2025-01-01T00:00:00.000Z' });

    await expect(deployments.remove('d_1')).rejects.toMatchObject({ code: 'DEPLOYMENT_IS_LIVE' });
    await expect(deployments.create(sampleDeployment('d_2', 'p_nope'))).rejects.toMatchObject({ code: 'PROJECT_NOT_FOUND' });
    expect((await deployments.get('d_1'))?.state).toBe('live');
    db.close();
  });
});
