import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AnchorError } from '../../src/core/errors.js';
import type { EnvVars } from '../../src/core/ports/env-vars.js';
import type { Projects } from '../../src/core/ports/projects.js';
import { rejectionOf, sampleProject } from './samples.js';

export interface ProjectsSubject {
  projects: Projects;
  /** Same storage as `projects`: `remove` must take the project's env vars with it. */
  envVars: EnvVars;
  cleanup(): Promise<void>;
}

export function describeProjectsContract(name: string, makeAdapter: () => Promise<ProjectsSubject>): void {
  describe(`Projects contract: ${name}`, () => {
    let s: ProjectsSubject;
    beforeEach(async () => {
      s = await makeAdapter();
    });
    afterEach(async () => {
      await s.cleanup();
    });

    it('stores a project and finds it by name and by id, field for field', async () => {
      const project = sampleProject('p_shop', { root: 'apps/web', previousWebhookSecret: 'v1:old', githubHookId: 4242 });
      await s.projects.create(project);

      expect(await s.projects.get('shop')).toEqual(project);
      expect(await s.projects.getById('p_shop')).toEqual(project);
      expect(await s.projects.list()).toEqual([project]);
    });

    it('keeps a project\'s build size, and an update changes it; a project without one has none', async () => {
      const sized = sampleProject('p_shop', { buildSize: 'large' });
      await s.projects.create(sized);
      await s.projects.create(sampleProject('p_blog', { name: 'blog' }));

      expect((await s.projects.get('shop'))?.buildSize).toBe('large');
      expect(await s.projects.get('blog')).not.toHaveProperty('buildSize');
      await s.projects.update({ ...sized, buildSize: 'medium' });
      expect((await s.projects.getById('p_shop'))?.buildSize).toBe('medium');
    });

    it('answers null for projects that do not exist', async () => {
      expect(await s.projects.get('nope')).toBeNull();
      expect(await s.projects.getById('p_nope')).toBeNull();
      expect(await s.projects.list()).toEqual([]);
    });

    it('refuses a second project with the same name and keeps the first as it was', async () => {
      const first = sampleProject('p_one', { name: 'shop' });
      await s.projects.create(first);

      const error = await rejectionOf(s.projects.create(sampleProject('p_two', { name: 'shop', branch: 'other' })));

      expect(error).toBeInstanceOf(AnchorError);
      expect((error as AnchorError).code).toBe('PROJECT_EXISTS');
      expect(await s.projects.get('shop')).toEqual(first);
      expect(await s.projects.getById('p_two')).toBeNull();
    });

    it('lists every project', async () => {
      for (const id of ['p_c', 'p_a', 'p_b']) await s.projects.create(sampleProject(id, { repo: { kind: 'path', url: `/src/${id}` } }));
      const names = (await s.projects.list()).map((p) => p.name).sort();
      expect(names).toEqual(['a', 'b', 'c']);
    });

    it('updates a project in place', async () => {
      await s.projects.create(sampleProject('p_shop'));
      const updated = sampleProject('p_shop', { branch: 'release', webhookSecret: 'v1:new', previousWebhookSecret: 'v1:sealed-secret', githubHookId: 7 });

      await s.projects.update(updated);

      expect(await s.projects.getById('p_shop')).toEqual(updated);
    });

    it('removes a project together with its env vars', async () => {
      await s.projects.create(sampleProject('p_shop'));
      await s.projects.create(sampleProject('p_blog'));
      const v = { key: 'API_URL', value: 'https://api', secret: false, targets: ['build' as const, 'runtime' as const], valueBytes: 10, updatedAt: '2025-01-01T00:00:00.000Z' };
      await s.envVars.set({ ...v, projectId: 'p_shop' });
      await s.envVars.set({ ...v, projectId: 'p_blog' });

      await s.projects.remove('p_shop');

      expect(await s.projects.getById('p_shop')).toBeNull();
      expect(await s.projects.get('shop')).toBeNull();
      expect(await s.envVars.list('p_shop')).toEqual([]);
      expect(await s.envVars.list('p_blog')).toHaveLength(1);
      // The name is free again.
      await s.projects.create(sampleProject('p_shop2', { name: 'shop' }));
      expect((await s.projects.get('shop'))?.id).toBe('p_shop2');
    });
  });
}
