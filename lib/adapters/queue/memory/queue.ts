import { DEFAULT_MAX_PENDING } from '../../../settings/defaults.js';
import {
  QueueFullError,
  type DeliveryError,
  type DeliveryItem,
  type DeliveryQueue,
  type NewDeliveryItem,
  type ReceiveOptions,
} from '../../../ports/delivery-queue.js';

export interface MemoryDeliveryQueueOptions {
  /** Pending items beyond which enqueue throws QueueFullError. @default 100000 */
  maxPending?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

interface Entry {
  item: DeliveryItem;
  /** When the item may be received again (due time, or lease expiry). */
  visibleAt: number;
  /** Token of the receive holding the item; undefined when it is not leased. */
  lease: number | undefined;
}

/**
 * A {@link DeliveryQueue} in process memory: not durable (a restart loses it). For tests and for runs that opt out
 * of durability; the local gateway uses the SQLite queue.
 *
 * Like the SQLite queue: enqueueing an id already stored replaces the item (fresh attempts, visible at once), and
 * settling the object `receive` returned only touches that lease, while any other object is settled by id.
 */
export class MemoryDeliveryQueue implements DeliveryQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly maxPending: number;
  private readonly now: () => number;
  private readonly waiters = new Set<() => void>();
  private readonly leases = new WeakMap<DeliveryItem, number>();
  private lastLease = 0;
  private closed = false;

  constructor(options: MemoryDeliveryQueueOptions = {}) {
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.now = options.now ?? Date.now;
  }

  async enqueue(items: readonly NewDeliveryItem[]): Promise<void> {
    this.assertOpen();
    if (items.length > 0 && this.entries.size + items.length > this.maxPending) {
      throw new QueueFullError(this.entries.size, this.maxPending);
    }
    const now = this.now();
    for (const item of items) {
      this.entries.set(item.id, { item: { ...item, attempts: 0 }, visibleAt: now, lease: undefined });
    }
    this.wake();
  }

  async receive(max: number, options: ReceiveOptions): Promise<DeliveryItem[]> {
    this.assertOpen();
    const { signal } = options;
    const deadline = performance.now() + Math.max(0, options.waitMs);
    for (;;) {
      if (this.closed || signal?.aborted) return [];
      const taken = this.take(max, options.leaseMs);
      const remaining = deadline - performance.now();
      if (taken.length > 0 || remaining <= 0) return taken;
      // Woken early by an enqueue, a retry or close; another receiver may have taken the item, so loop.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(remaining, this.msUntilNextVisible()));
        this.waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  async ack(item: DeliveryItem): Promise<void> {
    this.assertOpen();
    const entry = this.settleable(item);
    if (entry) this.entries.delete(item.id);
  }

  async retry(item: DeliveryItem, delayMs: number, error: DeliveryError): Promise<void> {
    this.assertOpen();
    const entry = this.settleable(item);
    if (!entry) return;
    const now = this.now();
    entry.item = {
      ...entry.item,
      attempts: entry.item.attempts + 1,
      firstAttemptAt: entry.item.firstAttemptAt ?? item.firstAttemptAt ?? now,
      lastError: { ...error },
    };
    entry.visibleAt = now + Math.max(0, delayMs);
    entry.lease = undefined;
    this.wake();
  }

  async postpone(item: DeliveryItem, delayMs: number): Promise<void> {
    this.assertOpen();
    const entry = this.settleable(item);
    if (!entry) return;
    // The entry stays where it is in the map: received in its order of arrival once due again.
    entry.visibleAt = this.now() + Math.max(0, delayMs);
    entry.lease = undefined;
    this.wake();
  }

  async pending(): Promise<number> {
    this.assertOpen();
    return this.entries.size;
  }

  /** Resolves waiting receives with no items; later calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake();
  }

  /** The stored entry `item` may settle: the same lease when `item` came from receive, else any entry of its id. */
  private settleable(item: DeliveryItem): Entry | undefined {
    const entry = this.entries.get(item.id);
    const lease = this.leases.get(item);
    if (!entry || (lease !== undefined && entry.lease !== lease)) return undefined;
    return entry;
  }

  private take(max: number, leaseMs: number): DeliveryItem[] {
    const now = this.now();
    const out: DeliveryItem[] = [];
    const lease = ++this.lastLease;
    for (const entry of this.entries.values()) {
      if (out.length >= max) break;
      if (entry.visibleAt > now) continue;
      entry.visibleAt = now + leaseMs;
      entry.lease = lease;
      // A copy: what the worker does with its object never reaches the stored entry.
      const item: DeliveryItem = { ...entry.item };
      if (entry.item.lastError) item.lastError = { ...entry.item.lastError };
      this.leases.set(item, lease);
      out.push(item);
    }
    return out;
  }

  private msUntilNextVisible(): number {
    let next = Infinity;
    const now = this.now();
    for (const entry of this.entries.values()) next = Math.min(next, entry.visibleAt - now);
    return Math.max(1, next);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the delivery queue is closed');
  }
}
