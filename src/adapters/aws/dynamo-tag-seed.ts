import { ConditionalCheckFailedException, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AnchorError } from '../../core/errors.js';
import { mapLimited } from '../../lib/map-limited.js';
import { awsErrorNamed } from './aws-errors.js';

/** Where OpenNext writes the tag cache's first items (`.open-next/dynamodb-provider/`). */
export const TAG_SEED_FILE = 'dynamodb-provider/dynamodb-cache.json';

type SeedItem = Record<string, AttributeValue>;

function parseSeed(text: string): SeedItem[] {
  let items: unknown;
  try {
    items = JSON.parse(text);
  } catch (error) {
    throw new AnchorError({ code: 'TAG_SEED_INVALID', kind: 'failed', message: `The build's ${TAG_SEED_FILE} is not JSON.`, hint: 'Rebuild the app; the file is written by open-next build.', cause: error });
  }
  if (!Array.isArray(items)) throw new AnchorError({ code: 'TAG_SEED_INVALID', kind: 'failed', message: `The build's ${TAG_SEED_FILE} is not a list of items.` });
  return items.filter((item): item is SeedItem => {
    const i = item as Record<string, { S?: unknown; N?: unknown } | undefined>;
    return typeof i?.['tag']?.S === 'string' && typeof i['path']?.S === 'string' && typeof i['revalidatedAt']?.N === 'string';
  });
}

/**
 * Seeds a deployment's tags into the project's tag table, as OpenNext's dynamodb-provider does
 * at a CDK deploy: each item (`tag`, `path`, `revalidatedAt`, keyed by the build id, so builds
 * never share one) is written only where absent, so a retried deploy never undoes a
 * revalidation that happened since. A stack from before ISR has no table: nothing to seed.
 * Returns the number of items written.
 */
export async function seedTagCache(dynamodb: DynamoDBClient, table: string, seedText: string, concurrency = 8): Promise<number> {
  const items = parseSeed(seedText);
  let written = 0;
  try {
    await mapLimited(items, concurrency, async (Item) => {
      try {
        await dynamodb.send(new PutItemCommand({ TableName: table, Item, ConditionExpression: 'attribute_not_exists(#tag)', ExpressionAttributeNames: { '#tag': 'tag' } }));
        written += 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    });
  } catch (error) {
    if (awsErrorNamed(error, 'ResourceNotFoundException')) return written;
    throw error;
  }
  return written;
}
