import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisSource } from '../../core/connections/index.js';
import { readShardedStream, type ShardedStream, type ShardInfo } from './shards.js';
import { sourceClientConfig } from './support.js';
import type { PollerContext } from './types.js';

/** Most records one GetRecords call returns. */
const KINESIS_BATCH = 500;

/** Reads a Kinesis stream, every shard, checkpointing each shard's sequence number after acceptance. */
export async function pollKinesis(context: PollerContext): Promise<void> {
  const source = context.connection.source as KinesisSource;
  // HTTP/1.1: GetRecords needs no HTTP/2 (only SubscribeToShard does), and kinesalite speaks only HTTP/1.1.
  const client = new KinesisClient({ ...sourceClientConfig(source), requestHandler: new NodeHttpHandler() });
  const abortSignal = context.signal;
  const StreamName = source.streamName;
  const stream: ShardedStream = {
    async describe() {
      const shards: ShardInfo[] = [];
      let arn = '';
      let exclusiveStart: string | undefined;
      for (;;) {
        const out = await client.send(
          new DescribeStreamCommand({ StreamName, ...(exclusiveStart ? { ExclusiveStartShardId: exclusiveStart } : {}) }),
          { abortSignal },
        );
        const description = out.StreamDescription;
        arn = description?.StreamARN ?? `arn:aws:kinesis:${source.region}::stream/${StreamName}`;
        const page: Shard[] = description?.Shards ?? [];
        for (const s of page) if (s.ShardId) shards.push({ shardId: s.ShardId, ...(s.ParentShardId ? { parentShardId: s.ParentShardId } : {}) });
        if (!description?.HasMoreShards || page.length === 0) break;
        exclusiveStart = page.at(-1)?.ShardId;
      }
      return { arn, shards };
    },
    async iterator(shardId, position) {
      const out = await client.send(
        new GetShardIteratorCommand({
          StreamName,
          ShardId: shardId,
          ShardIteratorType: position.type,
          ...(position.type === 'AFTER_SEQUENCE_NUMBER' ? { StartingSequenceNumber: position.sequence } : {}),
        }),
        { abortSignal },
      );
      return out.ShardIterator;
    },
    async read(shardId, arn, iterator) {
      const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: KINESIS_BATCH }), { abortSignal });
      const records = (out.Records ?? []).map((r) => ({
        sequence: r.SequenceNumber ?? '',
        eventId: `${shardId}:${r.SequenceNumber ?? ''}`,
        source: arn,
        data: r.Data ?? new Uint8Array(),
        ...(r.ApproximateArrivalTimestamp ? { time: r.ApproximateArrivalTimestamp } : {}),
      }));
      return {
        records,
        ...(out.NextShardIterator ? { next: out.NextShardIterator } : {}),
        ...(out.MillisBehindLatest !== undefined ? { lagMs: out.MillisBehindLatest } : {}),
      };
    },
    isExpiredIterator: (error) => (error as { name?: string }).name === 'ExpiredIteratorException',
    isTrimmed: () => false,
  };
  try {
    await readShardedStream(context, stream);
  } finally {
    client.destroy();
  }
}
