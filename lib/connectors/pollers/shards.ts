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
  const since = await latestSince(context);
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
      const start: StartingPosition = (parent !== undefined && seen.has(parent)) || since !== undefined ? 'TRIM_HORIZON' : startingPositionOf(context.connection);
      const reading = readShard(context, stream, listing.arn, shard.shardId, start, since)
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

/** Checkpoint entry (beside the shards') of the time a LATEST connection first started reading. */
const LATEST_SINCE = '$latest-since';
/** Record times are the source's clock: a record this much older than the start time may still be read again. */
const CLOCK_MARGIN_MS = 60_000;

/**
 * LATEST applies to a connection's first start only. Later starts read a shard that has no checkpoint yet (nothing of
 * it was accepted before a stop or crash) from its oldest record, taking records from the first start's time on
 * (less a margin for clocks): LATEST there would skip what the shard received while the gateway was down. Answers
 * that time in ms on a later start, undefined otherwise.
 */
async function latestSince(context: PollerContext): Promise<number | undefined> {
  if (startingPositionOf(context.connection) !== 'LATEST') return undefined;
  const { space, connectionId } = context.connection;
  const stored = await context.checkpoints.get(space, connectionId, LATEST_SINCE);
  if (stored !== undefined) return Number(stored) - CLOCK_MARGIN_MS;
  await context.checkpoints.put(space, connectionId, LATEST_SINCE, String(Date.now()));
  return undefined;
}

async function readShard(
  context: PollerContext,
  stream: ShardedStream,
  arn: string,
  shardId: string,
  start: StartingPosition,
  /** Skip records older than this (ms) until the first checkpoint: see {@link latestSince}. */
  notBefore?: number,
): Promise<void> {
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
        const taken = checkpoint === undefined && notBefore !== undefined ? batch.records.filter((r) => (r.time?.getTime() ?? notBefore) >= notBefore) : batch.records;
        if (taken.length > 0) await intake.handle(connection, taken, signal);
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
