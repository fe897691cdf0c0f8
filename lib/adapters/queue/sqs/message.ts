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
  /** The message the item came in, shared by the items of a bundle. */
  message: MessageLease;
  /** The item's place in its bundle. */
  index: number;
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

function itemFields(record: Pick<SqsEventRecord, 'messageId'>, body: Record<string, unknown>): NewDeliveryItem {
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

function wholeNumber(record: Pick<SqsEventRecord, 'messageId'>, value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw notAnItem(record, `${what} is not a whole number`);
  return value;
}

function lastErrorOf(record: Pick<SqsEventRecord, 'messageId'>, parsed: Record<string, unknown>, what: string): DeliveryError {
  const { message, status } = parsed;
  if (typeof message !== 'string' || (status !== undefined && typeof status !== 'number')) {
    throw notAnItem(record, `${what} is not {message, status?}`);
  }
  return status === undefined ? { message } : { message, status };
}

// ---------------------------------------------------------------------------------------------------------------
// Bundles: many items in one message.

/** One item of a bundle with the delivery state it carries. */
export interface BundledItem {
  item: NewDeliveryItem;
  state: DeliveryState;
}

/**
 * An item as one element of a bundle body: its {@link NewDeliveryItem} fields, then its delivery state
 * (`attempts`, `firstAttemptAt`, `lastError`, `dueAt`) when it has any. JSON that SQS accepts.
 */
export function encodeBundleEntry(item: NewDeliveryItem, state?: DeliveryState): string {
  const fields = sqsSafeJson(item, STORED_FIELDS);
  if (!state) return fields;
  const extra: Record<string, unknown> = {};
  if (state.attempts > 0) extra.attempts = state.attempts;
  if (state.firstAttemptAt !== undefined) extra.firstAttemptAt = state.firstAttemptAt;
  if (state.lastError) {
    const { message, status } = state.lastError;
    extra.lastError = status === undefined ? { message } : { message, status };
  }
  if (state.dueAt !== undefined) extra.dueAt = state.dueAt;
  if (Object.keys(extra).length === 0) return fields;
  return `${fields.slice(0, -1)},${sqsSafeJson(extra).slice(1)}`;
}

/** A bundle's body: a JSON array of {@link encodeBundleEntry} elements. */
export function bundleBody(entries: readonly string[]): string {
  return `[${entries.join(',')}]`;
}

/**
 * Every item a message holds, with its state. A bundle's body is a JSON array (see {@link encodeBundleEntry}); a
 * body that is a JSON object is a single-item message of the format before bundles, whose state is in message
 * attributes: messages sent before an upgrade are read as one-item bundles. Throws an Error naming the message
 * when it does not hold delivery items (an empty bundle included).
 */
export function decodeBundle(record: Pick<SqsEventRecord, 'messageId' | 'body' | 'messageAttributes'>): BundledItem[] {
  if (!record.body.trimStart().startsWith('[')) return [{ item: decodeDeliveryItem(record), state: decodeDeliveryState(record) }];
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.body);
  } catch {
    throw notAnItem(record, 'the body is not JSON');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw notAnItem(record, 'the body is an empty bundle');
  return parsed.map((element: unknown, index) => {
    if (typeof element !== 'object' || element === null || Array.isArray(element)) {
      throw notAnItem(record, `bundle element ${index} is not an object`);
    }
    const fields = element as Record<string, unknown>;
    const state: DeliveryState = { attempts: fields.attempts === undefined ? 0 : wholeNumber(record, fields.attempts, '"attempts"') };
    if (fields.firstAttemptAt !== undefined) state.firstAttemptAt = wholeNumber(record, fields.firstAttemptAt, '"firstAttemptAt"');
    if (fields.dueAt !== undefined) state.dueAt = wholeNumber(record, fields.dueAt, '"dueAt"');
    if (fields.lastError !== undefined) {
      if (typeof fields.lastError !== 'object' || fields.lastError === null) throw notAnItem(record, '"lastError" is not {message, status?}');
      state.lastError = lastErrorOf(record, fields.lastError as Record<string, unknown>, '"lastError"');
    }
    return { item: itemFields(record, fields), state };
  });
}

/**
 * What settling the items of one received message needs: its receipt handle, and how many of its items are not
 * settled yet. The message is deleted once none is left (by the queue, or by Lambda for an event record).
 */
export interface MessageLease {
  messageId: string;
  receiptHandle: string;
  /** Items of the message not settled yet. */
  open: number;
  /** Whether the queue deletes the message when its last item is settled; false when Lambda deletes it. */
  deleteWhenSettled: boolean;
  /** performance.now() until which SQS keeps the message hidden (known only for the queue's own receives). */
  visibleUntil?: number;
}

/**
 * The items of a message (one for the format before bundles), each with a lease sharing the message's
 * {@link MessageLease}. Throws an Error naming the message when it does not hold delivery items.
 */
export function recordToDeliveryItems(record: SqsEventRecord, deleteWhenSettled: boolean): { items: DeliveryItem[]; message: MessageLease } {
  const bundled = decodeBundle(record);
  const message: MessageLease = { messageId: record.messageId, receiptHandle: record.receiptHandle, open: bundled.length, deleteWhenSettled };
  const items = bundled.map(({ item: fields, state }, index) => {
    const item: DeliveryItem = { ...fields, attempts: state.attempts };
    if (state.firstAttemptAt !== undefined) item.firstAttemptAt = state.firstAttemptAt;
    if (state.lastError !== undefined) item.lastError = state.lastError;
    const lease: SqsLease = { receiptHandle: record.receiptHandle, message, index };
    if (state.dueAt !== undefined) lease.dueAt = state.dueAt;
    leases.set(item, lease);
    return item;
  });
  return { items, message };
}

/**
 * The {@link DeliveryItem} in an SQS Lambda event record (or a message the adapter received) that holds one item,
 * with its receipt handle attached: pass the returned object to `SqsDeliveryQueue.ack`/`retry`, which delete the
 * message. Throws an Error naming the message when it does not hold exactly one delivery item: for bundles, see
 * `SqsDeliveryQueue.openRecord`.
 */
export function sqsRecordToDeliveryItem(record: SqsEventRecord): DeliveryItem {
  const { items } = recordToDeliveryItems(record, true);
  if (items.length !== 1) throw notAnItem(record, `it is a bundle of ${items.length} items`);
  return items[0]!;
}

/** How many times SQS has handed the message out, this time included (1 when the record does not say). */
export function receiveCountOf(record: Pick<SqsEventRecord, 'attributes'>): number {
  const count = Number(record.attributes.ApproximateReceiveCount);
  return Number.isSafeInteger(count) && count > 0 ? count : 1;
}

function notAnItem(record: Pick<SqsEventRecord, 'messageId'>, reason: string): Error {
  return new Error(`SQS message ${record.messageId} does not hold a delivery item: ${reason}`);
}
