import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { DeliveryError, DeliveryItem, NewDeliveryItem } from '../../../ports/delivery-queue.js';
import { NEW_DELIVERY_ITEM_FIELDS } from '../item-fields.js';

/** SQS's limit for one message, and for the sum of the messages of one batch (body plus attributes). */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/**
 * The message attributes that carry an item's delivery state. The body is always exactly the accepted
 * {@link NewDeliveryItem}; a retry sends a copy with these attributes updated (see SqsDeliveryQueue).
 */
export const DELIVERY_ATTRIBUTES = {
  /** Attempts made before this copy (Number); absent means 0. */
  attempts: 'eg.attempts',
  /** ms since the epoch (Number). */
  firstAttemptAt: 'eg.firstAttemptAt',
  /** `{message, status?}` as JSON (String). */
  lastError: 'eg.lastError',
  /** ms since the epoch (Number): set only when a retry's delay exceeds what DelaySeconds can express. */
  dueAt: 'eg.dueAt',
} as const;

/** The delivery state a message carries besides its item. */
export interface DeliveryState {
  attempts: number;
  firstAttemptAt?: number;
  lastError?: DeliveryError;
  dueAt?: number;
}

/** A message attribute as an SQS Lambda event record carries it. */
export interface SqsRecordAttributeValue {
  dataType: string;
  stringValue?: string;
  binaryValue?: string;
  stringListValues?: string[];
  binaryListValues?: string[];
}

/**
 * One record of an SQS Lambda event (`event.Records[i]`), declared here so that no Lambda typings are needed. The
 * adapter also turns the messages it receives itself into this shape, so both paths decode alike.
 */
export interface SqsEventRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** System attributes: ApproximateReceiveCount, SentTimestamp, ApproximateFirstReceiveTimestamp, … */
  attributes: Record<string, string | undefined>;
  messageAttributes: Record<string, SqsRecordAttributeValue>;
  md5OfBody?: string;
  eventSource?: string;
  eventSourceARN?: string;
  awsRegion?: string;
}

/** What settling a received item needs: its receipt handle, and when it falls due (a long retry delay). */
export interface SqsLease {
  receiptHandle: string;
  dueAt?: number;
  /** Set once acked or retried, so a second settlement of the same object is a no-op. */
  settled?: boolean;
}

/** Leases of the items built from SQS messages, by object: a DeliveryItem stays a plain object for its users. */
const leases = new WeakMap<DeliveryItem, SqsLease>();

export function leaseOf(item: DeliveryItem): SqsLease | undefined {
  return leases.get(item);
}

export interface EncodedMessage {
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  /** The size SQS counts against its limits: the body plus each attribute's name, type and value, in UTF-8. */
  bytes: number;
}

/** The replacer list JSON.stringify takes: exactly the item's fields, whatever else the caller's object carries. */
const STORED_FIELDS: string[] = [...NEW_DELIVERY_ITEM_FIELDS];

/**
 * Characters SQS refuses in a message (it accepts #x9 #xA #xD #x20–#xD7FF #xE000–#xFFFD #x10000–#x10FFFF). Matched
 * per UTF-16 unit (no `u` flag), so surrogate pairs are escaped too: fauxqs refuses them, and in a JSON string an
 * escaped pair decodes to the same character. In JSON text these can only occur inside strings.
 */
const NOT_SQS_SAFE = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD]/g;

