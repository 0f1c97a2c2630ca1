import type { Deliveries } from '../../../core/ports/deliveries.js';
import { prepare, type SqliteDatabase } from './sqlite-database.js';

export class SqliteDeliveries implements Deliveries {
  constructor(private readonly db: SqliteDatabase) {}

  async seen(deliveryId: string): Promise<boolean> {
    return prepare(this.db, 'SELECT 1 FROM deliveries WHERE delivery_id = ?').get(deliveryId) !== undefined;
  }

  /** The primary key makes this create-if-absent even between processes. */
  async record(input: { deliveryId: string; projectId: string; deploymentId: string; at: string }): Promise<boolean> {
    const result = prepare(this.db, 'INSERT INTO deliveries (delivery_id, project_id, deployment_id, at) VALUES (@deliveryId, @projectId, @deploymentId, @at) ON CONFLICT DO NOTHING')
      .run(input);
    return result.changes === 1;
  }
}
