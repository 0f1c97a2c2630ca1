import { DeleteCommand, GetCommand, PutCommand, ScanCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AnchorError } from '../../core/errors.js';
import { DEFAULT_OWNER_ID, DEFAULT_OWNER_NAME, type Access, type Owner, type SessionRecord, type SignInCode, type TokenRecord } from '../../core/ports/access.js';
import { cancellationCodes, isConditionFailed } from './dynamo-errors.js';

/**
 * The access table (infra/stack/platform-storage.ts): HASH pk (S). Item kinds by key prefix:
 *   owner#<id>, ownername#<name> (uniqueness), projectowner#<projectId>, token#<id>,
 *   tokenhash#<sha256> (→ id), session#<sha256>, code#<sha256>. Sessions and codes carry a TTL
 *   (`ttl`, epoch seconds) so DynamoDB drops them after they expire. The default owner exists
 *   without an item: every project that was never assigned is its.
 */
export class DynamoAccess implements Access {
  constructor(private readonly options: { doc: DynamoDBDocumentClient; table: string }) {}

  private get doc() {
    return this.options.doc;
  }

  private async item<T>(pk: string): Promise<T | null> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.options.table, Key: { pk }, ConsistentRead: true }));
    return (Item as T | undefined) ?? null;
  }

  async createOwner(owner: Owner): Promise<void> {
    const exists = new AnchorError({ code: 'OWNER_EXISTS', kind: 'conflict', message: `An owner named "${owner.name}" already exists.`, hint: 'Pick another name, or run "anchor owners ls".' });
    if (owner.name === DEFAULT_OWNER_NAME) throw exists;
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.options.table, Item: { pk: `ownername#${owner.name}`, ownerId: owner.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
            { Put: { TableName: this.options.table, Item: { pk: `owner#${owner.id}`, kind: 'owner', ...owner }, ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      );
    } catch (error) {
      if (cancellationCodes(error)?.includes('ConditionalCheckFailed')) throw exists;
      throw error;
    }
  }

  async getOwner(id: string): Promise<Owner | null> {
    if (id === DEFAULT_OWNER_ID) return defaultOwner();
    return ownerOfItem(await this.item(`owner#${id}`));
  }

  async findOwner(name: string): Promise<Owner | null> {
    if (name === DEFAULT_OWNER_NAME) return defaultOwner();
    const pointer = await this.item<{ ownerId: string }>(`ownername#${name}`);
    return pointer ? this.getOwner(pointer.ownerId) : null;
  }

  async listOwners(): Promise<Owner[]> {
    const items = await this.scan('owner');
    return [defaultOwner(), ...items.map((i) => ownerOfItem(i) as Owner)].sort((a, b) => a.name.localeCompare(b.name));
  }

  async assign(projectId: string, ownerId: string): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.options.table, Item: { pk: `projectowner#${projectId}`, ownerId } }));
  }

  async ownerOf(projectId: string): Promise<string> {
    return (await this.item<{ ownerId: string }>(`projectowner#${projectId}`))?.ownerId ?? DEFAULT_OWNER_ID;
  }

  async createToken(token: TokenRecord): Promise<void> {
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.options.table, Item: { pk: `tokenhash#${token.hash}`, tokenId: token.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName: this.options.table, Item: { pk: `token#${token.id}`, kind: 'token', ...token }, ConditionExpression: 'attribute_not_exists(pk)' } },
        ],
      }),
    );
  }

  async tokenByHash(hash: string): Promise<TokenRecord | null> {
    const pointer = await this.item<{ tokenId: string }>(`tokenhash#${hash}`);
    return pointer ? this.getToken(pointer.tokenId) : null;
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    return tokenOfItem(await this.item(`token#${id}`));
  }

  /** A platform has a handful of tokens: one filtered scan. */
  async listTokens(ownerId: string | null): Promise<TokenRecord[]> {
    const tokens = (await this.scan('token')).map((i) => tokenOfItem(i) as TokenRecord);
    return tokens.filter((t) => ownerId === null || t.ownerId === ownerId).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.doc
      .send(new UpdateCommand({ TableName: this.options.table, Key: { pk: `token#${id}` }, UpdateExpression: 'SET lastUsedAt = :at', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':at': at } }))
      .catch((error: unknown) => {
        if (!isConditionFailed(error)) throw error;
      });
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({ TableName: this.options.table, Key: { pk: `token#${id}` }, UpdateExpression: 'SET revokedAt = :at', ConditionExpression: 'attribute_exists(pk) AND revokedAt = :none', ExpressionAttributeValues: { ':at': at, ':none': null } }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async createSession(session: SessionRecord): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.options.table, Item: { pk: `session#${session.hash}`, ...session, ttl: epoch(session.expiresAt) } }));
  }

  async sessionByHash(hash: string): Promise<SessionRecord | null> {
    const item = await this.item<SessionRecord & { pk: string; ttl: number }>(`session#${hash}`);
    if (!item) return null;
    const { pk: _pk, ttl: _ttl, ...session } = item;
    return session;
  }

  async removeSession(hash: string): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.options.table, Key: { pk: `session#${hash}` } }));
  }

  async createCode(code: SignInCode): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.options.table, Item: { pk: `code#${code.hash}`, ...code, ttl: epoch(code.expiresAt) } }));
  }

  /** One DeleteItem returning what it deleted: of two sign-ins with one code, one gets it. */
  async consumeCode(hash: string, at: string): Promise<SignInCode | null> {
    let code: (SignInCode & { pk: string }) | undefined;
    try {
      // Conditional: an unconditional delete may hand the same old item to two callers at once.
      const { Attributes } = await this.doc.send(new DeleteCommand({ TableName: this.options.table, Key: { pk: `code#${hash}` }, ConditionExpression: 'attribute_exists(pk)', ReturnValues: 'ALL_OLD' }));
      code = Attributes as (SignInCode & { pk: string }) | undefined;
    } catch (error) {
      if (isConditionFailed(error)) return null;
      throw error;
    }
    if (!code || code.expiresAt <= at) return null;
    return { hash: code.hash, ownerId: code.ownerId, expiresAt: code.expiresAt };
  }

  private async scan(kind: 'owner' | 'token'): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new ScanCommand({ TableName: this.options.table, ConsistentRead: true, FilterExpression: 'kind = :kind', ExpressionAttributeValues: { ':kind': kind }, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

function defaultOwner(): Owner {
  return { id: DEFAULT_OWNER_ID, name: DEFAULT_OWNER_NAME, createdAt: '1970-01-01T00:00:00.000Z' };
}

function ownerOfItem(item: Record<string, unknown> | null): Owner | null {
  return item ? { id: item.id as string, name: item.name as string, createdAt: item.createdAt as string } : null;
}

function tokenOfItem(item: Record<string, unknown> | null): TokenRecord | null {
  if (!item) return null;
  const { pk: _pk, kind: _kind, ...token } = item;
  return token as unknown as TokenRecord;
}

function epoch(iso: string): number {
  return Math.ceil(Date.parse(iso) / 1000);
}
