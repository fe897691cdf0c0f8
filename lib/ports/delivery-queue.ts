/** One (event, subscription) pair waiting for async delivery (docs/compatibility.md#durable-delivery). */
export interface NewDeliveryItem {
  /** Unique per (event, subscription); stable across retries and redrives. Also the `webhook-id` header. */
  id: string;
  space: string;
  subscriptionId: string;
  functionId: string;
  eventType: string;
  /** The event exactly as it will be sent: structured JSON in the event's own spec version. */
  event: string;
  /**
   * The `request` half of the authorizer payload (docs/compatibility.md#authorizers), as JSON, when the event came from
   * an HTTP request. Authorizers of async subscribers run in the worker, just before delivery
   * (docs/compatibility.md#durable-delivery).
   */
  authorizerRequest?: string;
  /** A system event (docs/compatibility.md#system-events): delivering it never emits further system events. */
  system: boolean;
  /** When the gateway accepted the event (ms since the epoch). */
  acceptedAt: number;
}

/** An item handed to a worker, leased until it is settled. */
export interface DeliveryItem extends NewDeliveryItem {
  /** Attempts made before this one. */
  attempts: number;
  firstAttemptAt?: number;
  lastError?: DeliveryError;
}

export interface DeliveryError {
  message: string;
  status?: number;
}

/** Thrown by {@link DeliveryQueue.enqueue} when pending items exceed the limit: the caller answers 429. */
export class QueueFullError extends Error {
  constructor(
    readonly pending: number,
    readonly limit: number,
  ) {
    super(`delivery queue full: ${pending} pending items (limit ${limit})`);
    this.name = 'QueueFullError';
  }
}

export interface ReceiveOptions {
  /** How long a received item stays invisible to other workers before it comes back. */
  leaseMs: number;
  /** Resolve with [] after this long when nothing is due. */
  waitMs: number;
  signal?: AbortSignal;
}

/**
 * Async fan-out: the router enqueues, delivery workers receive and settle. Adapters: in-memory (tests), SQLite
 * (local, durable), SQS (AWS).
 */
export interface DeliveryQueue {
  /**
   * Stores every item; resolves only once all are committed. Throws {@link QueueFullError} beyond the limit, before
   * storing anything of the call. An id that is already stored is replaced, with fresh attempts, by the local
   * adapters (a redrive); a queue that cannot tell (SQS) may hold it twice. Either way it is delivered at least once.
   */
  enqueue(items: readonly NewDeliveryItem[]): Promise<void>;
  /**
   * Leases up to `max` due items, roughly oldest due first (no strict order). With none due, waits up to `waitMs`
   * for one (woken by an enqueue, a retry falling due or a lease ending). Resolves with `[]` as soon as `signal`
   * aborts or the queue is closed, leasing nothing.
   */
  receive(max: number, options: ReceiveOptions): Promise<DeliveryItem[]>;
  /**
   * Settled for good (delivered, skipped, vetoed or dead-lettered): removes the item.
   *
   * Pass the object `receive` returned: it carries the lease (on SQS, the receipt handle). Settling an earlier lease
   * never removes the item enqueued again under the same id since. An ack may resolve before it is durable
   * (SQLite does): delivery is at-least-once, so a lost ack means the item comes again, never that it is lost.
   */
  ack(item: DeliveryItem): Promise<void>;
  /**
   * Another attempt after `delayMs`; `attempts` grows by one, `lastError` is replaced, and `firstAttemptAt` is set
   * (to now) if it was not. Pass the object `receive` returned, as for {@link ack}. Resolves once stored (committed, where durable).
   */
  retry(item: DeliveryItem, delayMs: number, error: DeliveryError): Promise<void>;
  /**
   * Not yet: the item falls due again after `delayMs` WITHOUT counting an attempt. `attempts`, `firstAttemptAt` and
   * `lastError` stay as they are, so no retry policy or dead letter ever sees it (a delivery held back by its
   * function's rate or concurrency limit, docs/limits.md). The item keeps its place among items due as far as the
   * queue allows. Pass the object `receive` returned, as for {@link ack}. Resolves once stored.
   */
  postpone(item: DeliveryItem, delayMs: number): Promise<void>;
  /**
   * Optional: ends the lease of an item that will not be settled (its delivery was cancelled by a shutdown), so that
   * it can be received again at once. A queue whose next start releases every lease anyway (SQLite) need not have it.
   */
  release?(item: DeliveryItem): Promise<void>;
  /** Items stored and not yet acked (leased ones included). */
  pending(): Promise<number>;
  /** Makes queued writes durable, ends waiting receives with `[]`; later calls reject. Idempotent. */
  close(): Promise<void>;
}
