import { BatchWriteCommand, DeleteCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ENV_TARGETS, type EnvVar } from '../../core/env-var.js';
import { AnchorError } from '../../core/errors.js';
import type { EnvVars } from '../../core/ports/env-vars.js';

/** TransactWriteItems takes at most 100 actions. */
const TRANSACTION_LIMIT = 100;
const BATCH_LIMIT = 25;

/**
 * Env-vars table: HASH projectId, RANGE key (`key` is a reserved word, always aliased). Each item
 * is the EnvVar record. `setMany` is one TransactWriteItems when it fits (≤ 100 variables); a
 * larger set is written in chunks of 100 and, if a later chunk fails, the chunks already written
 * are put back as they were (the previous values are read first). That keeps all-or-nothing for
 * the result, though a reader in between may see part of the change.
 */
export class DynamoEnvVars implements EnvVars {
  constructor(private readonly options: { doc: DynamoDBDocumentClient; table: string }) {}

  async list(projectId: string): Promise<EnvVar[]> {
    const vars: EnvVar[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.doc.send(
        new QueryCommand({
          TableName: this.options.table,
          KeyConditionExpression: 'projectId = :p',
          ExpressionAttributeValues: { ':p': projectId },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      vars.push(...((page.Items ?? []) as EnvVar[]).map(fromItem));
      start = page.LastEvaluatedKey;
    } while (start);
    return vars;
  }

  async set(v: EnvVar): Promise<void> {
    assertValid(v);
    await this.options.doc.send(new PutCommand({ TableName: this.options.table, Item: toItem(v) }));
  }

  async setMany(input: EnvVar[]): Promise<void> {
    input.forEach(assertValid);
    // A transaction may not touch one item twice: the last value of a key wins, as with repeated `set`s.
    const vars = [...new Map(input.map((v) => [`${v.projectId}\0${v.key}`, v])).values()];
    if (vars.length === 0) return;
    if (vars.length <= TRANSACTION_LIMIT) {
      await this.transact(vars.map((v) => ({ put: v })));
      return;
    }
    const projects = [...new Set(vars.map((v) => v.projectId))];
    const before = new Map((await Promise.all(projects.map((p) => this.list(p)))).flat().map((v) => [`${v.projectId}\0${v.key}`, v]));
    const written: EnvVar[] = [];
    try {
      for (let i = 0; i < vars.length; i += TRANSACTION_LIMIT) {
        const chunk = vars.slice(i, i + TRANSACTION_LIMIT);
        await this.transact(chunk.map((v) => ({ put: v })));
        written.push(...chunk);
      }
    } catch (error) {
      const undo = written.map((v) => {
        const old = before.get(`${v.projectId}\0${v.key}`);
        return old ? { put: old } : { remove: v };
      });
      for (let i = 0; i < undo.length; i += TRANSACTION_LIMIT) await this.transact(undo.slice(i, i + TRANSACTION_LIMIT));
      throw error;
    }
  }

  async remove(projectId: string, key: string): Promise<boolean> {
    const { Attributes } = await this.options.doc.send(
      new DeleteCommand({ TableName: this.options.table, Key: { projectId, key }, ReturnValues: 'ALL_OLD' }),
    );
    return Attributes !== undefined;
  }

  async removeAll(projectId: string): Promise<void> {
    const keys = (await this.list(projectId)).map((v) => ({ DeleteRequest: { Key: { projectId, key: v.key } } }));
    for (let i = 0; i < keys.length; i += BATCH_LIMIT) {
      let requests: typeof keys | undefined = keys.slice(i, i + BATCH_LIMIT);
      // BatchWriteItem may hand back unprocessed items under load: send them again until none are left.
      for (let tries = 0; requests && requests.length > 0; tries++) {
        if (tries > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** tries)));
        const result = await this.options.doc.send(new BatchWriteCommand({ RequestItems: { [this.options.table]: requests } }));
        requests = result.UnprocessedItems?.[this.options.table] as typeof keys | undefined;
      }
    }
  }

  private async transact(actions: ({ put: EnvVar } | { remove: EnvVar })[]): Promise<void> {
    await this.options.doc.send(
      new TransactWriteCommand({
        TransactItems: actions.map((a) =>
          'put' in a ? { Put: { TableName: this.options.table, Item: toItem(a.put) } } : { Delete: { TableName: this.options.table, Key: { projectId: a.remove.projectId, key: a.remove.key } } },
        ),
      }),
    );
  }
}

function toItem(v: EnvVar): Record<string, unknown> {
  return { projectId: v.projectId, key: v.key, value: v.value, secret: v.secret, targets: [...v.targets], valueBytes: v.valueBytes, updatedAt: v.updatedAt };
}

function fromItem(item: EnvVar): EnvVar {
  return { projectId: item.projectId, key: item.key, value: item.value, secret: item.secret, targets: item.targets, valueBytes: item.valueBytes, updatedAt: item.updatedAt };
}

/** DynamoDB would store a null or a number where a string belongs; the port promises strings. */
function assertValid(v: EnvVar): void {
  const ok =
    typeof v.projectId === 'string' &&
    v.projectId !== '' &&
    typeof v.key === 'string' &&
    v.key !== '' &&
    typeof v.value === 'string' &&
    typeof v.secret === 'boolean' &&
    Array.isArray(v.targets) &&
    v.targets.every((t) => (ENV_TARGETS as readonly string[]).includes(t)) &&
    Number.isInteger(v.valueBytes) &&
    typeof v.updatedAt === 'string';
  if (!ok) {
    throw new AnchorError({
      code: 'ENV_VAR_INVALID',
      kind: 'internal',
      message: `Environment variable ${String(v.key)} of ${String(v.projectId)} is not a complete record; nothing was written.`,
    });
  }
}
