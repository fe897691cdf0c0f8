// The template's event source mappings, run as Lambda runs them: an SQS queue polled in batches (a batch that
// fails stays in the queue and comes back after the queue's visibility timeout; with ReportBatchItemFailures only
// the reported messages do; the queue's redrive policy moves a message to its DLQ after maxReceiveCount receives),
// and a DynamoDB Stream read shard by shard in order (a failed batch is retried; with ReportBatchItemFailures from
// the reported sequence number on).
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LocalFunction } from './lambda.js';

export interface EventSource {
  stop(): Promise<void>;
}

interface BatchResponse {
  batchItemFailures?: Array<{ itemIdentifier?: unknown }>;
}

/** The identifiers a ReportBatchItemFailures response names; `undefined` when the response is malformed (whole batch failed). */
function failedItems(response: unknown): Set<string> | undefined {
  if (response === null || response === undefined) return new Set();
  if (typeof response !== 'object') return new Set();
  const failures = (response as BatchResponse).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return undefined;
  const ids = new Set<string>();
  for (const failure of failures) {
    if (typeof failure?.itemIdentifier !== 'string' || failure.itemIdentifier === '') return undefined;
    ids.add(failure.itemIdentifier);
  }
  return ids;
}

export interface SqsMappingOptions {
  fn: LocalFunction;
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  batchSize: number;
  reportBatchItemFailures: boolean;
  /** Concurrent pollers (Lambda starts with five). */
  pollers: number;
  log: (line: string) => void;
}

function sqsRecord(message: Message, queueArn: string, region: string): Record<string, unknown> {
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body ?? '',
    attributes: message.Attributes ?? {},
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, a]) => [
        name,
        {
          ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
          ...(a.BinaryValue !== undefined ? { binaryValue: Buffer.from(a.BinaryValue).toString('base64') } : {}),
          stringListValues: [],
          binaryListValues: [],
          dataType: a.DataType,
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export function startSqsMapping(options: SqsMappingOptions): EventSource {
  const stopping = new AbortController();
  const poll = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      try {
        const { Messages = [] } = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: Math.min(options.batchSize, 10),
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: stopping.signal },
        );
        if (Messages.length === 0) continue;
        let settled: Message[] = [];
        try {
          const response = await options.fn.invoke({ Records: Messages.map((m) => sqsRecord(m, options.queueArn, options.region)) });
          const failed = options.reportBatchItemFailures ? failedItems(response) : new Set<string>();
          if (failed === undefined) options.log(`${options.fn.definition.name}: malformed batchItemFailures; the whole batch stays in the queue`);
          else settled = Messages.filter((m) => !failed.has(m.MessageId ?? ''));
        } catch (error) {
          options.log(`${options.fn.definition.name}: ${(error as Error).message}; the batch stays in the queue`);
        }
        if (settled.length > 0) {
          await options.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: options.queueUrl,
              Entries: settled.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
            }),
          );
        }
      } catch (error) {
        if (stopping.signal.aborted) break;
        options.log(`polling ${options.queueArn}: ${(error as Error).message}`);
        await sleep(500, undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
  };
  const loops = Array.from({ length: Math.max(1, options.pollers) }, () => poll());
  return {
    async stop() {
      stopping.abort();
      await Promise.all(loops);
    },
  };
}

export interface StreamMappingOptions {
  fn: LocalFunction;
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  tableName: string;
  region: string;
  batchSize: number;
  startingPosition: ShardIteratorType;
  reportBatchItemFailures: boolean;
  log: (line: string) => void;
}

interface ShardState {
  iterator: string | undefined;
  lastSequenceNumber: string | undefined;
  closed: boolean;
}

