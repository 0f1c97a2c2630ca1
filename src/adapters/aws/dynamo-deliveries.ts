import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Deliveries } from '../../core/ports/deliveries.js';
import { isConditionFailed } from './dynamo-errors.js';

/** GitHub never redelivers by itself; a person may press "Redeliver" within days. 30 days covers that. */
export const DELIVERY_RETENTION_DAYS = 30;

/**
 * Deliveries table: HASH deliveryId, TTL attribute `expiresAt` (epoch seconds). `record` is a
 * conditional put, so of many simultaneous records of one id exactly one wins.
 */
export class DynamoDeliveries implements Deliveries {
  constructor(private readonly options: { doc: DynamoDBDocumentClient; table: string; retentionDays?: number }) {}

  async seen(deliveryId: string): Promise<boolean> {
    const { Item } = await this.options.doc.send(new GetCommand({ TableName: this.options.table, Key: { deliveryId }, ConsistentRead: true, ProjectionExpression: 'deliveryId' }));
    return Item !== undefined;
  }

  async record(input: { deliveryId: string; projectId: string; deploymentId: string; at: string }): Promise<boolean> {
    const expiresAt = Math.floor(Date.parse(input.at) / 1000) + (this.options.retentionDays ?? DELIVERY_RETENTION_DAYS) * 86_400;
    try {
      await this.options.doc.send(
        new PutCommand({ TableName: this.options.table, Item: { ...input, expiresAt }, ConditionExpression: 'attribute_not_exists(deliveryId)' }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}
