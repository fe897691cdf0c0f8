import {
  GetItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import type { Kind } from '../../../core/model/types.js';
import { COUNTER_KEY, isKind, LOG_PARTITION } from './tables.js';

/**
 * One entry of the change log (`pk = "log"`, `version` = its version). It carries the item's image as of that
 * change, so a poller that reads several entries at once still reports every intermediate state in order.
 */
export interface ChangeLogEntry {
  version: number;
  kind: Kind;
  space: string;
  id: string;
  /** The item's JSON after the change; absent for a delete. */
  json?: string;
  /** True when the image did not fit into the entry: the reader takes the item from the registry table. */
  imageOmitted?: boolean;
  /** The registry item's `writeId` after the change (puts), or before it (deletes). */
  writeId?: string;
  deleted: boolean;
  /** ms since the epoch, from the registry item; absent for deletes (the Stream's own time is rounded to seconds). */
  writtenAt?: number;
  /** The Stream record's sequence number, for debugging. */
  sequenceNumber?: string;
}

export type NewChangeLogEntry = Omit<ChangeLogEntry, 'version'>;

export interface AppendOptions {
  retentionSeconds: number;
  now: () => number;
  /**
   * Actions committed in each chunk's transaction, given the chunk (at most 2). The Stream relay uses them to check
   * that it still holds its lease and to move its checkpoint with the entries, atomically. When one of their
   * conditions fails, the append stops with {@link FenceError}.
   */
  fence?: (chunk: readonly NewChangeLogEntry[]) => TransactWriteItem[];
}

/** A condition of {@link AppendOptions.fence} failed: nothing of that chunk was logged. */
export class FenceError extends Error {
  constructor() {
    super('the change log append was fenced off (the Stream relay lost its lease)');
    this.name = 'FenceError';
  }
}

/** A DynamoDB item is at most 400 KB; an image larger than this stays out of its entry. */
export const MAX_IMAGE_BYTES = 350_000;
/** TransactWriteItems takes 100 actions (the counter, the fence's actions, the entries) and at most 4 MB in total. */
const MAX_ACTIONS_PER_TRANSACTION = 100;
const MAX_TRANSACTION_BYTES = 3_500_000;
const MAX_APPEND_ATTEMPTS = 30;

/** The newest version, read with a strongly consistent GetItem; 0 before the first change. */
export async function readCounter(client: DynamoDBClient, table: string): Promise<number> {
  const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: COUNTER_KEY, ConsistentRead: true }));
  const latest = Item?.['latest']?.N;
  return latest === undefined ? 0 : Number(latest);
}

