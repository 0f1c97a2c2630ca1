import { DeleteCommand, GetCommand, PutCommand, ScanCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Domain } from '../../core/domain.js';
import { AnchorError } from '../../core/errors.js';
import type { Domains } from '../../core/ports/domains.js';
import { isConditionFailed } from './dynamo-errors.js';
import { awsErrorNamed } from './aws-errors.js';

/** The ACM certificates of a project: the one served, the one being validated, the ones to delete once unused. */
export interface CertificateLedger {
  current: string | null;
  pending: string | null;
  retired: string[];
}

const LEDGER_PREFIX = '#certificates#';

/**
 * Domains table (infra/stack/platform-domains.ts): HASH name. A domain item is the Domain record
 * as it is. A project's certificate ledger shares the table under `#certificates#<projectId>`
 * (no `projectId` attribute, so listing domains never returns it). A platform has few domains:
 * `list` is one strongly consistent scan, so a check right after `add` sees the new name.
 */
export class DynamoDomains implements Domains {
  constructor(private readonly options: { doc: DynamoDBDocumentClient; table: string }) {}

  async add(domains: readonly Domain[]): Promise<void> {
    if (domains.length === 0) return;
    try {
      await this.options.doc.send(
        new TransactWriteCommand({
          TransactItems: domains.map((domain) => ({ Put: { TableName: this.options.table, Item: domain, ConditionExpression: 'attribute_not_exists(#name)', ExpressionAttributeNames: { '#name': 'name' } } })),
        }),
      );
    } catch (error) {
      if (!awsErrorNamed(error, 'TransactionCanceledException')) throw error;
      throw new AnchorError({ code: 'DOMAIN_TAKEN', kind: 'conflict', message: `${domains.map((d) => d.name).join(' or ')} already belongs to a project.`, hint: 'Run "anchor domains ls" to see which one.' });
    }
  }

  async get(name: string): Promise<Domain | null> {
    const { Item } = await this.options.doc.send(new GetCommand({ TableName: this.options.table, Key: { name }, ConsistentRead: true }));
    return Item && 'projectId' in Item ? (Item as Domain) : null;
  }

  async list(filter: { projectId?: string } = {}): Promise<Domain[]> {
    const domains: Domain[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.doc.send(
        new ScanCommand({
          TableName: this.options.table,
          ConsistentRead: true,
          ExclusiveStartKey: start,
          FilterExpression: filter.projectId ? 'projectId = :projectId' : 'attribute_exists(projectId)',
          ...(filter.projectId ? { ExpressionAttributeValues: { ':projectId': filter.projectId } } : {}),
        }),
      );
      domains.push(...((page.Items ?? []) as Domain[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return domains.sort((a, b) => a.name.localeCompare(b.name));
  }

  async save(domain: Domain): Promise<void> {
    try {
      await this.options.doc.send(
        new PutCommand({ TableName: this.options.table, Item: domain, ConditionExpression: 'attribute_exists(#name) AND projectId = :projectId', ExpressionAttributeNames: { '#name': 'name' }, ExpressionAttributeValues: { ':projectId': domain.projectId } }),
      );
    } catch (error) {
      // Removed while it was being checked: it stays removed.
      if (!isConditionFailed(error)) throw error;
    }
  }

  async remove(name: string): Promise<void> {
    await this.options.doc.send(new DeleteCommand({ TableName: this.options.table, Key: { name } }));
  }

  async ledger(projectId: string): Promise<CertificateLedger> {
    const { Item } = await this.options.doc.send(new GetCommand({ TableName: this.options.table, Key: { name: `${LEDGER_PREFIX}${projectId}` }, ConsistentRead: true }));
    return { current: (Item?.current as string | null) ?? null, pending: (Item?.pending as string | null) ?? null, retired: (Item?.retired as string[] | undefined) ?? [] };
  }

  async saveLedger(projectId: string, ledger: CertificateLedger): Promise<void> {
    await this.options.doc.send(new PutCommand({ TableName: this.options.table, Item: { name: `${LEDGER_PREFIX}${projectId}`, ledgerOf: projectId, ...ledger } }));
  }
}
