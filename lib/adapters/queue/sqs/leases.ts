/**
 * What settling a received item needs (its message's receipt handle, its place in the bundle, its due time), kept
 * beside the item by object, so that a DeliveryItem stays a plain object for its users.
 */
import type { DeliveryItem } from '../../../ports/delivery-queue.js';
import { decodeBundle } from './bundle.js';
import { notAnItem, type SqsEventRecord } from './message.js';

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
