/**
 * One SQS message as the adapter reads it: the shape of a Lambda event record (which both the queue's own receives
 * and the delivery Lambda decode), the JSON SQS accepts, and the single-item format of the versions before bundles
 * (its state in message attributes). Bundles: bundle.ts.
 */
import type { Message } from '@aws-sdk/client-sqs';
import type { DeliveryError, NewDeliveryItem } from '../../../ports/delivery-queue.js';
import { NEW_DELIVERY_ITEM_FIELDS } from '../item-fields.js';

/** SQS's limit for one message, and for the sum of the messages of one batch (body plus attributes). */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/** SQS's limit of entries in one SendMessageBatch or DeleteMessageBatch request, and of messages per receive. */
export const SQS_MAX_BATCH_ENTRIES = 10;

/**
 * The message attributes that carried an item's delivery state in the single-item format before bundles, still
 * read from messages queued before an upgrade. The body of such a message is exactly the accepted
 * {@link NewDeliveryItem}.
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

/** The replacer list JSON.stringify takes: exactly the item's fields, whatever else the caller's object carries. */
export const STORED_FIELDS: string[] = [...NEW_DELIVERY_ITEM_FIELDS];

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
  return itemFields(record, parseObject(record, record.body, 'the body'));
}

function parseObject(record: Pick<SqsEventRecord, 'messageId'>, text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw notAnItem(record, `${what} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw notAnItem(record, `${what} is not an object`);
  return parsed as Record<string, unknown>;
}

export function itemFields(record: Pick<SqsEventRecord, 'messageId'>, body: Record<string, unknown>): NewDeliveryItem {
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

/** The delivery state in a message's attributes (a single-item message of the format before bundles). */
export function decodeDeliveryState(record: Pick<SqsEventRecord, 'messageId' | 'messageAttributes'>): DeliveryState {
  const attributes = record.messageAttributes;
  const number = (name: string): number | undefined => {
    const text = attributes[name]?.stringValue;
    return text === undefined ? undefined : wholeNumber(record, Number(text), `attribute ${name}`);
  };
  const state: DeliveryState = { attempts: number(DELIVERY_ATTRIBUTES.attempts) ?? 0 };
  const firstAttemptAt = number(DELIVERY_ATTRIBUTES.firstAttemptAt);
  if (firstAttemptAt !== undefined) state.firstAttemptAt = firstAttemptAt;
  const dueAt = number(DELIVERY_ATTRIBUTES.dueAt);
  if (dueAt !== undefined) state.dueAt = dueAt;
  const lastError = attributes[DELIVERY_ATTRIBUTES.lastError]?.stringValue;
  if (lastError !== undefined) {
    state.lastError = lastErrorOf(record, parseObject(record, lastError, `attribute ${DELIVERY_ATTRIBUTES.lastError}`), `attribute ${DELIVERY_ATTRIBUTES.lastError}`);
  }
  return state;
}

export function wholeNumber(record: Pick<SqsEventRecord, 'messageId'>, value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw notAnItem(record, `${what} is not a whole number`);
  return value;
}

export function lastErrorOf(record: Pick<SqsEventRecord, 'messageId'>, parsed: Record<string, unknown>, what: string): DeliveryError {
  const { message, status } = parsed;
  if (typeof message !== 'string' || (status !== undefined && typeof status !== 'number')) {
    throw notAnItem(record, `${what} is not {message, status?}`);
  }
  return status === undefined ? { message } : { message, status };
}

/** How many times SQS has handed the message out, this time included (1 when the record does not say). */
export function receiveCountOf(record: Pick<SqsEventRecord, 'attributes'>): number {
  const count = Number(record.attributes.ApproximateReceiveCount);
  return Number.isSafeInteger(count) && count > 0 ? count : 1;
}

export function notAnItem(record: Pick<SqsEventRecord, 'messageId'>, reason: string): Error {
  return new Error(`SQS message ${record.messageId} does not hold a delivery item: ${reason}`);
}
