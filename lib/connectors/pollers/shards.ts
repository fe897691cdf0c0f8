import type { SourceRecord, StartingPosition } from '../../core/connections/index.js';
import { startingPositionOf } from '../../core/connections/index.js';
import { SHARD_END } from '../../ports/checkpoint-store.js';
import { Backoff, pause, sourceError } from './support.js';
import type { PollerContext } from './types.js';

export interface ShardInfo {
  shardId: string;
  parentShardId?: string;
}

export type IteratorPosition = { type: StartingPosition } | { type: 'AFTER_SEQUENCE_NUMBER'; sequence: string };

export interface ShardBatch {
  /** In shard order; `sequence` is what a checkpoint stores. */
  records: Array<SourceRecord & { sequence: string }>;
  /** Absent once a closed shard is read to its end. */
  next?: string;
  /** How far behind the shard's newest record this batch is, where the source says. */
  lagMs?: number;
}

/** A sharded stream (Kinesis, DynamoDB Streams), as {@link readShardedStream} reads it. */
export interface ShardedStream {
  /** The stream's ARN (the events' `source`) and its shards. */
  describe(): Promise<{ arn: string; shards: ShardInfo[] }>;
  iterator(shardId: string, position: IteratorPosition): Promise<string | undefined>;
  read(shardId: string, arn: string, iterator: string): Promise<ShardBatch>;
  /** An iterator that timed out (they live 5 minutes): get a new one from the checkpoint. */
  isExpiredIterator(error: unknown): boolean;
  /** The checkpoint is older than the stream's retention: read from the oldest record left. */
  isTrimmed(error: unknown): boolean;
}

/**
 * Reads every shard of a stream, each in its own loop, with one checkpoint per shard: the sequence number of the last
 * record the gateway accepted, written only after acceptance. The shard list is read again every
 * `shardRefreshMs`: a new shard starts once its parent is read to its end, from the parent's last record on
 * (TRIM_HORIZON), so a reshard loses nothing.
 */
export async function readShardedStream(context: PollerContext, stream: ShardedStream): Promise<void> {
  const { signal } = context;
  const running = new Map<string, Promise<void>>();
  const finished = new Set<string>();
  /** Shards seen in any listing: a shard whose parent is one of them starts at TRIM_HORIZON. */
  const seen = new Set<string>();
  const backoff = new Backoff(context.maxBackoffMs ?? 30_000);
  while (!signal.aborted) {
    let listing: { arn: string; shards: ShardInfo[] };
    try {
      listing = await stream.describe();
      backoff.reset();
    } catch (error) {
      if (signal.aborted) break;
      sourceError(context, error, 'reading the stream description failed; retrying');
      await pause(backoff.take(), signal);
      continue;
    }
    const listed = new Set(listing.shards.map((s) => s.shardId));
    for (const shard of listing.shards) {
      if (running.has(shard.shardId) || finished.has(shard.shardId)) continue;
      const parent = shard.parentShardId;
      if (parent !== undefined && listed.has(parent) && !finished.has(parent)) continue; // the parent first
      const start: StartingPosition = parent !== undefined && seen.has(parent) ? 'TRIM_HORIZON' : startingPositionOf(context.connection);
      const reading = readShard(context, stream, listing.arn, shard.shardId, start)
        .then(() => {
          if (!signal.aborted) finished.add(shard.shardId);
        })
        .finally(() => running.delete(shard.shardId));
      running.set(shard.shardId, reading);
    }
    for (const id of listed) seen.add(id);
    if (!(await pause(context.shardRefreshMs ?? 10_000, signal))) break;
  }
  await Promise.allSettled(running.values());
}

async function readShard(context: PollerContext, stream: ShardedStream, arn: string, shardId: string, start: StartingPosition): Promise<void> {
  const { connection, checkpoints, intake, metrics, signal } = context;
  const { space, connectionId } = connection;
  const backoff = new Backoff(context.maxBackoffMs ?? 30_000);
  let checkpoint: string | undefined;
  for (;;) {
    try {
      checkpoint = await checkpoints.get(space, connectionId, shardId);
      break;
    } catch (error) {
      sourceError(context, error, 'reading a checkpoint failed; retrying', { shardId });
      if (!(await pause(backoff.take(), signal))) return;
    }
  }
  if (checkpoint === SHARD_END) return;
  let iterator: string | undefined;
  let trimmed = false;
  while (!signal.aborted) {
    try {
      if (iterator === undefined) {
        const position: IteratorPosition =
          checkpoint !== undefined && !trimmed ? { type: 'AFTER_SEQUENCE_NUMBER', sequence: checkpoint } : { type: trimmed ? 'TRIM_HORIZON' : start };
        iterator = await stream.iterator(shardId, position);
        if (iterator === undefined) throw new Error(`no shard iterator for ${shardId}`);
      }
      const batch = await stream.read(shardId, arn, iterator);
      if (batch.lagMs !== undefined) metrics.lag(space, connectionId, shardId, batch.lagMs / 1000);
      const last = batch.records.at(-1);
      if (last !== undefined) {
        await intake.handle(connection, batch.records, signal);
        await checkpoints.put(space, connectionId, shardId, last.sequence);
        checkpoint = last.sequence;
        trimmed = false;
      }
      if (batch.next === undefined) {
        await checkpoints.put(space, connectionId, shardId, SHARD_END);
        return;
      }
      iterator = batch.next;
      backoff.reset();
      if (last === undefined && !((batch.lagMs ?? 0) > 0) && !(await pause(context.idleMs ?? 1000, signal))) return;
    } catch (error) {
      if (signal.aborted) return;
      iterator = undefined;
      if (stream.isExpiredIterator(error)) continue;
      if (stream.isTrimmed(error)) {
        trimmed = true;
        sourceError(context, error, 'the checkpoint is older than the stream retention; reading from the oldest record left', { shardId });
        continue;
      }
      sourceError(context, error, 'reading a shard failed; retrying from its checkpoint', { shardId });
      if (!(await pause(backoff.take(), signal))) return;
    }
  }
}
