import { assertTransitions, type Deployment, type DeploymentState, type Transition } from '../../../core/deployment.js';
import { planPromote } from '../../../core/live-pointer.js';
import { deploymentNotFound } from '../../../core/domain-errors.js';
import { AnchorError } from '../../../core/errors.js';
import type { Deployments, LivePointer, PromoteResult } from '../../../core/ports/deployments.js';
import type { Transaction } from 'better-sqlite3';
import { prepare, type SqliteDatabase } from './sqlite-database.js';

interface DeploymentRow {
  id: string;
  project_id: string;
  sequence: number;
  state: DeploymentState;
  commit_sha: string | null;
  commit_message: string | null;
  ref: string;
  trigger: string;
  transitions: string;
  reason: string | null;
  build_id: string | null;
  runtime_env: string | null;
  created_at: string;
  updated_at: string;
}

interface PointerRow {
  project_id: string;
  deployment_id: string;
  sequence: number;
  highest_sequence: number;
  revision: number;
  at: string;
}

type Patch = Partial<Pick<Deployment, 'reason' | 'commitSha' | 'commitMessage' | 'buildId' | 'runtimeEnv'>>;

/** Only these states may take `live`: a fresh deploy, or a rollback to a retired one. */

export class SqliteDeployments implements Deployments {
  constructor(private readonly db: SqliteDatabase) {
    this.insertNext = db.transaction((input: Omit<Deployment, 'sequence' | 'updatedAt'>): Deployment => {
      const next = prepare(db, 'INSERT INTO deployment_sequences (project_id, last) VALUES (?, 1) ON CONFLICT (project_id) DO UPDATE SET last = last + 1 RETURNING last')
        .pluck()
        .get(input.projectId) as number;
      const deployment: Deployment = { ...input, sequence: next, updatedAt: input.createdAt };
      prepare(
        db,
        `INSERT INTO deployments (id, project_id, sequence, state, commit_sha, commit_message, ref, trigger, transitions, reason, build_id, runtime_env, created_at, updated_at)
         VALUES (@id, @project_id, @sequence, @state, @commit_sha, @commit_message, @ref, @trigger, @transitions, @reason, @build_id, @runtime_env, @created_at, @updated_at)`,
      ).run(toRow(deployment));
      return deployment;
    });
  }

  /** One write transaction takes the project's next number and inserts the row, so two processes
   * creating at once can never get the same sequence. Made once: building it costs more than running it. */
  private readonly insertNext: Transaction<(input: Omit<Deployment, 'sequence' | 'updatedAt'>) => Deployment>;

