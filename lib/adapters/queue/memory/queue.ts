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
}

/**
 * A {@link DeliveryQueue} in process memory: not durable (a restart loses it). For tests and for runs that opt out
 * of durability; the local gateway uses the SQLite queue.
 */
export class MemoryDeliveryQueue implements DeliveryQueue {
  private readonly entries = new Map<string, Entry>();
  private readonly maxPending: number;
  private readonly now: () => number;
  private waiters = new Set<() => void>();

  constructor(options: MemoryDeliveryQueueOptions = {}) {
    this.maxPending = options.maxPending ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  async enqueue(items: readonly NewDeliveryItem[]): Promise<void> {
    if (this.entries.size + items.length > this.maxPending && items.length > 0) {
      throw new QueueFullError(this.entries.size, this.maxPending);
    }
    const now = this.now();
    for (const item of items) this.entries.set(item.id, { item: { ...item, attempts: 0 }, visibleAt: now });
    this.wake();
  }

  async receive(max: number, options: ReceiveOptions): Promise<DeliveryItem[]> {
    const taken = this.take(max, options.leaseMs);
    if (taken.length > 0 || options.waitMs <= 0) return taken;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        options.signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(options.waitMs, this.msUntilNextVisible()));
      this.waiters.add(done);
      options.signal?.addEventListener('abort', done, { once: true });
    });
    return this.take(max, options.leaseMs);
  }

  async ack(item: DeliveryItem): Promise<void> {
    this.entries.delete(item.id);
  }

  async retry(item: DeliveryItem, delayMs: number, error: DeliveryError): Promise<void> {
    const entry = this.entries.get(item.id);
    if (!entry) return;
    const now = this.now();
    entry.item = { ...entry.item, attempts: item.attempts + 1, firstAttemptAt: item.firstAttemptAt ?? now, lastError: error };
    entry.visibleAt = now + delayMs;
  }

  async pending(): Promise<number> {
    return this.entries.size;
  }

  async close(): Promise<void> {
    this.wake();
  }

  private take(max: number, leaseMs: number): DeliveryItem[] {
    const now = this.now();
    const out: DeliveryItem[] = [];
    for (const entry of this.entries.values()) {
      if (out.length >= max) break;
      if (entry.visibleAt > now) continue;
      entry.visibleAt = now + leaseMs;
      out.push(entry.item);
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
}
