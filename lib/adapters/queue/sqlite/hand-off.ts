/**
 * The hand-off: the items a commit stores are also kept in memory, in commit order, and receives take them from
 * there without a lease write and without parsing JSON back. See README.md#hand-off.
 */
import type { DeliveryItem } from '../../../ports/delivery-queue.js';
import type { WriteOp } from './group-commit.js';
import type { DueRow, Release, StoredRow } from './table.js';

/** An item committed by this process and held in its memory, handed to a receive without a lease write. */
export interface HeldItem {
  readonly item: DeliveryItem;
  /** The row's `lease`, written with the enqueue: an ack or retry of this hand-off matches the row by it. */
  readonly token: number;
  /** The row's due time and `seq`, to merge the hand-off with due rows of the table in their order. */
  readonly dueAt: number;
  readonly seq: number;
  /** Its share of `maxHandoffBytes`. */
  readonly bytes: number;
  /** When a receive took it: the end of that lease (it is released to the table then, if still unsettled). */
  leasedUntil: number | undefined;
}

/** What one receive takes: held items, and how many due rows of the table (the first ones in the table's order). */
export interface HandOffPlan {
  handed: HeldItem[];
  fromTable: number;
  /** Where the hand-off's head moves once the receive succeeds. */
  cursor: number;
}

export class HandOff {
  readonly #maxBytes: number;
  /** Held items in commit order from {@link #head}; an entry no longer in #held is skipped. */
  #queue: HeldItem[] = [];
  #head = 0;
  /** Every held item by id, waiting or handed to a receive: the current entry for an id. */
  readonly #held = new Map<string, HeldItem>();
  /** Estimated memory of the items in #held (see heldSize). */
  #heldBytes = 0;
  /** Held items handed to a receive and not settled yet. */
  readonly #handedOut = new Set<HeldItem>();
  /** No hand-off lease ends before this (it may be earlier than the true minimum, never later). */
  handedOutUntil = Infinity;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Sets which enqueue calls of a batch are held: in order, while they fit in `maxBytes`; none once closed. */
  assign(writes: readonly WriteOp[], closed: boolean): void {
    let room = this.#maxBytes - this.#heldBytes;
    for (const op of writes) {
      if (op.kind !== 'enqueue') continue;
      const bytes = op.rows.reduce((sum, row) => sum + heldSize(row), 0);
      op.held = !closed && bytes <= room;
      if (op.held) room -= bytes;
    }
  }

  /** Holds a committed row, due at `dueAt`, for the next receives. */
  hold(row: StoredRow, token: number, dueAt: number, seq: number): void {
    const held: HeldItem = { item: row.item, token, dueAt, seq, bytes: heldSize(row), leasedUntil: undefined };
    this.#held.set(row.item.id, held);
    this.#heldBytes += held.bytes;
    this.#queue.push(held);
  }

  /** The id was stored again (a redrive): whatever is held under it is stale now. */
  replaced(id: string): void {
    this.#forget(this.#held.get(id));
  }

  /** An ack or retry committed: the held item it settled (the same lease, or any when settled by id) is done. */
  settled(id: string, lease: number | undefined): void {
    const held = this.#held.get(id);
    if (held !== undefined && (lease === undefined || held.token === lease)) this.#forget(held);
  }

  hasWaiting(): boolean {
    for (let i = this.#head; i < this.#queue.length; i++) {
      if (this.#isCurrent(this.#queue[i] as HeldItem)) return true;
      this.#head = i + 1; // a stale entry at the head: skip it for good
    }
    return false;
  }

  /** A receive while nothing is held waiting: `fromTable` rows of the table only. */
  tableOnly(fromTable: number): HandOffPlan {
    return { handed: [], fromTable, cursor: this.#head };
  }

  /** Merges the waiting held items with the table's due rows, oldest due first, up to `max` in all. */
  plan(max: number, due: readonly DueRow[]): HandOffPlan {
    const handed: HeldItem[] = [];
    let cursor = this.#head;
    let fromTable = 0;
    while (handed.length + fromTable < max) {
      while (cursor < this.#queue.length && !this.#isCurrent(this.#queue[cursor] as HeldItem)) cursor++;
      const held = this.#queue[cursor];
      const row = due[fromTable];
      if (held !== undefined && (row === undefined || dueBefore(held, row))) {
        handed.push(held);
        cursor++;
      } else if (row !== undefined) {
        fromTable++;
      } else {
        break;
      }
    }
    return { handed, fromTable, cursor };
  }

  /** Hands out the planned held items under a lease that ends at `leasedUntil`. */
  handOut(plan: HandOffPlan, leasedUntil: number): void {
    this.#head = plan.cursor;
    this.#compact();
    for (const held of plan.handed) {
      held.leasedUntil = leasedUntil;
      this.#handedOut.add(held);
    }
    if (plan.handed.length > 0) this.handedOutUntil = Math.min(this.handedOutUntil, leasedUntil);
  }

  /** Hand-off leases that have ended (to release to the table), and the next end among the others. */
  expired(now: number): HeldItem[] {
    const expired: HeldItem[] = [];
    let next = Infinity;
    for (const held of this.#handedOut) {
      const until = held.leasedUntil ?? now;
      if (until <= now) expired.push(held);
      else next = Math.min(next, until);
    }
    this.handedOutUntil = next;
    return expired;
  }

  /** The expired items were released to the table: no longer held. */
  released(expired: readonly HeldItem[]): void {
    for (const held of expired) this.#forget(held);
  }

  #isCurrent(held: HeldItem): boolean {
    return held.leasedUntil === undefined && this.#held.get(held.item.id) === held;
  }

  #forget(held: HeldItem | undefined): void {
    if (held === undefined) return;
    if (this.#held.get(held.item.id) === held) {
      this.#held.delete(held.item.id);
      this.#heldBytes -= held.bytes;
    }
    this.#handedOut.delete(held);
  }

  /** Drops the consumed head of the queue once it is most of it. */
  #compact(): void {
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** The table rows that release expired hand-off leases: due when the lease ended. */
export function releasesOf(expired: readonly HeldItem[]): Release[] {
  return expired.map((held) => ({ id: held.item.id, lease: held.token, visibleAt: held.leasedUntil ?? 0 }));
}

/** Whether a held item falls due before a row of the table, in the table's order: due time, then `seq`. */
function dueBefore(held: HeldItem, row: DueRow): boolean {
  return held.dueAt < row.visible_at || (held.dueAt === row.visible_at && held.seq < row.seq);
}

/** Memory a held item takes, roughly: its strings (about its JSON) plus the objects around them. */
function heldSize(row: StoredRow): number {
  return row.json.length + row.item.event.length + 256;
}
