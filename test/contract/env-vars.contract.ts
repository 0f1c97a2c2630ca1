import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvVar } from '../../src/core/env-var.js';
import type { EnvVars } from '../../src/core/ports/env-vars.js';
import type { Projects } from '../../src/core/ports/projects.js';
import { ensureProjects, rejectionOf } from './samples.js';

export interface EnvVarsSubject {
  envVars: EnvVars;
  /** Given when the backend's storage needs a project to exist before its variables. */
  projects?: Projects;
  cleanup(): Promise<void>;
}

function envVar(projectId: string, key: string, value: string, overrides: Partial<EnvVar> = {}): EnvVar {
  return { projectId, key, value, secret: false, targets: ['build', 'runtime'], valueBytes: Buffer.byteLength(value), updatedAt: '2025-01-01T00:00:00.000Z', ...overrides };
}

const byKey = (vars: EnvVar[]) => [...vars].sort((a, b) => a.key.localeCompare(b.key));

export function describeEnvVarsContract(name: string, makeAdapter: () => Promise<EnvVarsSubject>): void {
  describe(`EnvVars contract: ${name}`, () => {
    let s: EnvVarsSubject;
    beforeEach(async () => {
      s = await makeAdapter();
      await ensureProjects(s.projects, ['p_shop', 'p_blog']);
    });
    afterEach(async () => {
      await s.cleanup();
    });

    it('stores variables per project, field for field', async () => {
      const plain = envVar('p_shop', 'API_URL', 'https://api.example.com', { targets: ['runtime'] });
      const secret = envVar('p_shop', 'DB_PASSWORD', 'v1:aaa:bbb:ccc', { secret: true, valueBytes: 12, targets: ['build'] });
      await s.envVars.set(plain);
      await s.envVars.set(secret);
      await s.envVars.set(envVar('p_blog', 'API_URL', 'https://blog'));

      expect(byKey(await s.envVars.list('p_shop'))).toEqual([plain, secret]);
      expect(await s.envVars.list('p_none')).toEqual([]);
    });

    it('keeps one value per key: set replaces', async () => {
      await s.envVars.set(envVar('p_shop', 'MODE', 'a'));
      const replaced = envVar('p_shop', 'MODE', 'bb', { secret: true, targets: ['runtime'], updatedAt: '2025-02-01T00:00:00.000Z' });
      await s.envVars.set(replaced);
      expect(await s.envVars.list('p_shop')).toEqual([replaced]);
    });

    it('removes one key, answering whether it was there, and removes all of a project', async () => {
      await s.envVars.setMany([envVar('p_shop', 'A', '1'), envVar('p_shop', 'B', '2'), envVar('p_blog', 'A', '1')]);

      expect(await s.envVars.remove('p_shop', 'A')).toBe(true);
      expect(await s.envVars.remove('p_shop', 'A')).toBe(false);
      expect((await s.envVars.list('p_shop')).map((v) => v.key)).toEqual(['B']);

      await s.envVars.removeAll('p_shop');
      expect(await s.envVars.list('p_shop')).toEqual([]);
      expect(await s.envVars.list('p_blog')).toHaveLength(1);
    });

    it('sets many variables at once, replacing existing ones', async () => {
      await s.envVars.set(envVar('p_shop', 'KEY_0', 'old'));
      const vars = Array.from({ length: 60 }, (_, i) => envVar('p_shop', `KEY_${i}`, `value-${i}`));

      await s.envVars.setMany(vars);

      expect(byKey(await s.envVars.list('p_shop'))).toEqual(byKey(vars));
    });

    it('setMany is all-or-nothing: one bad variable leaves every value as it was', async () => {
      await s.envVars.set(envVar('p_shop', 'KEEP', 'original'));
      const before = await s.envVars.list('p_shop');
      const broken = { ...envVar('p_shop', 'BROKEN', 'x'), value: null } as unknown as EnvVar;

      await rejectionOf(s.envVars.setMany([envVar('p_shop', 'KEEP', 'changed'), envVar('p_shop', 'NEW', 'new'), broken]));

      expect(await s.envVars.list('p_shop')).toEqual(before);
    });
  });
}
