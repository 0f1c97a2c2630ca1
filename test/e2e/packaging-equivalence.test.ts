import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGING_SUMMARY } from '../../src/core/build-recipe.js';
import { templatesDir } from '../../src/lib/templates-dir.js';
import { normalizedOutput, outputDifferences } from './open-next-output-diff.js';
import { sampleBuild } from './sample-build.js';

/**
 * anchor's OpenNext driver (templates/open-next-build.mjs) against a clean `open-next build` of the
 * same app (the sample build fixture): with an empty packaging cache (everything done, and kept)
 * and with the cache it filled (patches and the image function's install reused), the output must
 * be the clean build's, file for file, but for what open-next-output-diff.ts lists.
 */
const work = mkdtempSync(join(tmpdir(), 'anchor-packaging-'));
afterAll(() => rmSync(work, { recursive: true, force: true }), 300_000);

const driver = join(templatesDir(), 'open-next-build.mjs');
const env = (appDir: string) => ({ PATH: `${join(appDir, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? tmpdir(), NEXT_TELEMETRY_DISABLED: '1', CI: '1', TMPDIR: tmpdir() });

async function runDriver(appDir: string, cache: string): Promise<string> {
  const result = await execa(process.execPath, [driver, '--cache', cache], { cwd: appDir, env: env(appDir), extendEnv: false, all: true, reject: false });
  expect(result.exitCode, result.all).toBe(0);
  return result.all ?? '';
}

describe('packaging with the build driver', () => {
  it('builds what a clean open-next build does, cold and then from its cache', async () => {
    const clean = await sampleBuild();
    const appDir = join(work, 'app');
    cpSync(clean.appDir, appDir, { recursive: true, verbatimSymlinks: true, filter: (source) => !['.open-next', '.anchor-build-ok'].includes(basename(source)) });
    const cache = join(work, 'cache');
    const expected = normalizedOutput(clean.openNextDir);

    const cold = await runDriver(appDir, cache);
    const coldSummary = PACKAGING_SUMMARY.exec(cold.split('\n').find((line) => PACKAGING_SUMMARY.test(line)) ?? '');
    expect(coldSummary, cold).not.toBeNull();
    expect(Number(coldSummary?.[2])).toBe(0);
    expect(Number(coldSummary?.[3])).toBeGreaterThan(10);
    expect(cold).toContain('sharp@0.35.5 installed and cached');
    expect(outputDifferences(expected, normalizedOutput(join(appDir, '.open-next')))).toEqual([]);

    const warm = await runDriver(appDir, cache);
    const warmSummary = PACKAGING_SUMMARY.exec(warm.split('\n').find((line) => PACKAGING_SUMMARY.test(line)) ?? '');
    expect(Number(warmSummary?.[2])).toBe(Number(coldSummary?.[3]));
    expect(Number(warmSummary?.[3])).toBe(0);
    expect(warm).toContain('sharp@0.35.5 reused');
    // Not the first build's output left in place: a new build id, and the same files.
    expect(normalizedOutput(join(appDir, '.open-next'))).toHaveLength(expected.length);
    expect(outputDifferences(expected, normalizedOutput(join(appDir, '.open-next')))).toEqual([]);
    expect(readdirSync(join(cache, 'patches')).length).toBe(Number(coldSummary?.[3]));
  }, 900_000);

  it('runs open-next build unchanged, and says so, with an OpenNext version it has not checked', async () => {
    const appDir = join(work, 'unknown');
    const dist = join(appDir, 'node_modules', '@opennextjs', 'aws', 'dist');
    mkdirSync(dist, { recursive: true });
    mkdirSync(join(appDir, 'node_modules', '.bin'));
    writeFileSync(join(appDir, 'package.json'), '{"name":"app"}');
    writeFileSync(join(dist, '..', 'package.json'), JSON.stringify({ name: '@opennextjs/aws', version: '4.2.0', exports: { './*': './dist/*' } }));
    writeFileSync(join(dist, 'build.js'), 'export {};\n');
    const bin = join(appDir, 'node_modules', '.bin', 'open-next');
    writeFileSync(bin, '#!/bin/sh\necho "open-next $*"; mkdir .open-next\n');
    chmodSync(bin, 0o755);
    const output = await runDriver(appDir, join(work, 'unknown-cache'));
    expect(output.split('\n')).toEqual(['▸ Packaging cache not used (OpenNext 4.2.0 is not a version anchor has checked (4.1.16)): full OpenNext build', 'open-next build']);
    expect(readdirSync(appDir)).toContain('.open-next');
  });
});