/** JSON text that SQS accepts as a message body or attribute value whatever the strings hold. */
export function sqsSafeJson(value: unknown, fields?: string[]): string {
  return JSON.stringify(value, fields).replace(NOT_SQS_SAFE, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function encodeDeliveryMessage(item: NewDeliveryItem, state?: DeliveryState): EncodedMessage {
  const body = sqsSafeJson(item, STORED_FIELDS);
  const attributes: Record<string, MessageAttributeValue> = {};
  if (state) {
    if (state.attempts > 0) attributes[DELIVERY_ATTRIBUTES.attempts] = numberAttribute(state.attempts);
    if (state.firstAttemptAt !== undefined) {
      attributes[DELIVERY_ATTRIBUTES.firstAttemptAt] = numberAttribute(state.firstAttemptAt);
    }
    if (state.lastError) {
      const { message, status } = state.lastError;
      attributes[DELIVERY_ATTRIBUTES.lastError] = {
        DataType: 'String',
        StringValue: sqsSafeJson(status === undefined ? { message } : { message, status }),
      };
    }
    if (state.dueAt !== undefined) attributes[DELIVERY_ATTRIBUTES.dueAt] = numberAttribute(state.dueAt);
  }
  let bytes = Buffer.byteLength(body);
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return { body, attributes, bytes };
}

function numberAttribute(value: number): MessageAttributeValue {
  return { DataType: 'Number', StringValue: String(value) };
}

/** An SDK `ReceiveMessage` message in the shape of a Lambda event record. */
export function messageToRecord(message: Message): SqsEventRecord {
  const messageAttributes: Record<string, SqsRecordAttributeValue> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    const attribute: SqsRecordAttributeValue = { dataType: value.DataType ?? 'String' };
    if (value.StringValue !== undefined) attribute.stringValue = value.StringValue;
    if (value.BinaryValue !== undefined) attribute.binaryValue = Buffer.from(value.BinaryValue).toString('base64');
    messageAttributes[name] = attribute;
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: { ...message.Attributes },
    messageAttributes,
  };
}

/** The accepted item in a message body; throws an Error naming the message when the body is not one. */
export function decodeDeliveryItem(record: Pick<SqsEventRecord, 'messageId' | 'body'>): NewDeliveryItem {
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.body);
  } catch {
    throw notAnItem(record, 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw notAnItem(record, 'the body is not an object');
  const body = parsed as Record<string, unknown>;
  const item: Partial<NewDeliveryItem> = {};
  for (const field of ['id', 'space', 'subscriptionId', 'functionId', 'eventType', 'event'] as const) {
    const value = body[field];
    if (typeof value !== 'string') throw notAnItem(record, `"${field}" is not a string`);
    item[field] = value;
  }
  if (body.authorizerRequest !== undefined) {
    if (typeof body.authorizerRequest !== 'string') throw notAnItem(record, '"authorizerRequest" is not a string');
    item.authorizerRequest = body.authorizerRequest;
  }
  if (typeof body.system !== 'boolean') throw notAnItem(record, '"system" is not a boolean');
  item.system = body.system;
  if (typeof body.acceptedAt !== 'number') throw notAnItem(record, '"acceptedAt" is not a number');
  item.acceptedAt = body.acceptedAt;
  return item as NewDeliveryItem;
}

/** The delivery state in a message's attributes. */
export function decodeDeliveryState(record: Pick<SqsEventRecord, 'messageId' | 'messageAttributes'>): DeliveryState {
  const attributes = record.messageAttributes;
  const number = (name: string): number | undefined => {
    const text = attributes[name]?.stringValue;
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) throw notAnItem(record, `attribute ${name} is not a whole number`);
    return value;
  };
  const state: DeliveryState = { attempts: number(DELIVERY_ATTRIBUTES.attempts) ?? 0 };
  const firstAttemptAt = number(DELIVERY_ATTRIBUTES.firstAttemptAt);
  if (firstAttemptAt !== undefined) state.firstAttemptAt = firstAttemptAt;
  const dueAt = number(DELIVERY_ATTRIBUTES.dueAt);
  if (dueAt !== undefined) state.dueAt = dueAt;
  const lastError = attributes[DELIVERY_ATTRIBUTES.lastError]?.stringValue;
  if (lastError !== undefined) state.lastError = parseLastError(record, lastError);
  return state;
}

function parseLastError(record: Pick<SqsEventRecord, 'messageId'>, text: string): DeliveryError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw notAnItem(record, `attribute ${DELIVERY_ATTRIBUTES.lastError} is not JSON`);
  }
  const { message, status } = (parsed ?? {}) as { message?: unknown; status?: unknown };
  if (typeof message !== 'string' || (status !== undefined && typeof status !== 'number')) {
    throw notAnItem(record, `attribute ${DELIVERY_ATTRIBUTES.lastError} is not {message, status?}`);
  }
  return status === undefined ? { message } : { message, status };
}

/**
 * The {@link DeliveryItem} in an SQS Lambda event record (or a message the adapter received), with its receipt
 * handle attached: pass the returned object to `SqsDeliveryQueue.ack`/`retry` (e.g. through
 * `DeliveryWorkers.deliver`). Throws an Error naming the message when it does not hold a delivery item.
 */
export function sqsRecordToDeliveryItem(record: SqsEventRecord): DeliveryItem {
  const item: DeliveryItem = { ...decodeDeliveryItem(record), attempts: 0 };
  const state = decodeDeliveryState(record);
  item.attempts = state.attempts;
  if (state.firstAttemptAt !== undefined) item.firstAttemptAt = state.firstAttemptAt;
  if (state.lastError !== undefined) item.lastError = state.lastError;
  leases.set(item, state.dueAt === undefined ? { receiptHandle: record.receiptHandle } : { receiptHandle: record.receiptHandle, dueAt: state.dueAt });
  return item;
}

function notAnItem(record: Pick<SqsEventRecord, 'messageId'>, reason: string): Error {
  return new Error(`SQS message ${record.messageId} does not hold a delivery item: ${reason}`);
}
