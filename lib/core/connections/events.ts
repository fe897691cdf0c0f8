import { createHash } from 'node:crypto';
import type { CloudEventsVersion, GatewayEvent, JsonValue } from '../cloudevents/model.js';

/** One record read from a source, before it becomes an event. */
export interface SourceRecord {
  /**
   * Derived from the record's position in its source (shard and sequence number, SQS message id, …): the same record
   * read again after a crash gives the same id.
   */
  eventId: string;
  /** Names the stream or queue (a URI reference: an ARN, the queue URL, `amqp://host/vhost/queue`). */
  source: string;
  /** The record's payload. */
  data: Uint8Array;
  /** When the source took the record, where it says. */
  time?: Date;
}

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain';
const BINARY_TYPE = 'application/octet-stream';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A record's payload as event data: parsed JSON when it is JSON, otherwise the text, with the content type saying
 * which. Bytes that are not UTF-8 are base64 (`application/octet-stream`).
 */
export function recordData(bytes: Uint8Array): { contentType: string; data: JsonValue; base64?: true } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { contentType: BINARY_TYPE, data: Buffer.from(bytes).toString('base64'), base64: true };
  }
  const trimmed = text.trim();
  if (trimmed !== '') {
    try {
      return { contentType: JSON_TYPE, data: JSON.parse(trimmed) as JsonValue };
    } catch {
      // not JSON: a string
    }
  }
  return { contentType: TEXT_TYPE, data: text };
}

/** The CloudEvent made from one record, in the configured spec version. */
export function connectionEvent(
  eventType: string,
  record: SourceRecord,
  version: CloudEventsVersion,
  now: () => Date = () => new Date(),
): GatewayEvent {
  const { contentType, data, base64 } = recordData(record.data);
  const time = (record.time ?? now()).toISOString();
  if (version === '1.0') {
    return Object.freeze({
      specversion: '1.0',
      id: record.eventId,
      source: record.source,
      type: eventType,
      datacontenttype: contentType,
      time,
      ...(base64 ? { data_base64: data as string } : { data }),
    }) as GatewayEvent;
  }
  return Object.freeze({
    eventType,
    cloudEventsVersion: '0.1',
    source: record.source,
    eventID: record.eventId,
    eventTime: time,
    contentType,
    data,
  }) as GatewayEvent;
}

/**
 * The delivery item id (and so the `webhook-id`) of an event from a connection for one subscription: a UUID (version
 * 8, RFC 9562) hashed from the connection, the record's event id and the subscription. A record read again yields the
 * same id, so the receiver can tell a duplicate.
 */
export function connectionItemId(space: string, connectionId: string, eventId: string, subscriptionId: string): string {
  const bytes = createHash('sha256').update(`${space}\n${connectionId}\n${eventId}\n${subscriptionId}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // version 8
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
