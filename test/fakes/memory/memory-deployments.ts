import { assertTransitions, type Deployment, type DeploymentState } from '../../../src/core/deployment.js';
import { deploymentNotFound } from '../../../src/core/domain-errors.js';
import { AnchorError } from '../../../src/core/errors.js';
import { planPromote } from '../../../src/core/live-pointer.js';
import type { Deployments, LivePointer, PromoteResult } from '../../../src/core/ports/deployments.js';

type Patch = Partial<Pick<Deployment, 'reason' | 'commitSha' | 'commitMessage' | 'buildId' | 'runtimeEnv'>>;

/**
 * Deployments and live pointers in memory. Each method runs to its end without awaiting, so it is
 * as atomic as a transaction; the live compare-and-swap is core's `planPromote`, as in the real
 * stores. `beforeNextPromote` lets a test make another writer get in just before a promote
 * (a rollback landing while a deploy flips live).
 */
export class MemoryDeployments implements Deployments {
  private readonly deployments = new Map<string, Deployment>();
  private readonly pointers = new Map<string, LivePointer>();
  private readonly lastSequence = new Map<string, number>();
  private interloper: (() => Promise<void>) | null = null;

  async create(input: Omit<Deployment, 'sequence' | 'updatedAt'>): Promise<Deployment> {
    const sequence = (this.lastSequence.get(input.projectId) ?? 0) + 1;
    this.lastSequence.set(input.projectId, sequence);
    const deployment: Deployment = { ...structuredClone(input), sequence, updatedAt: input.createdAt };
    this.deployments.set(deployment.id, deployment);
    return structuredClone(deployment);
  }

  async get(id: string): Promise<Deployment | null> {
    const found = this.deployments.get(id);
    return found ? structuredClone(found) : null;
  }

  /** Newest first. */
  async listByProject(projectId: string, options: { limit?: number; states?: readonly DeploymentState[] } = {}): Promise<Deployment[]> {
    const matching = [...this.deployments.values()]
      .filter((d) => d.projectId === projectId && (!options.states || options.states.includes(d.state)))
      .sort((a, b) => b.sequence - a.sequence);
    return matching.slice(0, options.limit ?? matching.length).map((d) => structuredClone(d));
  }

  async transition(id: string, from: readonly DeploymentState[], to: DeploymentState, at: string, patch: Patch = {}): Promise<Deployment | null> {
    assertTransitions(from, to, id);
    const current = this.deployments.get(id);
    if (!current || !from.includes(current.state)) return null;
    return structuredClone(this.move({ ...current, ...structuredClone(definedOnly(patch)) }, to, at));
  }

  async update(id: string, patch: Partial<Pick<Deployment, 'commitSha' | 'commitMessage' | 'buildId' | 'runtimeEnv'>>): Promise<void> {
    const current = this.deployments.get(id);
    if (!current) throw deploymentNotFound(id);
    this.deployments.set(id, { ...current, ...structuredClone(definedOnly(patch)) });
  }

  async getLive(projectId: string): Promise<LivePointer | null> {
    const pointer = this.pointers.get(projectId);
    return pointer ? { ...pointer } : null;
  }

  async promote(input: { projectId: string; deploymentId: string; expectedRevision: number | null; onlyIfNewer: boolean; at: string }): Promise<PromoteResult> {
    const interloper = this.interloper;
    this.interloper = null;
    if (interloper) await interloper();
    const current = this.pointers.get(input.projectId) ?? null;
    if ((current?.revision ?? null) !== input.expectedRevision) return { ok: false, current: current && { ...current }, reason: 'revision-changed' };
    const candidate = this.deployments.get(input.deploymentId);
    if (!candidate || candidate.projectId !== input.projectId) throw deploymentNotFound(input.deploymentId, input.projectId);
    const plan = planPromote(input, current, candidate);
    if (!plan.ok) return { ...plan, current: plan.current && { ...plan.current } };
    const previous = current ? this.deployments.get(current.deploymentId) : undefined;
    if (previous?.state === 'live') this.move(previous, 'retired', input.at);
    this.move(candidate, 'live', input.at);
    this.pointers.set(input.projectId, plan.pointer);
    return { ok: true, pointer: { ...plan.pointer }, previous: current && { ...current } };
  }

  /** Refuses to remove the live deployment, as the real stores do: retention must never take a site down. */
  async remove(id: string): Promise<void> {
    if ([...this.pointers.values()].some((p) => p.deploymentId === id)) {
      throw new AnchorError({ code: 'DEPLOYMENT_IS_LIVE', kind: 'conflict', message: `Deployment ${id} is live and cannot be removed.` });
    }
    this.deployments.delete(id);
  }

  /** Runs `writer` just before the next promote reads the live pointer, once. */
  beforeNextPromote(writer: () => Promise<void>): void {
    this.interloper = writer;
  }

  private move(d: Deployment, to: DeploymentState, at: string): Deployment {
    const next: Deployment = { ...d, state: to, transitions: [...d.transitions, { state: to, at }], updatedAt: at };
    this.deployments.set(d.id, next);
    return next;
  }
}

/** A patch key present with `undefined` means "leave as is", like an absent key. */
function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
