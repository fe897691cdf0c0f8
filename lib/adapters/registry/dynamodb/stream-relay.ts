import { randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  GetItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  ExpiredIteratorException,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ResourceNotFoundException,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import { setTimeout as sleep } from 'node:timers/promises';
import { FenceError, type NewChangeLogEntry } from './change-log.js';
import { applyStreamRecords } from './invalidation.js';
import { DEFAULT_CHANGE_RETENTION_SECONDS, DEFAULT_TABLE_PREFIX, registryTableNames } from './tables.js';

export interface StreamRelayOptions {
  client: DynamoDBClient;
  /** Reads the registry table's Stream (same endpoint and region as `client`). Its owner destroys it. */
  streams: DynamoDBStreamsClient;
  /** @default 'event-gateway-' */
  tablePrefix?: string;
  /**
   * How long the lease lasts without renewal; the holder renews it every third of this. Another relay takes over
   * at most this long after the holder stopped renewing (crash, network partition).
   * @default 10000
   */
  leaseMs?: number;
  /** Pause after a round in which no shard had records. @default 250 */
  idleMs?: number;
  /** Told about failed calls; the relay retries. */
  onError?: (error: unknown) => void;
  /** Told when this relay takes or loses the lease. */
  onLeaseChange?: (holding: boolean) => void;
  /** @default Date.now */
  now?: () => number;
}

export const DEFAULT_RELAY_LEASE_MS = 10_000;
export const DEFAULT_RELAY_IDLE_MS = 250;

/** The lease item and the checkpoints live in the change log's table: it has no Stream, so they trigger nothing. */
const LEASE_KEY = { pk: { S: 'relay#lease' }, version: { N: '0' } } as const;
const checkpointKey = (shardId: string) => ({ pk: { S: `relay#checkpoint#${shardId}` }, version: { N: '0' } });
/** How often the shard list is read again, to find the children of closed shards. */
const DESCRIBE_EVERY_MS = 5_000;
const MAX_RECORDS_PER_READ = 1000;

interface ShardState {
  iterator: string | undefined;
  /** The last record read (and logged, or skipped as not a config item). */
  lastSequenceNumber: string | undefined;
  closed: boolean;
}

/**
 * Relays the registry table's Stream into the change log, for deployments without the invalidation Lambda (any
 * gateway that serves the config API on `--store dynamodb`). The records go through {@link applyStreamRecords},
 * the Lambda's own mapping.
 *
 * Only the holder of a lease reads the Stream (AWS allows 2 readers per shard). The lease is an item with a holder
 * and an expiry, taken with a conditional write when it is free or expired, renewed by the holder. Each append to
 * the log also checks in its transaction that this relay still holds the lease and moves the shard's checkpoint
 * (the last sequence number logged): a relay that lost its lease cannot log anything more, and the next holder
 * resumes every shard right after its checkpoint, so a takeover neither loses nor repeats a change.
 */
export class StreamRelay {
  readonly #client: DynamoDBClient;
  readonly #streams: DynamoDBStreamsClient;
  readonly #tablePrefix: string;
  readonly #tables: ReturnType<typeof registryTableNames>;
  readonly #leaseMs: number;
  readonly #idleMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #onLeaseChange: (holding: boolean) => void;
  readonly #now: () => number;
  readonly #holder = randomBytes(9).toString('base64url');
  readonly #stopping = new AbortController();
  #loop: Promise<void> | undefined;
  #holding = false;
  #renewedAt = 0;
  #streamArn: string | undefined;
  #shards = new Map<string, ShardState>();
  #describedAt = 0;

  constructor(options: StreamRelayOptions) {
    this.#client = options.client;
    this.#streams = options.streams;
    this.#tablePrefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
    this.#tables = registryTableNames(this.#tablePrefix);
    this.#leaseMs = options.leaseMs ?? DEFAULT_RELAY_LEASE_MS;
    this.#idleMs = options.idleMs ?? DEFAULT_RELAY_IDLE_MS;
    this.#onError = options.onError ?? (() => undefined);
    this.#onLeaseChange = options.onLeaseChange ?? (() => undefined);
    this.#now = options.now ?? Date.now;
  }

  /** Whether this relay holds the lease now. */
  get holding(): boolean {
    return this.#holding;
  }

  start(): this {
    this.#loop ??= this.#run();
    return this;
  }

  /** Stops reading and gives the lease up, so that another relay takes over at once. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
    if (this.#holding) {
      this.#holding = false;
      await this.#release().catch(() => undefined);
    }
  }

  async #run(): Promise<void> {
    const signal = this.#stopping.signal;
    const renewing = this.#renewWhileHolding();
    while (!signal.aborted) {
      let busy = false;
      try {
        busy = await this.#round();
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof FenceError) this.#lose();
        else this.#report(error);
      }
      if (!busy) await sleep(this.#holding ? this.#idleMs : this.#leaseMs / 3, undefined, { signal }).catch(() => undefined);
    }
    await renewing;
  }

  /** Renews the lease every third of its length, apart from the reading, so that a slow round cannot let it lapse. */
  async #renewWhileHolding(): Promise<void> {
    const signal = this.#stopping.signal;
    while (!signal.aborted) {
      await sleep(this.#leaseMs / 3, undefined, { signal }).catch(() => undefined);
      if (signal.aborted || !this.#holding || this.#now() - this.#renewedAt < this.#leaseMs / 3) continue;
      try {
        if (!(await this.#takeLease())) this.#lose();
      } catch (error) {
        // Not renewed this time; the lease still runs, and the fence stops any append once another holds it.
        if (!signal.aborted) this.#report(error);
      }
    }
  }

  /** One pass: take the lease if not held, then read every shard once. Returns whether records came. */
  async #round(): Promise<boolean> {
    if (!this.#holding) {
      if (!(await this.#takeLease())) return false;
      this.#holding = true;
      this.#shards.clear();
      this.#describedAt = 0;
      this.#onLeaseChange(true);
    }
    if (this.#now() - this.#describedAt >= DESCRIBE_EVERY_MS) await this.#describe();
    let busy = false;
    for (const [shardId, state] of this.#shards) {
      if (this.#stopping.signal.aborted || !this.#holding) break;
      if (await this.#pollShard(shardId, state)) busy = true;
    }
    return busy;
  }

  #lose(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.#shards.clear();
    this.#onLeaseChange(false);
  }

  /** Takes the lease if it is free, expired or already ours; returns whether we hold it now. */
  async #takeLease(): Promise<boolean> {
    const now = this.#now();
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tables.changes,
          Key: LEASE_KEY,
          UpdateExpression: 'SET #holder = :me, #until = :until',
          ConditionExpression: 'attribute_not_exists(#holder) OR #holder = :me OR #until < :now',
          ExpressionAttributeNames: { '#holder': 'holder', '#until': 'leaseUntil' },
          ExpressionAttributeValues: {
            ':me': { S: this.#holder },
            ':until': { N: String(now + this.#leaseMs) },
            ':now': { N: String(now) },
          },
        }),
      );
      this.#renewedAt = now;
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #release(): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#tables.changes,
          Key: LEASE_KEY,
          UpdateExpression: 'SET #until = :zero',
          ConditionExpression: '#holder = :me',
          ExpressionAttributeNames: { '#holder': 'holder', '#until': 'leaseUntil' },
          ExpressionAttributeValues: { ':me': { S: this.#holder }, ':zero': { N: '0' } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Lists the Stream's shards and starts reading new ones: after their checkpoint, or from their start. */
  async #describe(): Promise<void> {
    if (this.#streamArn === undefined) {
      const { Table } = await this.#client.send(new DescribeTableCommand({ TableName: this.#tables.registry }));
      if (!Table?.LatestStreamArn) throw new Error(`table ${this.#tables.registry} has no Stream: enable NEW_AND_OLD_IMAGES`);
      this.#streamArn = Table.LatestStreamArn;
    }
    const found: Shard[] = [];
    let start: string | undefined;
    try {
      do {
        const { StreamDescription } = await this.#streams.send(
          new DescribeStreamCommand({ StreamArn: this.#streamArn, ExclusiveStartShardId: start }),
        );
        found.push(...(StreamDescription?.Shards ?? []));
        start = StreamDescription?.LastEvaluatedShardId;
      } while (start);
    } catch (error) {
      // The table (and its Stream) was recreated: find the new Stream next time.
      if (error instanceof ResourceNotFoundException) this.#streamArn = undefined;
      throw error;
    }
    const listed = new Set(found.map((shard) => shard.ShardId!));
    for (const shardId of this.#shards.keys()) if (!listed.has(shardId)) this.#shards.delete(shardId);
    for (const shard of found) {
      const shardId = shard.ShardId!;
      if (this.#shards.has(shardId)) continue;
      // A child shard is read once its parent is finished, so each item's records stay in order.
      const parent = shard.ParentShardId === undefined ? undefined : this.#shards.get(shard.ParentShardId);
      if (parent && !parent.closed) continue;
      const checkpoint = await this.#readCheckpoint(shardId);
      this.#shards.set(shardId, {
        iterator: await this.#iterator(shardId, checkpoint),
        lastSequenceNumber: checkpoint,
        closed: false,
      });
    }
    this.#describedAt = this.#now();
  }

  async #readCheckpoint(shardId: string): Promise<string | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({ TableName: this.#tables.changes, Key: checkpointKey(shardId), ConsistentRead: true }),
    );
    return Item?.['sequenceNumber']?.S;
  }

  async #iterator(shardId: string, after: string | undefined): Promise<string | undefined> {
    const type: ShardIteratorType = after === undefined ? 'TRIM_HORIZON' : 'AFTER_SEQUENCE_NUMBER';
    const { ShardIterator } = await this.#streams.send(
      new GetShardIteratorCommand({ StreamArn: this.#streamArn, ShardId: shardId, ShardIteratorType: type, SequenceNumber: after }),
    );
    return ShardIterator;
  }

  /** Reads one batch of a shard and logs it; returns whether there were records. */
  async #pollShard(shardId: string, state: ShardState): Promise<boolean> {
    if (state.iterator === undefined) return false;
    let output;
    try {
      output = await this.#streams.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: MAX_RECORDS_PER_READ }));
    } catch (error) {
      // An iterator lasts 15 minutes. DynamoDB Local also answers a fresh TRIM_HORIZON iterator with
      // TrimmedDataAccessException now and then while other clients use it: start again from where we were.
      const trimmed = (error as { name?: string }).name === 'TrimmedDataAccessException';
      if (!(error instanceof ExpiredIteratorException) && !trimmed) throw error;
      state.iterator = await this.#iterator(shardId, state.lastSequenceNumber);
      return true;
    }
    const records = output.Records ?? [];
    if (records.length > 0) {
      // Throws on failure: the iterator stays where it is and the next round reads the same records again.
      await applyStreamRecords(records, {
        client: this.#client,
        tablePrefix: this.#tablePrefix,
        fence: (chunk) => this.#fence(shardId, chunk),
        // Logged by its key alone and told, so one bad record never stalls the relay (as in the Lambda).
        onRefused: (_record, error) => this.#report(error),
      });
      state.lastSequenceNumber = records.at(-1)?.dynamodb?.SequenceNumber ?? state.lastSequenceNumber;
    }
    state.iterator = output.NextShardIterator;
    if (state.iterator === undefined) state.closed = true;
    return records.length > 0;
  }

  /** In each append's transaction: we still hold the lease, and the shard's checkpoint moves to the chunk's end. */
  #fence(shardId: string, chunk: readonly NewChangeLogEntry[]): TransactWriteItem[] {
    const table = this.#tables.changes;
    const actions: TransactWriteItem[] = [
      {
        ConditionCheck: {
          TableName: table,
          Key: LEASE_KEY,
          ConditionExpression: '#holder = :me',
          ExpressionAttributeNames: { '#holder': 'holder' },
          ExpressionAttributeValues: { ':me': { S: this.#holder } },
        },
      },
    ];
    const sequenceNumber = chunk.at(-1)?.sequenceNumber;
    if (sequenceNumber !== undefined) {
      // Checkpoints of long-closed shards expire with the log's entries (a Stream keeps records 24 hours).
      const expiresAt = Math.floor(this.#now() / 1000) + 2 * DEFAULT_CHANGE_RETENTION_SECONDS;
      actions.push({
        Put: {
          TableName: table,
          Item: { ...checkpointKey(shardId), sequenceNumber: { S: sequenceNumber }, expiresAt: { N: String(expiresAt) } },
        },
      });
    }
    return actions;
  }

  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch {
      // Nowhere left to report to; the next round retries anyway.
    }
  }
}
