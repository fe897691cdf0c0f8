import {
  ConditionalCheckFailedException,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { AccessKeyRecord, AccessKeyStore } from '../../../ports/access-keys.js';

/**
 * The partition of the registry table that holds access keys (docs/compatibility.md#access-keys: only the hash is
 * stored, in the registry table).
 */
const PARTITION = 'accesskey#';

export interface DynamoAccessKeyStoreOptions {
  client: DynamoDBClient;
  /** The `<prefix>registry` table. */
  tableName: string;
}

/**
 * Access keys in the registry table, one item per key under `pk = "accesskey#"`, `sk = keyId`. The config API caches
 * lookups briefly, and keys are few, so a lookup by hash is one consistent Query of that partition.
 */
export class DynamoAccessKeyStore implements AccessKeyStore {
  constructor(private readonly options: DynamoAccessKeyStoreOptions) {}

  async create(record: AccessKeyRecord): Promise<void> {
    try {
      await this.options.client.send(new PutItemCommand({
        TableName: this.options.tableName,
        Item: toItem(record),
        ConditionExpression: 'attribute_not_exists(sk)',
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new Error(`access key ${record.keyId} already exists`);
      throw error;
    }
  }

  async get(keyId: string): Promise<AccessKeyRecord | undefined> {
    return (await this.query({ keyId })).at(0);
  }

  async findByHash(hash: string): Promise<AccessKeyRecord | undefined> {
    return (await this.query({ hash })).at(0);
  }

  async list(): Promise<AccessKeyRecord[]> {
    return (await this.query({})).sort((a, b) => b.createdAt - a.createdAt || (a.keyId < b.keyId ? 1 : -1));
  }

  async revoke(keyId: string, at: number): Promise<boolean> {
    try {
      await this.options.client.send(new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: { pk: { S: PARTITION }, sk: { S: keyId } },
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :at)',
        ConditionExpression: 'attribute_exists(sk)',
        ExpressionAttributeValues: { ':at': { N: String(at) } },
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async query(by: { keyId?: string; hash?: string }): Promise<AccessKeyRecord[]> {
    const records: AccessKeyRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    const values: Record<string, AttributeValue> = { ':pk': { S: PARTITION } };
    let keyCondition = 'pk = :pk';
    let filter: string | undefined;
    if (by.keyId !== undefined) {
      keyCondition += ' AND sk = :sk';
      values[':sk'] = { S: by.keyId };
    }
    if (by.hash !== undefined) {
      filter = '#hash = :hash';
      values[':hash'] = { S: by.hash };
    }
    do {
      const out = await this.options.client.send(new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: keyCondition,
        ...(filter ? { FilterExpression: filter, ExpressionAttributeNames: { '#hash': 'hash' } } : {}),
        ExpressionAttributeValues: values,
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }));
      for (const item of out.Items ?? []) records.push(fromItem(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return records;
  }
}

function toItem(record: AccessKeyRecord): Record<string, AttributeValue> {
  return {
    pk: { S: PARTITION },
    sk: { S: record.keyId },
    hash: { S: record.hash },
    spaces: { S: JSON.stringify(record.spaces) },
    description: { S: record.description },
    createdAt: { N: String(record.createdAt) },
    ...(record.revokedAt === undefined ? {} : { revokedAt: { N: String(record.revokedAt) } }),
  };
}

function fromItem(item: Record<string, AttributeValue>): AccessKeyRecord {
  const revokedAt = item.revokedAt?.N;
  return {
    keyId: item.sk?.S ?? '',
    hash: item.hash?.S ?? '',
    spaces: JSON.parse(item.spaces?.S ?? '[]') as string[] | '*',
    description: item.description?.S ?? '',
    createdAt: Number(item.createdAt?.N ?? 0),
    ...(revokedAt === undefined ? {} : { revokedAt: Number(revokedAt) }),
  };
}
