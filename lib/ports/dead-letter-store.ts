import type { DeliveryError, NewDeliveryItem } from './delivery-queue.js';

/**
 * An item whose delivery is given up (docs/compatibility.md#dead-letters): permanent failure, or the retry policy
 * exhausted. It keeps the whole queue item, so a redrive re-enqueues exactly what was accepted (same id, hence same
 * `webhook-id`).
 */
export interface DeadLetterRecord {
  /** The queue item; `item.id` is the dead letter's id. */
  item: NewDeliveryItem;
  attempts: number;
  /** ms since the epoch. */
  firstAttemptAt: number;
  lastAttemptAt: number;
  deadAt: number;
  lastError: DeliveryError;
  /**
   * Set on a record a connection read that the gateway refused for good (it has no subscription or function yet);
   * absent on delivery dead letters.
   */
  connectionId?: string;
}

/** Fields left undefined match any value; an empty filter matches every record of the space. */
export interface DeadLetterFilter {
  subscriptionId?: string;
  functionId?: string;
}

export interface DeadLetterPage {
  records: DeadLetterRecord[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
}

/** Thrown by {@link DeadLetterStore.list} for a cursor it did not issue: the API answers 400. */
export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor');
    this.name = 'InvalidCursorError';
  }
}

/** Where dead letters live. Adapters: SQLite (local), DynamoDB (AWS). */
export interface DeadLetterStore {
  /** Inserts or replaces (keyed by space and item id). */
  put(record: DeadLetterRecord): Promise<void>;
  get(space: string, deadLetterId: string): Promise<DeadLetterRecord | undefined>;
  /**
   * Newest first (by deadAt, then id, both descending), filtered, at most `limit` (a positive integer) records per
   * page. Pages are keyed, not counted: records written or deleted meanwhile never shift the following pages.
   */
  list(space: string, filter: DeadLetterFilter, page: { limit: number; cursor?: string }): Promise<DeadLetterPage>;
  /** Returns false when there was nothing to delete. */
  delete(space: string, deadLetterId: string): Promise<boolean>;
  /** Deletes every record of the space that matches; returns how many. */
  deleteMatching(space: string, filter: DeadLetterFilter): Promise<number>;
  /** All records of every space (the dead-letter gauge). */
  count(): Promise<number>;
  close(): Promise<void>;
}
