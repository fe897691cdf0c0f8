/**
 * Leases: a receive makes items invisible until its lease ends, under a token that the settlement of the object it
 * returned must match. See README.md#leases.
 */
import type { DeliveryItem } from '../../../ports/delivery-queue.js';

/** Lease tokens: unique within the process, and unlikely to meet another process's on the same file. */
let lastLease = Math.floor(Math.random() * 2 ** 40);

export function nextLeaseToken(): number {
  return ++lastLease;
}

/**
 * The lease of each object a receive returned, so that its ack or retry touches the row only while that lease holds
 * it (not an item enqueued again under the same id). Other objects are settled by id alone.
 */
export class ItemLeases {
  readonly #leases = new WeakMap<DeliveryItem, number>();

  of(item: DeliveryItem): number | undefined {
    return this.#leases.get(item);
  }

  set(item: DeliveryItem, lease: number): void {
    this.#leases.set(item, lease);
  }
}