/** The entries with `from <= version <= to`, ascending, read consistently. */
export async function readEntries(
  client: DynamoDBClient,
  table: string,
  from: number,
  to: number,
): Promise<ChangeLogEntry[]> {
  const entries: ChangeLogEntry[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#pk = :pk AND #version BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': 'pk', '#version': 'version' },
        ExpressionAttributeValues: {
          ':pk': { S: LOG_PARTITION },
          ':from': { N: String(from) },
          ':to': { N: String(to) },
        },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const entry = decodeEntry(item);
      if (entry) entries.push(entry);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return entries;
}

/**
 * Appends entries in order, each under the next version. Each chunk is one transaction: the counter moves from the
 * value just read to that value plus the chunk's length, and the chunk's entries are written under the versions
 * in between. The condition on the counter serialises concurrent writers (one per Stream shard), and the
 * transaction means a reader that sees the counter at `n` finds every entry up to `n`: the log has no holes but
 * the ones TTL leaves at its old end. `versions` receives the versions given, in order, as each chunk commits:
 * after a failure, its length is how many entries were logged.
 */
export async function appendEntries(
  client: DynamoDBClient,
  table: string,
  entries: readonly NewChangeLogEntry[],
  options: AppendOptions,
  versions: number[] = [],
): Promise<number[]> {
  const perChunk = MAX_ACTIONS_PER_TRANSACTION - 1 - (options.fence ? 2 : 0);
  for (const chunk of chunks(entries, perChunk)) {
    versions.push(...(await appendChunk(client, table, chunk, options)));
  }
  return versions;
}

async function appendChunk(
  client: DynamoDBClient,
  table: string,
  chunk: readonly NewChangeLogEntry[],
  options: AppendOptions,
): Promise<number[]> {
  const fence = options.fence?.(chunk) ?? [];
  for (let attempt = 1; ; attempt++) {
    const current = await readCounter(client, table);
    const next = current + chunk.length;
    const now = options.now();
    const expiresAt = Math.floor(now / 1000) + options.retentionSeconds;
    const actions: TransactWriteItem[] = [
      {
        Update: {
          TableName: table,
          Key: COUNTER_KEY,
          UpdateExpression: 'SET #latest = :next',
          ConditionExpression:
            current === 0 ? 'attribute_not_exists(#latest) OR #latest = :current' : '#latest = :current',
          ExpressionAttributeNames: { '#latest': 'latest' },
          ExpressionAttributeValues: { ':next': { N: String(next) }, ':current': { N: String(current) } },
        },
      },
      ...fence,
      ...chunk.map((entry, index) => ({
        Put: { TableName: table, Item: encodeEntry({ ...entry, version: current + 1 + index }, now, expiresAt) },
      })),
    ];
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: actions }));
      return chunk.map((_, index) => current + 1 + index);
    } catch (error) {
      // Another writer moved the counter (ConditionalCheckFailed) or was committing (TransactionConflict): retry.
      if (!(error instanceof TransactionCanceledException) || attempt >= MAX_APPEND_ATTEMPTS) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (fence.some((_, index) => reasons[1 + index]?.Code === 'ConditionalCheckFailed')) throw new FenceError();
      if (!reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict')) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(500, 10 * 2 ** attempt)));
    }
  }
}

function* chunks(entries: readonly NewChangeLogEntry[], maxEntries: number): Generator<NewChangeLogEntry[]> {
  let chunk: NewChangeLogEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = (entry.json?.length ?? 0) * 3 + 1024;
    if (chunk.length > 0 && (chunk.length >= maxEntries || bytes + size > MAX_TRANSACTION_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(entry);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

function encodeEntry(entry: ChangeLogEntry, loggedAt: number, expiresAt: number): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    pk: { S: LOG_PARTITION },
    version: { N: String(entry.version) },
    kind: { S: entry.kind },
    space: { S: entry.space },
    id: { S: entry.id },
    deleted: { BOOL: entry.deleted },
    loggedAt: { N: String(loggedAt) },
    expiresAt: { N: String(expiresAt) },
  };
  if (entry.json !== undefined) item['json'] = { S: entry.json };
  if (entry.imageOmitted) item['imageOmitted'] = { BOOL: true };
  if (entry.writeId !== undefined) item['writeId'] = { S: entry.writeId };
  if (entry.writtenAt !== undefined) item['writtenAt'] = { N: String(entry.writtenAt) };
  if (entry.sequenceNumber !== undefined) item['sequenceNumber'] = { S: entry.sequenceNumber };
  return item;
}

function decodeEntry(item: Record<string, AttributeValue>): ChangeLogEntry | undefined {
  const kind = item['kind']?.S;
  const space = item['space']?.S;
  const id = item['id']?.S;
  const version = item['version']?.N;
  if (kind === undefined || !isKind(kind) || space === undefined || id === undefined || version === undefined) {
    return undefined;
  }
  const entry: ChangeLogEntry = { version: Number(version), kind, space, id, deleted: item['deleted']?.BOOL === true };
  const json = item['json']?.S;
  if (json !== undefined) entry.json = json;
  if (item['imageOmitted']?.BOOL === true) entry.imageOmitted = true;
  const writeId = item['writeId']?.S;
  if (writeId !== undefined) entry.writeId = writeId;
  const writtenAt = item['writtenAt']?.N;
  if (writtenAt !== undefined) entry.writtenAt = Number(writtenAt);
  const sequenceNumber = item['sequenceNumber']?.S;
  if (sequenceNumber !== undefined) entry.sequenceNumber = sequenceNumber;
  return entry;
}
