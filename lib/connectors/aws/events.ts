/**
 * The batches a Lambda event source mapping hands the connector, declared structurally (as lib/lambda/types.ts does),
 * and each record as the {@link SourceRecord} the local pollers make of the same record: the same event id where
 * the batch carries the record's position, the same `source`, the same data.
 */
import { randomUUID } from 'node:crypto';
import type { Connection, SourceRecord } from '../../core/connections/index.js';
import { amqpSourceName } from '../records.js';
import { mappingKey } from './sources.js';

export interface KinesisEventRecord {
  eventSource: 'aws:kinesis';
  /** `<shardId>:<sequenceNumber>`. */
  eventID: string;
  eventSourceARN: string;
  kinesis: { sequenceNumber: string; data: string; partitionKey?: string; approximateArrivalTimestamp?: number };
}

export interface DynamoDbEventRecord {
  eventSource: 'aws:dynamodb';
  /** DynamoDB's id of the stream record, the same at every redelivery. */
  eventID: string;
  eventSourceARN: string;
  dynamodb: { SequenceNumber: string; ApproximateCreationDateTime?: number; [field: string]: unknown };
  [field: string]: unknown;
}

export interface SqsSourceEventRecord {
  eventSource: 'aws:sqs';
  messageId: string;
  body: string;
  eventSourceARN: string;
  attributes?: { SentTimestamp?: string };
}

/** A batch of a Kinesis, DynamoDB Streams or SQS mapping. */
export interface RecordsEvent {
  Records: Array<KinesisEventRecord | DynamoDbEventRecord | SqsSourceEventRecord>;
}

export interface RabbitMqMessage {
  basicProperties?: { messageId?: string | null; timestamp?: string | number | null; [field: string]: unknown };
  redelivered?: boolean;
  /** The body, base64. */
  data: string;
}

/** A batch of an Amazon MQ for RabbitMQ mapping: messages by `<queue>::<virtual host>`. */
export interface RabbitMqEvent {
  eventSource: 'aws:rmq';
  eventSourceArn: string;
  rmqMessagesByQueue: Record<string, RabbitMqMessage[]>;
}

export type ConnectorEvent = RecordsEvent | RabbitMqEvent;

/** One record of a batch: the mapping it came through, how to report it failed, and the record for a connection. */
export interface BatchRecord {
  /** The {@link MappingSource.key} of its source. */
  key: string;
  /** For `batchItemFailures`: the sequence number of a stream record, the message id of an SQS message. */
  itemIdentifier: string;
  /** Payload bytes (the processed-bytes metric). */
  bytes: number;
  toSourceRecord(connection: Connection): SourceRecord;
}

/** The records of a batch, in batch order; throws a TypeError for an event no mapping of ours sends. */
export function batchRecords(event: unknown): { kind: 'kinesis' | 'dynamodb' | 'sqs' | 'rmq'; records: BatchRecord[] } {
  const e = event as Partial<RecordsEvent & RabbitMqEvent> | null;
  if (e?.eventSource === 'aws:rmq' && e.rmqMessagesByQueue && typeof e.eventSourceArn === 'string') {
    return { kind: 'rmq', records: rabbitMqRecords(e as RabbitMqEvent) };
  }
  if (!Array.isArray(e?.Records)) throw new TypeError('the connector expects a Kinesis, DynamoDB Streams, SQS or Amazon MQ (RabbitMQ) batch');
  const first = e.Records[0]?.eventSource;
  if (first === undefined) return { kind: 'sqs', records: [] };
  const records = e.Records.map((record): BatchRecord => {
    switch (record.eventSource) {
      case 'aws:kinesis':
        return kinesisRecord(record);
      case 'aws:dynamodb':
        return dynamoDbRecord(record);
      case 'aws:sqs':
        return sqsRecord(record);
      default:
        throw new TypeError(`the connector does not read "${String((record as { eventSource?: unknown }).eventSource)}" records`);
    }
  });
  return { kind: first === 'aws:kinesis' ? 'kinesis' : first === 'aws:dynamodb' ? 'dynamodb' : 'sqs', records };
}

