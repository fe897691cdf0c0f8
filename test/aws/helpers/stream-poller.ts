/**
 * Stands in for the Lambda event source mapping of the registry table's Stream (no emulator triggers Lambdas,
 * docs/architecture.md#testing-without-aws): reads the Stream on DynamoDB Local and hands each batch to `applyStreamRecords`, shard by shard,
 * retrying a batch that fails as Lambda would.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyStreamRecords, registryTableNames } from '../../../lib/adapters/registry/dynamodb/index.js';
import { awsClientConfig } from '../helpers.js';

export interface StreamPollerOptions {
  endpoint: string;
  tablePrefix: string;
  /**
   * Where to start in the shards open at start: TRIM_HORIZON also takes what was written before.
   * @default 'TRIM_HORIZON'
   */
  from?: 'TRIM_HORIZON' | 'LATEST';
  /** Pause when no shard had records. @default 20 */
  idleMs?: number;
  /** Told about failed calls; the poller retries. @default ignores them */
  onError?: (error: unknown) => void;
}

export interface StreamPoller {
  stop(): Promise<void>;
}

/** How often the shard list is read again, to pick up the children of closed shards. */
const DESCRIBE_EVERY_MS = 1000;

interface ShardState {
  iterator: string | undefined;
  lastSequenceNumber: string | undefined;
  closed: boolean;
}

export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const dynamodb = new DynamoDBClient(awsClientConfig(options.endpoint));
  const streams = new DynamoDBStreamsClient(awsClientConfig(options.endpoint));
  const { registry } = registryTableNames(options.tablePrefix);
  const idleMs = options.idleMs ?? 20;
  const report = options.onError ?? (() => undefined);

  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: registry }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${registry} has no Stream`);

  const shards = new Map<string, ShardState>();
  let describedAt = 0;
  let firstDescribe = true;

  async function describe(): Promise<void> {
    const found: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }),
      );
      found.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    for (const shard of found) {
      const shardId = shard.ShardId!;
      if (shards.has(shardId)) continue;
      // A child shard is read from its start once its parent is finished, so records stay in order per item.
      const parent = shard.ParentShardId === undefined ? undefined : shards.get(shard.ParentShardId);
      if (parent && !parent.closed) continue;
      const type: ShardIteratorType = firstDescribe ? (options.from ?? 'TRIM_HORIZON') : 'TRIM_HORIZON';
      shards.set(shardId, { iterator: await iteratorFor(shardId, type), lastSequenceNumber: undefined, closed: false });
    }
    firstDescribe = false;
    describedAt = Date.now();
  }

  async function iteratorFor(shardId: string, type: ShardIteratorType, after?: string): Promise<string | undefined> {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type, SequenceNumber: after }),
    );
    return ShardIterator;
  }

  /** Reads one batch from a shard and applies it; returns whether there were records. */
  async function pollShard(shardId: string, state: ShardState): Promise<boolean> {
    if (state.iterator === undefined) return false;
    let output;
    try {
      output = await streams.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: 100 }));
    } catch (error) {
      // DynamoDB Local sometimes answers a fresh TRIM_HORIZON iterator with TrimmedDataAccessException when other
      // clients use the server at the same time: take a new iterator from where we were, as for an expired one.
      const trimmed = (error as { name?: string }).name === 'TrimmedDataAccessException';
      if (!(error instanceof ExpiredIteratorException) && !trimmed) throw error;
      state.iterator = state.lastSequenceNumber
        ? await iteratorFor(shardId, 'AFTER_SEQUENCE_NUMBER', state.lastSequenceNumber)
        : await iteratorFor(shardId, 'TRIM_HORIZON');
      return true;
    }
    const records = output.Records ?? [];
    if (records.length > 0) {
      // Throws on failure: the iterator stays where it is, so the same batch is retried, as Lambda does.
      await applyStreamRecords(records, { client: dynamodb, tablePrefix: options.tablePrefix });
      state.lastSequenceNumber = records.at(-1)?.dynamodb?.SequenceNumber ?? state.lastSequenceNumber;
    }
    state.iterator = output.NextShardIterator;
    if (state.iterator === undefined) state.closed = true;
    return records.length > 0;
  }

  await describe();
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let busy = false;
      try {
        if (Date.now() - describedAt > DESCRIBE_EVERY_MS) await describe();
        for (const [shardId, state] of shards) {
          if (stopping.signal.aborted) break;
          if (await pollShard(shardId, state)) busy = true;
        }
      } catch (error) {
        if (stopping.signal.aborted) break;
        report(error);
      }
      if (!busy) await sleep(idleMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
      dynamodb.destroy();
      streams.destroy();
    },
  };
}
