import { DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { assertTransitions, type Deployment, type DeploymentState } from '../../core/deployment.js';
import { planPromote } from '../../core/live-pointer.js';
import { deploymentNotFound } from '../../core/domain-errors.js';
import { AnchorError } from '../../core/errors.js';
import type { Deployments, LivePointer, PromoteResult } from '../../core/ports/deployments.js';
import { cancellationCodes, definedOnly, isConditionFailed } from './dynamo-errors.js';

type Patch = Partial<Pick<Deployment, 'reason' | 'commitSha' | 'commitMessage' | 'buildId' | 'runtimeEnv'>>;

/** Only these states may take `live`: a fresh deploy, or a rollback to a retired one. */
/** Attempts when DynamoDB cancels a promote only because another transaction touched the same items. */
const CONFLICT_RETRIES = 5;

interface PointerItem {
  id: string;
  projectId: string;
  deploymentId: string;
  liveSequence: number;
  highestSequence: number;
  revision: number;
  at: string;
}

const seqId = (projectId: string) => `seq#${projectId}`;
const liveId = (projectId: string) => `live#${projectId}`;

/**
 * Deployments table (infra/stack/platform-storage.ts): HASH id; GSI byProject (projectId,
 * sequence), newest first. The per-project sequence counter (`seq#<projectId>`) and the live
 * pointer (`live#<projectId>`) share the table; neither has a `sequence` attribute, so the sparse
 * index never returns them. The pointer keeps `highestSequence`, the newest sequence ever live,
 * which `onlyIfNewer` compares against (LivePointer.highestSequence).
 */
export class DynamoDeployments implements Deployments {
  constructor(private readonly options: { doc: DynamoDBDocumentClient; table: string }) {}

  private get doc() {
    return this.options.doc;
  }

  private get table() {
    return this.options.table;
  }

  async create(input: Omit<Deployment, 'sequence' | 'updatedAt'>): Promise<Deployment> {
    // ADD on one item is atomic: every caller gets its own number, strictly increasing. A crash
    // between the two writes leaves a gap, never a duplicate.
    const counter = await this.doc.send(
      new UpdateCommand({ TableName: this.table, Key: { id: seqId(input.projectId) }, UpdateExpression: 'ADD #next :one', ExpressionAttributeNames: { '#next': 'next' }, ExpressionAttributeValues: { ':one': 1 }, ReturnValues: 'UPDATED_NEW' }),
    );
    const sequence = Number(counter.Attributes?.['next']);
    const deployment: Deployment = { ...input, sequence, updatedAt: input.createdAt };
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: deployment, ConditionExpression: 'attribute_not_exists(id)' }));
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new AnchorError({ code: 'DEPLOYMENT_EXISTS', kind: 'conflict', message: `Deployment ${input.id} exists already.`, hint: 'Deployment ids are generated; try again.' });
    }
    return deployment;
  }

  async get(id: string): Promise<Deployment | null> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: true }));
    return Item && typeof Item['sequence'] === 'number' ? (Item as Deployment) : null;
  }

  /** Newest first. The index is eventually consistent (a deployment created a moment ago may be missing for that moment). */
  async listByProject(projectId: string, options: { limit?: number; states?: readonly DeploymentState[] } = {}): Promise<Deployment[]> {
    if (options.states?.length === 0) return [];
    const states = options.states ?? [];
    const found: Deployment[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'byProject',
          KeyConditionExpression: 'projectId = :p',
          ScanIndexForward: false,
          ExclusiveStartKey: start,
          ...(states.length > 0
            ? {
                FilterExpression: `#state IN (${states.map((_, i) => `:s${i}`).join(', ')})`,
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: { ':p': projectId, ...Object.fromEntries(states.map((s, i) => [`:s${i}`, s])) },
              }
            : { ExpressionAttributeValues: { ':p': projectId }, ...(options.limit !== undefined ? { Limit: options.limit } : {}) }),
        }),
      );
      found.push(...((page.Items ?? []) as Deployment[]));
      start = page.LastEvaluatedKey;
    } while (start && (options.limit === undefined || found.length < options.limit));
    return options.limit === undefined ? found : found.slice(0, options.limit);
  }

  async transition(id: string, from: readonly DeploymentState[], to: DeploymentState, at: string, patch: Patch = {}): Promise<Deployment | null> {
    assertTransitions(from, to, id);
    if (from.length === 0) return null;
    const fields = definedOnly(patch);
    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = { ':to': to, ':t': [{ state: to, at }], ':at': at };
    const sets = ['#state = :to', 'transitions = list_append(transitions, :t)', 'updatedAt = :at'];
    Object.entries(fields).forEach(([key, value], i) => {
      names[`#f${i}`] = key;
      values[`:f${i}`] = value;
      sets.push(`#f${i} = :f${i}`);
    });
    from.forEach((state, i) => (values[`:from${i}`] = state));
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: `attribute_exists(#seq) AND #state IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
          ExpressionAttributeNames: { ...names, '#seq': 'sequence' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as Deployment;
    } catch (error) {
      if (isConditionFailed(error)) return null;
      throw error;
    }
  }

  async update(id: string, patch: Partial<Pick<Deployment, 'commitSha' | 'commitMessage' | 'buildId' | 'runtimeEnv'>>): Promise<void> {
    const fields = Object.entries(definedOnly(patch));
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id },
          ConditionExpression: 'attribute_exists(#seq)',
          ...(fields.length > 0
            ? {
                UpdateExpression: `SET ${fields.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
                ExpressionAttributeNames: { '#seq': 'sequence', ...Object.fromEntries(fields.map(([k], i) => [`#f${i}`, k])) },
                ExpressionAttributeValues: Object.fromEntries(fields.map(([, v], i) => [`:f${i}`, v])),
              }
            : { UpdateExpression: 'SET #seq = #seq', ExpressionAttributeNames: { '#seq': 'sequence' } }),
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw deploymentNotFound(id);
      throw error;
    }
  }

  async getLive(projectId: string): Promise<LivePointer | null> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: { id: liveId(projectId) }, ConsistentRead: true }));
    return Item ? toPointer(Item as PointerItem) : null;
  }

  /**
   * The live compare-and-swap as ONE TransactWriteItems: the pointer (conditional on its revision,
   * and on highestSequence < candidate when onlyIfNewer), the candidate → live (conditional on the
   * state it was read in), the previous live one → retired (conditional on still being live).
   * The reads before it only pick the reason to report; the transaction's conditions decide.
   */
  async promote(input: { projectId: string; deploymentId: string; expectedRevision: number | null; onlyIfNewer: boolean; at: string }): Promise<PromoteResult> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.getLive(input.projectId);
      if ((current?.revision ?? null) !== input.expectedRevision) return { ok: false, current, reason: 'revision-changed' };
      const candidate = await this.get(input.deploymentId);
      if (!candidate || candidate.projectId !== input.projectId) throw deploymentNotFound(input.deploymentId, input.projectId);
      const plan = planPromote(input, current, candidate);
      if (!plan.ok) return plan;
      const { pointer } = plan;
      const previous = current ? await this.get(current.deploymentId) : null;
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: this.promoteItems(input, pointer, candidate, previous?.state === 'live' ? previous : null) }));
        return { ok: true, pointer, previous: current };
      } catch (error) {
        const codes = cancellationCodes(error);
        if (!codes) throw error;
        const after = await this.getLive(input.projectId);
        if (codes.includes('TransactionConflict') && (after?.revision ?? null) === input.expectedRevision && attempt < CONFLICT_RETRIES) {
          // Cancelled only because another transaction was touching the same items: nobody won yet.
          await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 30));
          continue;
        }
        if ((after?.revision ?? null) !== input.expectedRevision) return { ok: false, current: after, reason: 'revision-changed' };
        if (codes[0] === 'ConditionalCheckFailed') return { ok: false, current: after, reason: 'not-newer' };
        return { ok: false, current: after, reason: 'state-changed' };
      }
    }
  }

  private promoteItems(input: { projectId: string; expectedRevision: number | null; onlyIfNewer: boolean; at: string }, pointer: LivePointer, candidate: Deployment, previous: Deployment | null) {
    const pointerCondition = [input.expectedRevision === null ? 'attribute_not_exists(id)' : 'revision = :expected', ...(input.onlyIfNewer && input.expectedRevision !== null ? ['highestSequence < :seq'] : [])].join(' AND ');
    const moveState = (d: Deployment, to: DeploymentState) => ({
      Update: {
        TableName: this.table,
        Key: { id: d.id },
        UpdateExpression: 'SET #state = :to, transitions = list_append(transitions, :t), updatedAt = :at',
        ConditionExpression: '#state = :from',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':to': to, ':from': d.state, ':t': [{ state: to, at: input.at }], ':at': input.at },
      },
    });
    return [
      {
        Put: {
          TableName: this.table,
          Item: { id: liveId(input.projectId), projectId: pointer.projectId, deploymentId: pointer.deploymentId, liveSequence: pointer.sequence, highestSequence: pointer.highestSequence, revision: pointer.revision, at: pointer.at } satisfies PointerItem,
          ConditionExpression: pointerCondition,
          ...(pointerCondition.includes(':')
            ? { ExpressionAttributeValues: { ...(input.expectedRevision !== null ? { ':expected': input.expectedRevision } : {}), ...(pointerCondition.includes(':seq') ? { ':seq': candidate.sequence } : {}) } }
            : {}),
        },
      },
      moveState(candidate, 'live'),
      ...(previous ? [moveState(previous, 'retired')] : []),
    ];
  }

  /** Refuses to remove the live deployment: retention must never take a site down. */
  async remove(id: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({ TableName: this.table, Key: { id }, ConditionExpression: 'attribute_not_exists(id) OR #state <> :live', ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':live': 'live' } }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new AnchorError({ code: 'DEPLOYMENT_IS_LIVE', kind: 'conflict', message: `Deployment ${id} is live and cannot be removed.`, hint: 'Roll back or deploy another version first, then remove this one.' });
    }
  }
}

function toPointer(item: PointerItem): LivePointer {
  return { projectId: item.projectId, deploymentId: item.deploymentId, sequence: item.liveSequence, highestSequence: item.highestSequence, revision: item.revision, at: item.at };
}

