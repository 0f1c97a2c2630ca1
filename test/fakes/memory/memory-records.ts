import { projectExists } from '../../../src/core/domain-errors.js';
import type { EnvVar } from '../../../src/core/env-var.js';
import type { BuildLogs, Deliveries, EnvVars, LogLine, Projects } from '../../../src/core/ports/index.js';
import type { Project } from '../../../src/core/project.js';

// The record-keeping ports in memory. Every read hands out a copy, as a database would: a caller
// that changes what it got changes nothing stored.

export class MemoryEnvVars implements EnvVars {
  private readonly vars = new Map<string, EnvVar>();

  async list(projectId: string): Promise<EnvVar[]> {
    return [...this.vars.values()].filter((v) => v.projectId === projectId).map((v) => structuredClone(v));
  }

  async set(v: EnvVar): Promise<void> {
    await this.setMany([v]);
  }

  /** Checks every variable before storing any: all or nothing. */
  async setMany(vars: EnvVar[]): Promise<void> {
    for (const v of vars) assertStorable(v);
    for (const v of vars) this.vars.set(keyOf(v.projectId, v.key), structuredClone(v));
  }

  async remove(projectId: string, key: string): Promise<boolean> {
    return this.vars.delete(keyOf(projectId, key));
  }

  async removeAll(projectId: string): Promise<void> {
    for (const [k, v] of this.vars) if (v.projectId === projectId) this.vars.delete(k);
  }
}

function keyOf(projectId: string, key: string): string {
  return `${projectId}\0${key}`;
}

/** What a table with NOT NULL columns refuses. */
function assertStorable(v: EnvVar): void {
  const fields = [v.projectId, v.key, v.value, v.updatedAt];
  if (fields.some((f) => typeof f !== 'string') || typeof v.secret !== 'boolean' || !Array.isArray(v.targets) || typeof v.valueBytes !== 'number') {
    throw new Error(`env var ${String(v.key)} has a missing or mistyped field`);
  }
}

export class MemoryProjects implements Projects {
  private readonly byId = new Map<string, Project>();

  /** `remove` takes the project's env vars with it, as the real stores do. */
  constructor(private readonly envVars: MemoryEnvVars) {}

  async create(project: Project): Promise<void> {
    if ([...this.byId.values()].some((p) => p.name === project.name)) throw projectExists(project.name);
    this.byId.set(project.id, structuredClone(project));
  }

  async get(name: string): Promise<Project | null> {
    const found = [...this.byId.values()].find((p) => p.name === name);
    return found ? structuredClone(found) : null;
  }

  async getById(id: string): Promise<Project | null> {
    const found = this.byId.get(id);
    return found ? structuredClone(found) : null;
  }

  async list(): Promise<Project[]> {
    return [...this.byId.values()].map((p) => structuredClone(p));
  }

  async update(project: Project): Promise<void> {
    if (this.byId.has(project.id)) this.byId.set(project.id, structuredClone(project));
  }

  async remove(id: string): Promise<void> {
    await this.envVars.removeAll(id);
    this.byId.delete(id);
  }
}

export class MemoryDeliveries implements Deliveries {
  private readonly recorded = new Map<string, { projectId: string; deploymentId: string; at: string }>();

  async seen(deliveryId: string): Promise<boolean> {
    return this.recorded.has(deliveryId);
  }

  async record(input: { deliveryId: string; projectId: string; deploymentId: string; at: string }): Promise<boolean> {
    if (this.recorded.has(input.deliveryId)) return false;
    this.recorded.set(input.deliveryId, { projectId: input.projectId, deploymentId: input.deploymentId, at: input.at });
    return true;
  }
}

export class MemoryBuildLogs implements BuildLogs {
  private readonly logs = new Map<string, LogLine[]>();

  async append(deploymentId: string, lines: readonly string[], at: string): Promise<void> {
    const log = this.logs.get(deploymentId) ?? [];
    for (const text of lines) log.push({ n: log.length + 1, at, text });
    this.logs.set(deploymentId, log);
  }

  async read(deploymentId: string, options: { after: number; limit?: number }): Promise<LogLine[]> {
    const after = (this.logs.get(deploymentId) ?? []).slice(options.after);
    return (options.limit === undefined ? after : after.slice(0, options.limit)).map((l) => ({ ...l }));
  }

  async tail(deploymentId: string, count: number): Promise<LogLine[]> {
    return count <= 0 ? [] : (this.logs.get(deploymentId) ?? []).slice(-count).map((l) => ({ ...l }));
  }

  /** Every line of a deployment's log, for tests to read what a person would. */
  texts(deploymentId: string): string[] {
    return (this.logs.get(deploymentId) ?? []).map((l) => l.text);
  }
}
