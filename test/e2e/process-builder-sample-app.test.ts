import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuildEnd } from '../../src/core/ports/builder.js';
import { ProcessBuilder } from '../../src/adapters/local/process-builder.js';
import { FixtureRepo } from '../unit/process-builder-fixture.js';

const templates = resolve(import.meta.dirname, '../../templates');
const root = mkdtempSync(join(tmpdir(), 'anchor-sample-build-'));

afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * Builds templates/sample-app for real with OpenNext, twice with the same project cache, as a
 * push and the next push would. Needs the npm registry for the cold install. Prints the times.
 */
// Opt-in (ANCHOR_TEST_REAL_BUILD=1): it takes a minute or two, 1.2 GiB and the npm registry.
describe.skipIf(process.env.ANCHOR_TEST_REAL_BUILD !== '1')('ProcessBuilder on the real sample app', () => {
  it('builds it cold, then warm from the project cache', { timeout: 900_000 }, async () => {
    const repo = new FixtureRepo(join(root, 'repo'));
    cpSync(join(templates, 'sample-app'), repo.dir, {
      recursive: true,
      filter: (source) => !['node_modules', '.next', '.open-next'].includes(basename(source)),
    });
    repo.commit({}, 'Sample app');
    const builder = new ProcessBuilder({
      workDir: join(root, 'work'),
      cacheDir: join(root, 'cache'),
      defaultOpenNextConfig: join(templates, 'open-next.config.ts'),
      baseEnv: { PATH: process.env.PATH ?? '', HOME: join(root, 'home') },
    });

    const run = async (label: string): Promise<{ end: BuildEnd; seconds: number; lines: string[]; buildId: string }> => {
      const lines: string[] = [];
      const started = Date.now();
      const { buildId, ended } = await builder.start({
        deploymentId: `d_${label}`,
        projectName: 'sample',
        repoUrl: repo.dir,
        ref: 'main',
        commitSha: null,
        root: '.',
        env: {},
        onLine: (line) => lines.push(line),
      });
      const end = await ended;
      const seconds = (Date.now() - started) / 1000;
      console.log(`[sample-app] ${label} build: ${seconds.toFixed(1)} s, ${lines.length} lines, ok=${String(end.ok)}`);
      console.log(lines.filter((line) => line.startsWith('▸') || !end.ok).join('\n'));
      return { end, seconds, lines, buildId };
    };

    const cold = await run('cold');
    expect(cold.end).toMatchObject({ ok: true });
    if (!cold.end.ok) return;
    expect(existsSync(join(cold.end.artifactDir, 'open-next.output.json'))).toBe(true);
    expect(existsSync(join(cold.end.artifactDir, 'server-functions', 'default', 'index.mjs'))).toBe(true);
    expect(existsSync(join(cold.end.artifactDir, 'image-optimization-function', 'node_modules', 'sharp'))).toBe(true);
    expect(cold.lines).toContain("▸ No open-next.config.ts in the app; using anchor's default");
    await builder.cleanup(cold.buildId);

    const warm = await run('warm');
    expect(warm.end).toMatchObject({ ok: true });
    expect(warm.lines).toContain('▸ Restored .next/cache from the previous build');
    await builder.cleanup(warm.buildId);
    console.log(`[sample-app] cold ${cold.seconds.toFixed(1)} s, warm ${warm.seconds.toFixed(1)} s, ${(cold.seconds / warm.seconds).toFixed(2)}x`);
  });
});