function kinesisRecord(record: KinesisEventRecord): BatchRecord {
  const data = Buffer.from(record.kinesis.data, 'base64');
  return streamRecord(record.eventSourceARN, record.eventID, record.kinesis.sequenceNumber, data, record.kinesis.approximateArrivalTimestamp);
}

/** The record's data is the stream record as the local poller shows it: Lambda's own shape of it. */
function dynamoDbRecord(record: DynamoDbEventRecord): BatchRecord {
  const data = Buffer.from(JSON.stringify(record));
  return streamRecord(record.eventSourceARN, record.eventID, record.dynamodb.SequenceNumber, data, record.dynamodb.ApproximateCreationDateTime);
}

/** A stream record (Kinesis, DynamoDB): reported by its sequence number, its time from epoch seconds when it has one. */
function streamRecord(eventSourceArn: string, eventId: string, sequenceNumber: string, data: Buffer, epochSeconds: number | undefined): BatchRecord {
  return {
    key: mappingKey(eventSourceArn),
    itemIdentifier: sequenceNumber,
    bytes: data.byteLength,
    toSourceRecord: () => ({
      eventId,
      source: eventSourceArn,
      data,
      ...(epochSeconds ? { time: new Date(epochSeconds * 1000) } : {}),
    }),
  };
}

/** `source` is the connection's queue URL, as the local poller's (the batch names the queue by ARN only). */
function sqsRecord(record: SqsSourceEventRecord): BatchRecord {
  const data = Buffer.from(record.body ?? '', 'utf8');
  const sent = Number(record.attributes?.SentTimestamp);
  return {
    key: mappingKey(record.eventSourceARN),
    itemIdentifier: record.messageId,
    bytes: data.byteLength,
    toSourceRecord: (connection) => ({
      eventId: record.messageId,
      source: connection.type === 'awssqs' ? connection.source.queueUrl : record.eventSourceARN,
      data,
      ...(Number.isFinite(sent) && sent > 0 ? { time: new Date(sent) } : {}),
    }),
  };
}

/**
 * As the local AMQP poller: the id is the message's `message_id` when the publisher set one, else a new one (AMQP
 * has no stable position); `source` is the connection's URL without credentials, with the queue.
 */
function rabbitMqRecords(event: RabbitMqEvent): BatchRecord[] {
  const records: BatchRecord[] = [];
  for (const [queueAndVhost, messages] of Object.entries(event.rmqMessagesByQueue)) {
    const split = queueAndVhost.lastIndexOf('::');
    const queue = split < 0 ? queueAndVhost : queueAndVhost.slice(0, split);
    const virtualHost = split < 0 ? '/' : queueAndVhost.slice(split + 2);
    for (const message of messages) {
      const data = Buffer.from(message.data ?? '', 'base64');
      const messageId = message.basicProperties?.messageId;
      const eventId = typeof messageId === 'string' && messageId !== '' ? messageId : randomUUID();
      const time = amqpTimestamp(message.basicProperties?.timestamp);
      records.push({
        key: mappingKey(event.eventSourceArn, { virtualHost, queue }),
        itemIdentifier: eventId,
        bytes: data.byteLength,
        toSourceRecord: (connection) => ({
          eventId,
          source: connection.type === 'amqp' ? amqpSourceName(connection.source) : `${event.eventSourceArn}/${queue}`,
          data,
          ...(time ? { time } : {}),
        }),
      });
    }
  }
  return records;
}

/** Lambda renders the AMQP timestamp as text (`Jan 1, 1970, 12:33:41 AM`); a number is epoch seconds. */
function amqpTimestamp(value: string | number | null | undefined): Date | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const ms = typeof value === 'number' ? value * 1000 : Date.parse(value);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : undefined;
}
