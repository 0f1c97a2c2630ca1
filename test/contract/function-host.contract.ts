import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactInfo } from '../../src/core/ports/artifacts.js';
import type { FunctionHost, FunctionVersion } from '../../src/core/ports/function-host.js';
import { rejectionOf } from './samples.js';

export interface FunctionHostSubject {
  host: FunctionHost;
  /** A stored build output for the deployment, whose server answers a smoke request with `smokeStatus` (default 200). */
  artifact(projectName: string, deploymentId: string, options?: { smokeStatus?: number }): Promise<ArtifactInfo>;
  /** The deployment whose functions the project's traffic reaches now; null before any. */
  serving(projectName: string): Promise<string | null>;
  /** A variable as the version's server sees it; undefined when it has none by that name. */
  envOf(version: FunctionVersion, name: string): Promise<string | undefined>;
  cleanup(): Promise<void>;
}

export function describeFunctionHostContract(name: string, makeAdapter: () => Promise<FunctionHostSubject>): void {
  describe(`FunctionHost contract: ${name}`, () => {
    let s: FunctionHostSubject;
    beforeEach(async () => {
      s = await makeAdapter();
    });
    afterEach(async () => {
      await s.cleanup();
    });

    async function publish(deploymentId: string, options: { projectName?: string; env?: Record<string, string>; smokeStatus?: number } = {}): Promise<FunctionVersion> {
      const projectName = options.projectName ?? 'shop';
      const artifact = await s.artifact(projectName, deploymentId, { smokeStatus: options.smokeStatus ?? 200 });
      return s.host.publish({ projectName, deploymentId, artifact, env: options.env ?? {} });
    }

    it('publishes a version without routing traffic to it; activate routes the project\'s traffic there', async () => {
      const v1 = await publish('d_1');
      expect(v1.deploymentId).toBe('d_1');
      expect(await s.serving('shop')).toBeNull();

      await s.host.activate('shop', v1, 1);
      expect(await s.serving('shop')).toBe('d_1');

      const v2 = await publish('d_2');
      expect(await s.serving('shop')).toBe('d_1');
      await s.host.activate('shop', v2, 2);
      expect(await s.serving('shop')).toBe('d_2');
    });

    it('runs the server with the deployment\'s variables', async () => {
      const version = await publish('d_1', { env: { GREETING: 'hello from d_1', EMPTY: '' } });

      expect(await s.envOf(version, 'GREETING')).toBe('hello from d_1');
      expect(await s.envOf(version, 'EMPTY')).toBe('');
      expect(await s.envOf(version, 'NOT_SET')).toBeUndefined();
    });

    it('gives the same version back for a deployment published before (a rollback)', async () => {
      const first = await publish('d_1', { env: { GREETING: 'first' } });

      const again = await publish('d_1', { env: { GREETING: 'first' } });

      expect(again).toEqual(first);
    });

    it('smoke passes for a server that answers, and fails for one that answers 5xx', async () => {
      const healthy = await publish('d_1');
      const broken = await publish('d_2', { smokeStatus: 500 });

      await s.host.smoke(healthy, 'shop');
      const error = await rejectionOf(s.host.smoke(broken, 'shop'));

      expect((error as Error).message).toMatch(/500/);
    });

    it('routes each project\'s traffic apart', async () => {
      const shop = await publish('d_1');
      const blog = await publish('d_9', { projectName: 'blog' });

      await s.host.activate('shop', shop, 1);
      await s.host.activate('blog', blog, 1);

      expect(await s.serving('shop')).toBe('d_1');
      expect(await s.serving('blog')).toBe('d_9');
    });

    it('ignores an activation whose revision is not above the one applied', async () => {
      const v1 = await publish('d_1');
      const v2 = await publish('d_2');
      await s.host.activate('shop', v2, 2);

      await s.host.activate('shop', v1, 1);
      await s.host.activate('shop', v1, 2);

      expect(await s.serving('shop')).toBe('d_2');
    });

    it('keeps a published version ready to take traffic until it is released, whatever is activated meanwhile', async () => {
      // A rollback publishes its target, then flips; a deploy may activate its own version in between.
      const target = await publish('d_1');
      const other = await publish('d_2');
      await s.host.activate('shop', other, 2);

      await s.host.activate('shop', target, 3);

      expect(await s.serving('shop')).toBe('d_1');
      await s.host.smoke(target, 'shop');
    });

    it('release never takes down the version the project\'s traffic goes to', async () => {
      const v1 = await publish('d_1');
      await s.host.activate('shop', v1, 1);
      const v2 = await publish('d_2');
      await s.host.activate('shop', v2, 2);

      await s.host.release('shop', 'd_1');
      await s.host.release('shop', 'd_2');

      expect(await s.serving('shop')).toBe('d_2');
      await s.host.smoke(v2, 'shop');
    });

    it('remove (retention) never takes down the version traffic goes to; removing twice, or what was never published, is harmless', async () => {
      const v1 = await publish('d_1');
      await s.host.activate('shop', v1, 1);
      const v2 = await publish('d_2');
      await s.host.activate('shop', v2, 2);

      await s.host.remove('shop', 'd_2');
      await s.host.remove('shop', 'd_1');
      await s.host.remove('shop', 'd_1');
      await s.host.remove('shop', 'd_never');

      expect(await s.serving('shop')).toBe('d_2');
      await s.host.smoke(v2, 'shop');
      // A removed deployment published again (a rollback to it that retention raced) comes back whole.
      const again = await publish('d_1');
      await s.host.smoke(again, 'shop');
    });
  });
}
