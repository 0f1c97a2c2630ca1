import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactInfo, Artifacts, DeploymentRef } from '../../src/core/ports/artifacts.js';

export interface ArtifactsSubject {
  artifacts: Artifacts;
  /** Reads one file of a stored artifact, by its path inside the OpenNext output; null if absent. */
  readFile(info: ArtifactInfo, path: string): Promise<string | null>;
  cleanup(): Promise<void>;
}

/** A small stand-in for an OpenNext `.open-next/` directory. */
export async function writeSampleOutput(dir: string, marker = 'v1'): Promise<number> {
  const files: Record<string, string> = {
    'open-next.output.json': JSON.stringify({ edgeFunctions: {}, origins: { default: { type: 'function', handler: 'index.handler', bundle: '.open-next/server-functions/default' } } }),
    'server-functions/default/index.mjs': `export const handler = () => '${marker}';`,
    'server-functions/default/node_modules/dep/index.js': 'module.exports = 1;',
    'assets/_next/static/chunks/main-abc123.js': 'console.log("main")',
    'assets/favicon.ico': 'ico',
  };
  let bytes = 0;
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
    bytes += Buffer.byteLength(content);
  }
  return bytes;
}

/** A deployment of the project every case stores under. */
function shop(deploymentId: string): DeploymentRef {
  return { projectName: 'shop', deploymentId };
}

export function describeArtifactsContract(name: string, makeAdapter: () => Promise<ArtifactsSubject>): void {
  describe(`Artifacts contract: ${name}`, () => {
    let s: ArtifactsSubject;
    let scratch: string;
    beforeEach(async () => {
      s = await makeAdapter();
      scratch = await mkdtemp(join(tmpdir(), 'anchor-artifacts-src-'));
    });
    afterEach(async () => {
      await s.cleanup();
      await rm(scratch, { recursive: true, force: true });
    });

    it('keeps a build\'s output after the build\'s scratch dir is gone, and reports its size', async () => {
      const bytes = await writeSampleOutput(join(scratch, '.open-next'));

      const info = await s.artifacts.store(shop('d_1'), { kind: 'directory', path: join(scratch, '.open-next') });
      await rm(scratch, { recursive: true, force: true });

      expect(info).toMatchObject({ deploymentId: 'd_1', bytes });
      expect(await s.readFile(info, 'server-functions/default/index.mjs')).toBe("export const handler = () => 'v1';");
      expect(await s.readFile(info, 'assets/_next/static/chunks/main-abc123.js')).toBe('console.log("main")');
      expect(await s.artifacts.get(shop('d_1'))).toEqual(info);
    });

    it('answers null for a deployment without an artifact', async () => {
      expect(await s.artifacts.get(shop('d_none'))).toBeNull();
    });

    it('replaces an artifact stored again for the same deployment', async () => {
      await writeSampleOutput(join(scratch, 'first'), 'first');
      await writeFile(join(scratch, 'first', 'stale.txt'), 'only in the first');
      await writeSampleOutput(join(scratch, 'second'), 'second');
      await s.artifacts.store(shop('d_1'), { kind: 'directory', path: join(scratch, 'first') });

      const info = await s.artifacts.store(shop('d_1'), { kind: 'directory', path: join(scratch, 'second') });

      expect(await s.readFile(info, 'server-functions/default/index.mjs')).toBe("export const handler = () => 'second';");
      expect(await s.readFile(info, 'stale.txt')).toBeNull();
    });

    it('reports the server bundle\'s size and whether the image function has sharp', async () => {
      await writeSampleOutput(join(scratch, 'out'));
      const serverBytes = Buffer.byteLength("export const handler = () => 'v1';") + Buffer.byteLength('module.exports = 1;');
      const without = await s.artifacts.store(shop('d_1'), { kind: 'directory', path: join(scratch, 'out') });

      expect(await s.artifacts.inspect(without)).toEqual({ serverBundleBytes: serverBytes, imageHasSharp: false, hasServerFunction: true, nativePackages: [], wrappers: {}, publicNames: ['favicon.ico'] });

      await mkdir(join(scratch, 'out', 'image-optimization-function', 'node_modules', 'sharp'), { recursive: true });
      await writeFile(join(scratch, 'out', 'image-optimization-function', 'node_modules', 'sharp', 'package.json'), '{"name":"sharp"}');
      const withSharp = await s.artifacts.store(shop('d_2'), { kind: 'directory', path: join(scratch, 'out') });
      expect((await s.artifacts.inspect(withSharp)).imageHasSharp).toBe(true);

      await mkdir(join(scratch, 'assets-only', 'assets'), { recursive: true });
      await writeFile(join(scratch, 'assets-only', 'assets', 'a.txt'), 'a');
      const assetsOnly = await s.artifacts.store(shop('d_3'), { kind: 'directory', path: join(scratch, 'assets-only') });
      expect(await s.artifacts.inspect(assetsOnly)).toMatchObject({ serverBundleBytes: 0, imageHasSharp: false, hasServerFunction: false, publicNames: ['a.txt'] });
    });

    it('reports native packages by CPU and the wrapper each function was built with', async () => {
      await writeSampleOutput(join(scratch, 'out'));
      const native = { 'image-optimization-function/node_modules/@img/sharp-linux-arm64/lib/sharp.node': 'elf', 'server-functions/default/node_modules/@rollup/rollup-linux-x64-gnu/package.json': '{}' };
      for (const [path, content] of Object.entries(native)) {
        await mkdir(join(scratch, 'out', path, '..'), { recursive: true });
        await writeFile(join(scratch, 'out', path), content);
      }
      const manifest = { origins: { default: { bundle: '.open-next/server-functions/default', wrapper: 'aws-lambda-streaming' }, imageOptimizer: { bundle: '.open-next/image-optimization-function', wrapper: 'aws-lambda' } } };
      await writeFile(join(scratch, 'out', 'open-next.output.json'), JSON.stringify(manifest));

      const report = await s.artifacts.inspect(await s.artifacts.store(shop('d_1'), { kind: 'directory', path: join(scratch, 'out') }));

      expect(report.nativePackages).toEqual([
        { path: 'image-optimization-function/node_modules/@img/sharp-linux-arm64', arch: 'arm64' },
        { path: 'server-functions/default/node_modules/@rollup/rollup-linux-x64-gnu', arch: 'x64' },
      ]);
      expect(report.wrappers).toEqual({ server: 'aws-lambda-streaming', image: 'aws-lambda' });
    });

    it('removes an artifact, leaving the others', async () => {
      await writeSampleOutput(join(scratch, 'out'));
      await s.artifacts.store(shop('d_1'), { kind: 'directory', path: join(scratch, 'out') });
      const kept = await s.artifacts.store(shop('d_2'), { kind: 'directory', path: join(scratch, 'out') });

      await s.artifacts.remove(shop('d_1'));
      await s.artifacts.remove(shop('d_1'));

      expect(await s.artifacts.get(shop('d_1'))).toBeNull();
      expect(await s.artifacts.get(shop('d_2'))).toEqual(kept);
    });
  });
}
