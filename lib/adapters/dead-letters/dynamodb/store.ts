import { decodeDeadLetterCursor, encodeDeadLetterCursor } from '../cursor.js';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceInUseException,
  ScanCommand,
  waitUntilTableExists,
  type AttributeValue,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import {
  type DeadLetterFilter,
  type DeadLetterPage,
  type DeadLetterRecord,
  type DeadLetterStore,
} from '../../../ports/dead-letter-store.js';
import type { NewDeliveryItem } from '../../../ports/delivery-queue.js';

/** The index `list` queries: partition key `space`, sort key `deadKey`, every attribute projected. */
export const DEAD_LETTER_INDEX = 'byDeadAt';

/** DynamoDB's item size limit (400 KB). */
const MAX_ITEM_BYTES = 400 * 1024;
/** Decimal digits of Number.MAX_SAFE_INTEGER: deadAt padded to this width sorts as a string like a number. */
const DEAD_AT_DIGITS = 16;
/** Items read per Query call when a filter may discard most of them. */
const FILTERED_READ_LIMIT = 200;
const BATCH_WRITE_MAX = 25;
const UNPROCESSED_RETRIES = 8;

/**
 * The `<prefix>deadletters` table (docs/architecture.md#on-aws): one item per dead letter.
 *
 * | attribute | type | role |
 * |---|---|---|
 * | `space` | S | partition key of the table and of {@link DEAD_LETTER_INDEX} |
 * | `id` | S | sort key of the table (the dead letter's id, `item.id`) |
 * | `deadKey` | S | sort key of the index: deadAt as 16 zero-padded digits, `#`, id; orders by (deadAt, id) |
 * | `subscriptionId`, `functionId` | S | what `list` filters on |
 * | `event` | S | `item.event` as it is, so a 256 KiB body is not escaped a second time inside `record` |
 * | `record` | S | the rest of the {@link DeadLetterRecord} as JSON |
 *
 * On-demand billing. The definition is exported so the CDK stack can build the same table.
 */
