import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactInfo } from '../../src/core/ports/artifacts.js';
import type { StaticHost } from '../../src/core/ports/static-host.js';
import { rejectionOf } from './samples.js';

export interface StaticHostSubject {
  host: StaticHost;
  /** Stores a build's output (a directory like `.open-next/`) as the deployer finds it before publishing. */
  store(deploymentId: string, outputDir: string): Promise<ArtifactInfo>;
  /** A file under a deployment's own prefix, by its path inside `assets/`; null when absent. */
  published(projectName: string, deploymentId: string, path: string): Promise<string | null>;
  /** What the project's site serves for a static path now; null when it serves nothing there. */
  served(projectName: string, path: string): Promise<string | null>;
  cleanup(): Promise<void>;
}

/** Clauses an implementation is known not to meet, each a finding; their tests are expected to fail. */
export type StaticHostGap = 'activate';

/** An OpenNext-shaped output whose assets say which version they are. */
async function writeOutput(dir: string, version: string, options: { assets?: boolean } = {}): Promise<void> {
  const files: Record<string, string> = {
    'open-next.output.json': '{}',
    'server-functions/default/index.mjs': `export const handler = () => '${version}';`,
    ...(options.assets === false
      ? {}
      : { [`assets/_next/static/chunks/app-${version}.js`]: `console.log('${version}')`, 'assets/logo.txt': `logo of ${version}`, 'assets/images/nested/hero.svg': `<svg id="${version}"/>` }),
  };
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

export function describeStaticHostContract(name: string, makeAdapter: () => Promise<StaticHostSubject>, options: { gaps?: readonly StaticHostGap[] } = {}): void {
  const clause = (gap: StaticHostGap) => (options.gaps?.includes(gap) ? it.fails : it);

  describe(`StaticHost contract: ${name}`, () => {
    let s: StaticHostSubject;
    let scratch: string;
    beforeEach(async () => {
      s = await makeAdapter();
      scratch = await mkdtemp(join(tmpdir(), 'anchor-static-host-'));
    });
    afterEach(async () => {
      await s.cleanup();
      await rm(scratch, { recursive: true, force: true });
    });

    async function output(deploymentId: string, version: string, assets = true): Promise<ArtifactInfo> {
      await writeOutput(join(scratch, deploymentId), version, { assets });
      return s.store(deploymentId, join(scratch, deploymentId));
    }

    it('publishes every asset under the deployment\'s own prefix with the same bytes, and nothing else', async () => {
      const artifact = await output('d_1', 'v1');

      const stats = await s.host.publish('shop', 'd_1', artifact);

      expect(stats.files).toBe(3);
      expect(stats.uploaded + stats.skipped).toBe(3);
      expect(await s.published('shop', 'd_1', '_next/static/chunks/app-v1.js')).toBe("console.log('v1')");
      expect(await s.published('shop', 'd_1', 'logo.txt')).toBe('logo of v1');
      expect(await s.published('shop', 'd_1', 'images/nested/hero.svg')).toBe('<svg id="v1"/>');
      // The server's code is not a static file.
      expect(await s.published('shop', 'd_1', 'server-functions/default/index.mjs')).toBeNull();
      expect(await s.published('shop', 'd_2', 'logo.txt')).toBeNull();
    });

    it('publishing the same deployment again is harmless', async () => {
      const artifact = await output('d_1', 'v1');
      await s.host.publish('shop', 'd_1', artifact);

      const again = await s.host.publish('shop', 'd_1', artifact);

      expect(again.files).toBe(3);
      expect(again.uploaded + again.skipped).toBe(3);
      expect(await s.published('shop', 'd_1', 'logo.txt')).toBe('logo of v1');
    });

    it('refuses a build output without assets: it is not an OpenNext output', async () => {
      const artifact = await output('d_1', 'v1', false);

      await rejectionOf(s.host.publish('shop', 'd_1', artifact));
    });

    clause('activate')('points the project\'s site at a published deployment; publishing another changes nothing served', async () => {
      await s.host.publish('shop', 'd_1', await output('d_1', 'v1'));
      await s.host.activate('shop', 'd_1');
      expect(await s.served('shop', 'logo.txt')).toBe('logo of v1');

      await s.host.publish('shop', 'd_2', await output('d_2', 'v2'));
      expect(await s.served('shop', 'logo.txt')).toBe('logo of v1');

      await s.host.activate('shop', 'd_2');
      expect(await s.served('shop', 'logo.txt')).toBe('logo of v2');
      expect(await s.served('shop', '_next/static/chunks/app-v2.js')).toBe("console.log('v2')");
    });

    clause('activate')('goes back to an older published deployment (a rollback), leaving other projects\' sites alone', async () => {
      await s.host.publish('shop', 'd_1', await output('d_1', 'v1'));
      await s.host.publish('shop', 'd_2', await output('d_2', 'v2'));
      await s.host.publish('blog', 'd_9', await output('d_9', 'blog'));
      await s.host.activate('blog', 'd_9');
      await s.host.activate('shop', 'd_2');

      await s.host.activate('shop', 'd_1');

      expect(await s.served('shop', 'logo.txt')).toBe('logo of v1');
      expect(await s.served('blog', 'logo.txt')).toBe('logo of blog');
    });
  });
}
