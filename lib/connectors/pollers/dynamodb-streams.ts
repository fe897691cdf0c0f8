import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDbStreamsSource } from '../../core/connections/index.js';
import { readShardedStream, type ShardedStream, type ShardInfo } from './shards.js';
import { sourceClientConfig } from './support.js';
import type { PollerContext } from './types.js';

const STREAMS_BATCH = 1000;

/**
 * Reads a DynamoDB stream, every shard, checkpointing each shard's sequence number after acceptance. Each record's
 * data is the stream record as Lambda shows it (`eventName`, `dynamodb.Keys`, `NewImage`, … with
 * `ApproximateCreationDateTime` in epoch seconds and binary attributes in base64).
 */
export async function pollDynamoDbStreams(context: PollerContext): Promise<void> {
  const source = context.connection.source as DynamoDbStreamsSource;
  const client = new DynamoDBStreamsClient(sourceClientConfig(source));
  const abortSignal = context.signal;
  const StreamArn = source.streamArn;
  const stream: ShardedStream = {
    async describe() {
      const shards: ShardInfo[] = [];
      let exclusiveStart: string | undefined;
      for (;;) {
        const out = await client.send(
          new DescribeStreamCommand({ StreamArn, ...(exclusiveStart ? { ExclusiveStartShardId: exclusiveStart } : {}) }),
          { abortSignal },
        );
        for (const s of out.StreamDescription?.Shards ?? []) {
          if (s.ShardId) shards.push({ shardId: s.ShardId, ...(s.ParentShardId ? { parentShardId: s.ParentShardId } : {}) });
        }
        exclusiveStart = out.StreamDescription?.LastEvaluatedShardId;
        if (!exclusiveStart) break;
      }
      return { arn: StreamArn, shards };
    },
    async iterator(shardId, position) {
      const out = await client.send(
        new GetShardIteratorCommand({
          StreamArn,
          ShardId: shardId,
          ShardIteratorType: position.type,
          ...(position.type === 'AFTER_SEQUENCE_NUMBER' ? { SequenceNumber: position.sequence } : {}),
        }),
        { abortSignal },
      );
      return out.ShardIterator;
    },
    async read(shardId, arn, iterator) {
      const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: STREAMS_BATCH }), { abortSignal });
      const records = (out.Records ?? []).map((r) => {
        const sequence = r.dynamodb?.SequenceNumber ?? '';
        return {
          sequence,
          eventId: `${shardId}:${sequence}`,
          source: arn,
          data: Buffer.from(JSON.stringify(lambdaShape(r, arn))),
          ...(r.dynamodb?.ApproximateCreationDateTime ? { time: r.dynamodb.ApproximateCreationDateTime } : {}),
        };
      });
      const newest = records.at(-1)?.time;
      return {
        records,
        ...(out.NextShardIterator ? { next: out.NextShardIterator } : {}),
        ...(newest ? { lagMs: Math.max(0, Date.now() - newest.getTime()) } : {}),
      };
    },
    isExpiredIterator: (error) => (error as { name?: string }).name === 'ExpiredIteratorException',
    isTrimmed: (error) => (error as { name?: string }).name === 'TrimmedDataAccessException',
  };
  try {
    await readShardedStream(context, stream);
  } finally {
    client.destroy();
  }
}

/** The record as Lambda's DynamoDB event shows it: dates in epoch seconds, bytes in base64. */
function lambdaShape(record: _Record, arn: string): unknown {
  return { ...(toPlain(record) as Record<string, unknown>), eventSourceARN: arn };
}

function toPlain(value: unknown): unknown {
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Set) return [...value].map(toPlain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && k !== '$metadata') out[k] = toPlain(v);
    return out;
  }
  return value;
}
