/**
 * Bundles: many items in one message, each with its delivery state. A message whose body is one JSON object is the
 * single-item format before bundles (message.ts), read as a bundle of one.
 */
import type { NewDeliveryItem } from '../../../ports/delivery-queue.js';
import {
  STORED_FIELDS,
  decodeDeliveryItem,
  decodeDeliveryState,
  itemFields,
  lastErrorOf,
  notAnItem,
  sqsSafeJson,
  wholeNumber,
  type DeliveryState,
  type SqsEventRecord,
} from './message.js';

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