export function deadLetterTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'space', AttributeType: 'S' },
      { AttributeName: 'id', AttributeType: 'S' },
      { AttributeName: 'deadKey', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'space', KeyType: 'HASH' },
      { AttributeName: 'id', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: DEAD_LETTER_INDEX,
        KeySchema: [
          { AttributeName: 'space', KeyType: 'HASH' },
          { AttributeName: 'deadKey', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/**
 * Creates the dead-letter table unless it exists, and waits until it is active (tests and local runs; on AWS the
 * stack creates it). Throws when a table of that name exists without {@link DEAD_LETTER_INDEX}.
 */
export async function ensureDeadLetterTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(deadLetterTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: tableName });
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (!Table?.GlobalSecondaryIndexes?.some((index) => index.IndexName === DEAD_LETTER_INDEX)) {
    throw new Error(`DynamoDB table "${tableName}" has no index "${DEAD_LETTER_INDEX}": it is not a dead-letter table`);
  }
}

export interface DynamoDeadLetterStoreOptions {
  client: DynamoDBClient;
  /** The `<prefix>deadletters` table, laid out as {@link deadLetterTableInput} says. */
  tableName: string;
}

type Item = Record<string, AttributeValue>;

/**
 * The AWS {@link DeadLetterStore}: a DynamoDB table of its own, apart from the registry table so that dead
 * letters never touch its Stream (docs/compatibility.md#dead-letters).
 *
 * - `get` and `delete` address the item by (space, id); `get` reads strongly consistently.
 * - `list` queries {@link DEAD_LETTER_INDEX} backwards, so a page is one key range of the space's partition,
 *   newest first; the cursor is the (deadAt, id) of the page's last record, base64url-encoded (the SQLite
 *   adapter's format), and the next page starts strictly below it, so writes and deletes never shift pages.
 *   Filters are FilterExpressions: DynamoDB reads (and bills) the space's records it skips. The index is
 *   eventually consistent: a record can show up in `list` a moment after `put` resolved.
 * - `deleteMatching` queries the table itself (strongly consistent) for the matching keys and deletes them
 *   with BatchWriteItem; it returns how many it found and deleted.
 * - `count` is a `Scan` with `Select: COUNT` over the whole table: it reads (and bills) every record, up to
 *   400 KB each, on every call. Fine for a test or a small table; do not point a frequent metrics scrape at it.
 */
export class DynamoDeadLetterStore implements DeadLetterStore {
  readonly #client: DynamoDBClient;
  readonly #tableName: string;
  #closed = false;

  constructor(options: DynamoDeadLetterStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  /** `deadAt` must be a non-negative integer (ms): it is the sort key. */
  async put(record: DeadLetterRecord): Promise<void> {
    this.#assertOpen();
    if (!Number.isSafeInteger(record.deadAt) || record.deadAt < 0) {
      throw new TypeError('dead letter: deadAt must be a non-negative integer (ms)');
    }
    const { item } = record;
    const { event, ...itemRest } = item;
    const attributes: Item = {
      space: { S: item.space },
      id: { S: item.id },
      deadKey: { S: deadKeyOf(record.deadAt, item.id) },
      subscriptionId: { S: item.subscriptionId },
      functionId: { S: item.functionId },
      event: { S: event },
      record: { S: JSON.stringify({ ...record, item: itemRest }) },
    };
    const bytes = itemBytes(attributes);
    if (bytes > MAX_ITEM_BYTES) {
      throw new RangeError(
        `dead letter "${item.id}" is ${bytes} bytes as a DynamoDB item, over DynamoDB's limit of ${MAX_ITEM_BYTES} bytes`,
      );
    }
    await this.#client.send(new PutItemCommand({ TableName: this.#tableName, Item: attributes }));
  }

  async get(space: string, deadLetterId: string): Promise<DeadLetterRecord | undefined> {
    this.#assertOpen();
    const { Item } = await this.#client.send(
      new GetItemCommand({ TableName: this.#tableName, Key: keyOf(space, deadLetterId), ConsistentRead: true }),
    );
    return Item ? toRecord(Item) : undefined;
  }

  /** `limit` is a positive integer (the API caps it). An empty cursor is invalid like any other it did not issue. */
  async list(space: string, filter: DeadLetterFilter, page: { limit: number; cursor?: string }): Promise<DeadLetterPage> {
    this.#assertOpen();
    if (!Number.isSafeInteger(page.limit) || page.limit < 1) {
      throw new RangeError('dead letter list: limit must be a positive integer');
    }
    const after = page.cursor === undefined ? undefined : decodeDeadLetterCursor(page.cursor);
    const names: Record<string, string> = { '#space': 'space' };
    const values: Item = { ':space': { S: space } };
    let condition = '#space = :space';
    if (after) {
      condition += ' AND #deadKey < :after';
      names['#deadKey'] = 'deadKey';
      values[':after'] = { S: deadKeyOf(...after) };
    }
    const filterExpression = filterExpressionOf(filter, names, values);
    // One record more than asked tells whether another page exists.
    const wanted = page.limit + 1;
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const output = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: DEAD_LETTER_INDEX,
          KeyConditionExpression: condition,
          FilterExpression: filterExpression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: filterExpression === undefined ? wanted - items.length : Math.max(wanted - items.length, FILTERED_READ_LIMIT),
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(output.Items ?? []));
      startKey = output.LastEvaluatedKey;
    } while (items.length < wanted && startKey !== undefined);
    const more = items.length > page.limit;
    const records = items.slice(0, page.limit).map(toRecord);
    const last = records[records.length - 1];
    return more && last ? { records, nextCursor: encodeDeadLetterCursor([last.deadAt, last.item.id]) } : { records };
  }

  async delete(space: string, deadLetterId: string): Promise<boolean> {
    this.#assertOpen();
    const { Attributes } = await this.#client.send(
      new DeleteItemCommand({
        TableName: this.#tableName,
        Key: keyOf(space, deadLetterId),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes !== undefined;
  }

  /** An empty filter matches every record of the space. */
  async deleteMatching(space: string, filter: DeadLetterFilter): Promise<number> {
    this.#assertOpen();
    const names: Record<string, string> = { '#space': 'space', '#id': 'id' };
    const values: Item = { ':space': { S: space } };
    const filterExpression = filterExpressionOf(filter, names, values);
    let deleted = 0;
    let startKey: Item | undefined;
    do {
      const output = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: '#space = :space',
          FilterExpression: filterExpression,
          ProjectionExpression: '#space, #id',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      const keys = output.Items ?? [];
      for (let start = 0; start < keys.length; start += BATCH_WRITE_MAX) {
        await this.#deleteKeys(keys.slice(start, start + BATCH_WRITE_MAX));
      }
      deleted += keys.length;
      startKey = output.LastEvaluatedKey;
    } while (startKey !== undefined);
    return deleted;
  }

  /** See the class notes: a full Scan per call. */
  async count(): Promise<number> {
    this.#assertOpen();
    let total = 0;
    let startKey: Item | undefined;
    do {
      const output = await this.#client.send(
        new ScanCommand({ TableName: this.#tableName, Select: 'COUNT', ExclusiveStartKey: startKey }),
      );
      total += output.Count ?? 0;
      startKey = output.LastEvaluatedKey;
    } while (startKey !== undefined);
    return total;
  }

  /** Later calls reject. The client belongs to the caller and stays open. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  async #deleteKeys(keys: Item[]): Promise<void> {
    let requests: WriteRequest[] = keys.map((key) => ({ DeleteRequest: { Key: key } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > UNPROCESSED_RETRIES) {
        throw new Error(`DynamoDB left ${requests.length} dead-letter deletes unprocessed after ${attempt} attempts`);
      }
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 1)));
      const { UnprocessedItems } = await this.#client.send(
        new BatchWriteItemCommand({ RequestItems: { [this.#tableName]: requests } }),
      );
      requests = UnprocessedItems?.[this.#tableName] ?? [];
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the dead-letter store is closed');
  }
}

function keyOf(space: string, id: string): Item {
  return { space: { S: space }, id: { S: id } };
}

function deadKeyOf(deadAt: number, id: string): string {
  return `${String(deadAt).padStart(DEAD_AT_DIGITS, '0')}#${id}`;
}

/** The FilterExpression for the set filters (adding their names and values), or undefined for none. */
function filterExpressionOf(filter: DeadLetterFilter, names: Record<string, string>, values: Item): string | undefined {
  const clauses: string[] = [];
  if (filter.subscriptionId !== undefined) {
    names['#subscriptionId'] = 'subscriptionId';
    values[':subscriptionId'] = { S: filter.subscriptionId };
    clauses.push('#subscriptionId = :subscriptionId');
  }
  if (filter.functionId !== undefined) {
    names['#functionId'] = 'functionId';
    values[':functionId'] = { S: filter.functionId };
    clauses.push('#functionId = :functionId');
  }
  return clauses.length === 0 ? undefined : clauses.join(' AND ');
}

function toRecord(item: Item): DeadLetterRecord {
  const stored = JSON.parse(item.record?.S ?? 'null') as Omit<DeadLetterRecord, 'item'> & {
    item: Omit<NewDeliveryItem, 'event'>;
  };
  return { ...stored, item: { ...stored.item, event: item.event?.S ?? '' } };
}

/** DynamoDB's size of an item of string attributes: each name plus each value, in UTF-8. */
function itemBytes(item: Item): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) bytes += Buffer.byteLength(name) + Buffer.byteLength(value.S ?? '');
  return bytes;
}

