import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { projectExists, projectGone } from '../../core/domain-errors.js';
import type { EnvVars } from '../../core/ports/env-vars.js';
import type { Projects } from '../../core/ports/projects.js';
import type { Project } from '../../core/project.js';
import { isConditionFailed } from './dynamo-errors.js';

/**
 * Projects table (infra/stack/platform-storage.ts): HASH name, GSI byId. The item is the Project
 * record as it is. The byId index is eventually consistent, which is fine for its readers
 * (webhooks and the pipeline come long after `projects add`).
 */
export class DynamoProjects implements Projects {
  constructor(private readonly options: { doc: DynamoDBDocumentClient; table: string; envVars: EnvVars }) {}

  async create(project: Project): Promise<void> {
    try {
      await this.options.doc.send(new PutCommand({ TableName: this.options.table, Item: project, ConditionExpression: 'attribute_not_exists(#name)', ExpressionAttributeNames: { '#name': 'name' } }));
    } catch (error) {
      if (isConditionFailed(error)) throw projectExists(project.name);
      throw error;
    }
  }

  async get(name: string): Promise<Project | null> {
    const { Item } = await this.options.doc.send(new GetCommand({ TableName: this.options.table, Key: { name }, ConsistentRead: true }));
    return (Item as Project | undefined) ?? null;
  }

  async getById(id: string): Promise<Project | null> {
    const { Items } = await this.options.doc.send(
      new QueryCommand({ TableName: this.options.table, IndexName: 'byId', KeyConditionExpression: 'id = :id', ExpressionAttributeValues: { ':id': id }, Limit: 1 }),
    );
    return (Items?.[0] as Project | undefined) ?? null;
  }

  /** A platform has a handful of projects: one paginated scan, sorted by name like the local backend. */
  async list(): Promise<Project[]> {
    const projects: Project[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.options.doc.send(new ScanCommand({ TableName: this.options.table, ConsistentRead: true, ExclusiveStartKey: start }));
      projects.push(...((page.Items ?? []) as Project[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return projects.sort((a, b) => a.name.localeCompare(b.name));
  }

  async update(project: Project): Promise<void> {
    try {
      await this.options.doc.send(
        new PutCommand({
          TableName: this.options.table,
          Item: project,
          ConditionExpression: 'attribute_exists(#name) AND id = :id',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: { ':id': project.id },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw projectGone(project);
    }
  }

  /** Env vars go with the project. Deployment records stay (they are history; retention removes artifacts). */
  async remove(id: string): Promise<void> {
    const project = await this.getById(id);
    if (!project) return;
    await this.options.doc.send(
      new DeleteCommand({ TableName: this.options.table, Key: { name: project.name }, ConditionExpression: 'id = :id', ExpressionAttributeValues: { ':id': id } }),
    ).catch((error: unknown) => {
      if (!isConditionFailed(error)) throw error;
    });
    await this.options.envVars.removeAll(id);
  }
}

