import type { Deployment } from '../../src/core/deployment.js';
import type { Projects } from '../../src/core/ports/projects.js';
import type { Project } from '../../src/core/project.js';

/** Sample records shared by the contract suites. Times are fixed strings: the core owns the clock. */
export function sampleProject(id: string, overrides: Partial<Project> = {}): Project {
  return {
    id,
    name: id.replace(/^p_/, '').toLowerCase(),
    repo: { kind: 'github', owner: 'acme', name: 'shop', url: 'https://github.com/acme/shop.git' },
    branch: 'main',
    root: '',
    webhookSecret: 'v1:sealed-secret',
    previousWebhookSecret: null,
    githubHookId: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function sampleDeployment(id: string, projectId: string, overrides: Partial<Omit<Deployment, 'sequence' | 'updatedAt'>> = {}): Omit<Deployment, 'sequence' | 'updatedAt'> {
  return {
    id,
    projectId,
    state: 'queued',
    commitSha: null,
    commitMessage: null,
    ref: 'refs/heads/main',
    trigger: { kind: 'push', deliveryId: `delivery-${id}`, pusher: 'octocat' },
    transitions: [{ state: 'queued', at: '2025-01-01T00:00:00.000Z' }],
    reason: null,
    buildId: null,
    runtimeEnv: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Creates the projects a suite refers to, for backends whose storage checks that they exist. */
export async function ensureProjects(projects: Projects | undefined, ids: readonly string[]): Promise<void> {
  if (!projects) return;
  for (const id of ids) if (!(await projects.getById(id))) await projects.create(sampleProject(id));
}

/** Resolves to the rejection reason; fails the test if the promise resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** Polls `probe` until it returns a value, for behaviour that depends on real time passing (visibility timeouts). */
export async function eventually<T>(probe: () => Promise<T | null>, deadlineMs = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() - started > deadlineMs) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