/** A Stream record as Lambda hands it over: the wire shape, with the creation time in epoch seconds. */
function lambdaStreamRecord(record: StreamRecord, streamArn: string, region: string): Record<string, unknown> {
  const dynamodb = { ...record.dynamodb } as Record<string, unknown>;
  const created = record.dynamodb?.ApproximateCreationDateTime;
  if (created instanceof Date) dynamodb.ApproximateCreationDateTime = Math.floor(created.getTime() / 1000);
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb,
    eventSourceARN: streamArn,
  };
}

export async function startStreamMapping(options: StreamMappingOptions): Promise<EventSource> {
  const { streams } = options;
  const { Table } = await options.dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no Stream`);
  const shards = new Map<string, ShardState>();
  let describedAt = 0;

  const iteratorFor = async (shardId: string, type: ShardIteratorType, sequenceNumber?: string) =>
    (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type, SequenceNumber: sequenceNumber })))
      .ShardIterator;

  let first = true;
  const describe = async () => {
    let start: string | undefined;
    do {
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
      for (const shard of StreamDescription?.Shards ?? []) {
        const id = shard.ShardId!;
        if (shards.has(id)) continue;
        const parent = shard.ParentShardId === undefined ? undefined : shards.get(shard.ParentShardId);
        if (parent && !parent.closed) continue;
        const type = first ? options.startingPosition : 'TRIM_HORIZON';
        shards.set(id, { iterator: await iteratorFor(id, type), lastSequenceNumber: undefined, closed: false });
      }
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    first = false;
    describedAt = Date.now();
  };

  const resumeAt = async (shardId: string, state: ShardState, sequenceNumber: string | undefined) => {
    state.iterator = sequenceNumber
      ? await iteratorFor(shardId, 'AT_SEQUENCE_NUMBER', sequenceNumber)
      : state.lastSequenceNumber
        ? await iteratorFor(shardId, 'AFTER_SEQUENCE_NUMBER', state.lastSequenceNumber)
        : await iteratorFor(shardId, 'TRIM_HORIZON');
  };

  const pollShard = async (shardId: string, state: ShardState): Promise<boolean> => {
    if (state.iterator === undefined) return false;
    let output;
    try {
      output = await streams.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: options.batchSize }));
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name !== 'ExpiredIteratorException' && name !== 'TrimmedDataAccessException') throw error;
      await resumeAt(shardId, state, undefined);
      return true;
    }
    const records = output.Records ?? [];
    if (records.length > 0) {
      let response: unknown;
      try {
        response = await options.fn.invoke({ Records: records.map((r) => lambdaStreamRecord(r, streamArn, options.region)) });
      } catch (error) {
        options.log(`${options.fn.definition.name}: ${(error as Error).message}; the batch is retried`);
        await resumeAt(shardId, state, records[0]?.dynamodb?.SequenceNumber);
        await sleep(200);
        return true;
      }
      const failed = options.reportBatchItemFailures ? failedItems(response) : new Set<string>();
      if (failed === undefined || failed.size > 0) {
        const from = failed === undefined ? records[0]?.dynamodb?.SequenceNumber : [...failed].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))[0];
        const index = records.findIndex((r) => r.dynamodb?.SequenceNumber === from);
        if (index > 0) state.lastSequenceNumber = records[index - 1]?.dynamodb?.SequenceNumber ?? state.lastSequenceNumber;
        await resumeAt(shardId, state, from);
        await sleep(200);
        return true;
      }
      state.lastSequenceNumber = records.at(-1)?.dynamodb?.SequenceNumber ?? state.lastSequenceNumber;
    }
    state.iterator = output.NextShardIterator;
    if (state.iterator === undefined) state.closed = true;
    return records.length > 0;
  };

  await describe();
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let busy = false;
      try {
        if (Date.now() - describedAt > 1000) await describe();
        for (const [id, state] of shards) if (await pollShard(id, state)) busy = true;
      } catch (error) {
        if (stopping.signal.aborted) break;
        options.log(`reading the Stream of ${options.tableName}: ${(error as Error).message}`);
      }
      if (!busy) await sleep(50, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
