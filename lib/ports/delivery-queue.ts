/** One (event, subscription) pair waiting for async delivery (design §2.1). */
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
   * The `request` half of the authorizer payload (spec §6), as JSON, when the event came from an HTTP request.
   * Authorizers of async subscribers run in the worker, just before delivery (design §2.1).
   */
  authorizerRequest?: string;
  /** A system event (spec §9): delivering it never emits further system events. */
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
  /** Stores every item; resolves only once all are committed. Throws {@link QueueFullError} beyond the limit. */
  enqueue(items: readonly NewDeliveryItem[]): Promise<void>;
  /** Leases up to `max` due items. */
  receive(max: number, options: ReceiveOptions): Promise<DeliveryItem[]>;
  /** Settled for good (delivered, skipped, vetoed or dead-lettered): removes the item. */
  ack(item: DeliveryItem): Promise<void>;
  /** Another attempt after `delayMs`; `attempts` grows by one and `lastError` is kept. */
  retry(item: DeliveryItem, delayMs: number, error: DeliveryError): Promise<void>;
  /** Items stored and not yet acked (leased ones included). */
  pending(): Promise<number>;
  close(): Promise<void>;
}