  async create(input: Omit<Deployment, 'sequence' | 'updatedAt'>): Promise<Deployment> {
    try {
      return this.insertNext.immediate(input);
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw new AnchorError({
          code: 'PROJECT_NOT_FOUND',
          kind: 'not-found',
          message: `Cannot create a deployment for project ${input.projectId}: the project does not exist.`,
          hint: 'Run "anchor projects ls" to see the projects there are.',
        });
      }
      throw error;
    }
  }

  async get(id: string): Promise<Deployment | null> {
    return this.read(id);
  }

  /** Newest first. */
  async listByProject(projectId: string, options: { limit?: number; states?: readonly DeploymentState[] } = {}): Promise<Deployment[]> {
    const params: unknown[] = [projectId];
    let sql = 'SELECT * FROM deployments WHERE project_id = ?';
    if (options.states) {
      if (options.states.length === 0) return [];
      sql += ` AND state IN (${options.states.map(() => '?').join(', ')})`;
      params.push(...options.states);
    }
    sql += ' ORDER BY sequence DESC';
    if (options.limit !== undefined) {
      sql += ' LIMIT ?';
      params.push(options.limit);
    }
    return (prepare(this.db, sql).all(...params) as DeploymentRow[]).map(fromRow);
  }

  async transition(id: string, from: readonly DeploymentState[], to: DeploymentState, at: string, patch: Patch = {}): Promise<Deployment | null> {
    assertTransitions(from, to, id);
    return this.db
      .transaction(() => {
        const current = this.read(id);
        if (!current || !from.includes(current.state)) return null;
        return this.write({ ...current, ...definedOnly(patch) }, to, at);
      })
      .immediate();
  }

  async update(id: string, patch: Partial<Pick<Deployment, 'commitSha' | 'commitMessage' | 'buildId' | 'runtimeEnv'>>): Promise<void> {
    this.db
      .transaction(() => {
        const current = this.read(id);
        if (!current) throw deploymentNotFound(id);
        const next = { ...current, ...definedOnly(patch) };
        prepare(this.db, 'UPDATE deployments SET commit_sha = @commit_sha, commit_message = @commit_message, build_id = @build_id, runtime_env = @runtime_env WHERE id = @id')
          .run(pick(toRow(next), ['id', 'commit_sha', 'commit_message', 'build_id', 'runtime_env']));
      })
      .immediate();
  }

  async getLive(projectId: string): Promise<LivePointer | null> {
    return this.readPointer(projectId);
  }

  async promote(input: { projectId: string; deploymentId: string; expectedRevision: number | null; onlyIfNewer: boolean; at: string }): Promise<PromoteResult> {
    // Every check and both state changes happen under one write lock: nothing can slip in between.
    return this.db
      .transaction((): PromoteResult => {
        const current = this.readPointer(input.projectId);
        if ((current?.revision ?? null) !== input.expectedRevision) return { ok: false, current, reason: 'revision-changed' };
        const candidate = this.read(input.deploymentId);
        if (!candidate || candidate.projectId !== input.projectId) throw deploymentNotFound(input.deploymentId, input.projectId);
        const plan = planPromote(input, current, candidate);
        if (!plan.ok) return plan;
        const { pointer } = plan;

        if (current) {
          const previous = this.read(current.deploymentId);
          if (previous?.state === 'live') this.write(previous, 'retired', input.at);
        }
        this.write(candidate, 'live', input.at);
        prepare(this.db, 
            `INSERT INTO live_pointers (project_id, deployment_id, sequence, highest_sequence, revision, at) VALUES (@projectId, @deploymentId, @sequence, @highestSequence, @revision, @at)
             ON CONFLICT (project_id) DO UPDATE SET deployment_id = excluded.deployment_id, sequence = excluded.sequence, highest_sequence = excluded.highest_sequence, revision = excluded.revision, at = excluded.at`,
          )
          .run(pointer);
        return { ok: true, pointer, previous: current };
      })
      .immediate();
  }

  /** Refuses to remove the live deployment: retention must never take a site down. */
  async remove(id: string): Promise<void> {
    this.db
      .transaction(() => {
        const live = prepare(this.db, 'SELECT project_id FROM live_pointers WHERE deployment_id = ?').pluck().get(id) as string | undefined;
        if (live !== undefined) {
          throw new AnchorError({
            code: 'DEPLOYMENT_IS_LIVE',
            kind: 'conflict',
            message: `Deployment ${id} is live and cannot be removed.`,
            hint: 'Roll back or deploy another version first, then remove this one.',
          });
        }
        prepare(this.db, 'DELETE FROM deployments WHERE id = ?').run(id);
      })
      .immediate();
  }

  private read(id: string): Deployment | null {
    const row = prepare(this.db, 'SELECT * FROM deployments WHERE id = ?').get(id) as DeploymentRow | undefined;
    return row ? fromRow(row) : null;
  }

  private readPointer(projectId: string): LivePointer | null {
    const row = prepare(this.db, 'SELECT * FROM live_pointers WHERE project_id = ?').get(projectId) as PointerRow | undefined;
    return row ? { projectId: row.project_id, deploymentId: row.deployment_id, sequence: row.sequence, highestSequence: row.highest_sequence, revision: row.revision, at: row.at } : null;
  }

  /** Moves `d` to `to` at `at`, writing its other fields as given. Call inside a transaction. */
  private write(d: Deployment, to: DeploymentState, at: string): Deployment {
    const transitions: Transition[] = [...d.transitions, { state: to, at }];
    const next: Deployment = { ...d, state: to, transitions, updatedAt: at };
    prepare(this.db, 
        `UPDATE deployments SET state = @state, transitions = @transitions, reason = @reason, commit_sha = @commit_sha, commit_message = @commit_message,
           build_id = @build_id, runtime_env = @runtime_env, updated_at = @updated_at WHERE id = @id`,
      )
      .run(pick(toRow(next), ['id', 'state', 'transitions', 'reason', 'commit_sha', 'commit_message', 'build_id', 'runtime_env', 'updated_at']));
    return next;
  }
}


/** A patch key present with `undefined` means "leave as is", like an absent key. */
function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, obj[k]])) as Pick<T, K>;
}

function toRow(d: Deployment): DeploymentRow {
  return {
    id: d.id,
    project_id: d.projectId,
    sequence: d.sequence,
    state: d.state,
    commit_sha: d.commitSha,
    commit_message: d.commitMessage,
    ref: d.ref,
    trigger: JSON.stringify(d.trigger),
    transitions: JSON.stringify(d.transitions),
    reason: d.reason,
    build_id: d.buildId,
    runtime_env: d.runtimeEnv === null ? null : JSON.stringify(d.runtimeEnv),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  };
}

function fromRow(r: DeploymentRow): Deployment {
  return {
    id: r.id,
    projectId: r.project_id,
    sequence: r.sequence,
    state: r.state,
    commitSha: r.commit_sha,
    commitMessage: r.commit_message,
    ref: r.ref,
    trigger: JSON.parse(r.trigger) as Deployment['trigger'],
    transitions: JSON.parse(r.transitions) as Transition[],
    reason: r.reason,
    buildId: r.build_id,
    runtimeEnv: r.runtime_env === null ? null : (JSON.parse(r.runtime_env) as Deployment['runtimeEnv']),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
