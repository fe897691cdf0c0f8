/**
 * The local-mode {@link DeliveryQueue}: a table in the gateway's SQLite file (table.ts), written through one group
 * commit (group-commit.ts), with the items this process committed handed to receives from memory (hand-off.ts)
 * under leases (leases.ts). How it works, and what each call promises: README.md.
 */
import { DEFAULT_MAX_PENDING } from '../../../settings/defaults.js';
import {
  QueueFullError,
  type DeliveryError,
  type DeliveryItem,
  type DeliveryQueue,
  type NewDeliveryItem,
  type ReceiveOptions,
} from '../../../ports/delivery-queue.js';
import type { SqliteDatabase } from '../../sqlite/index.js';
import { nonNegative, reportError, tell } from '../support.js';
import { GroupCommit, isWrite, type Op, type ReceiveOp, type WriteOp } from './group-commit.js';
import { HandOff, releasesOf, type HandOffPlan } from './hand-off.js';
import { ItemLeases, nextLeaseToken } from './leases.js';
import { QueueTable, rowToItem, toStoredRow, type DueRow, type Row } from './table.js';

export interface SqliteDeliveryQueueOptions {
  /** Pending items beyond which enqueue throws QueueFullError. @default 100000 */
  maxPending?: number;
  /**
   * `'process'`: a commit survives a crash of the gateway process (WAL, `synchronous = NORMAL`).
   * `'power'`: it also survives power loss or an OS crash (`synchronous = FULL`: an fsync per commit).
   * `synchronous` belongs to the connection, so it applies to everything else written through it too.
   * @default 'process'
   */
  durability?: 'process' | 'power';
  /**
   * Longest a commit that holds enqueued items waits to gather more. 0 commits on the next turn of the event loop
   * (`setImmediate`), which already gathers every request handled in the current turn.
   * @default 0
   */
  maxLingerMs?: number;
  /**
   * Items (enqueued, acked or retried) per commit at most. A single enqueue call is never split: a larger one
   * commits alone.
   * @default 5000
   */
  maxBatchItems?: number;
  /**
   * Memory the hand-off (README.md#hand-off) may hold, estimated from the items' JSON. Beyond it, new items are stored
   * visible and received through the table, leased by a write, as after a restart.
   * @default 33554432 (32 MiB)
   */
  maxHandoffBytes?: number;
  /**
   * Called after each commit that carried enqueue calls, with how many calls and items it stored (the
   * commits-vs-items metric). Commits of only acks, retries and leases are not reported.
   */
  onCommit?: (stats: { calls: number; items: number }) => void;
  /**
   * Told about failures nobody awaits: a group commit that failed while holding acks (they had resolved; their
   * items come back after the lease and are delivered again), or an `onCommit` callback that threw.
   * @default emits a process warning
   */
  onError?: (error: unknown) => void;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/**
 * The local-mode {@link DeliveryQueue} (README.md). `enqueue` and `retry` resolve once committed; `ack` resolves at
 * once and is committed with the next group commit. Settle the object `receive` returned. Enqueueing an id that is
 * already stored replaces the item. `maxPending` assumes this is the only writer of the table.
 */
export class SqliteDeliveryQueue implements DeliveryQueue {
  readonly #maxPending: number;
  readonly #onCommit: ((stats: { calls: number; items: number }) => void) | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #now: () => number;
  readonly #table: QueueTable;
  readonly #groupCommit: GroupCommit;
  readonly #handOff: HandOff;
  readonly #leases = new ItemLeases();

  /** Items stored or accepted for the next commit, and not acked by a committed ack. */
  #pending: number;
  readonly #waiters = new Set<() => void>();
  #closed = false;
  /**
   * No row of the table falls due before this, held rows aside (a lower bound, like the hand-off's
   * `handedOutUntil`): while it is ahead, a receive does not query the table. Lowered by every write that makes a
   * row due; read again from the table when a query finds nothing due.
   */
  #tableNextDue: number;

  constructor(db: SqliteDatabase, options: SqliteDeliveryQueueOptions = {}) {
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#onCommit = options.onCommit;
    this.#onError = options.onError ?? reportError;
    this.#now = options.now ?? Date.now;
    this.#handOff = new HandOff(Math.max(0, options.maxHandoffBytes ?? 32 * 1024 * 1024));
    this.#groupCommit = new GroupCommit({
      maxLingerMs: Math.max(0, options.maxLingerMs ?? 0),
      maxBatchItems: Math.max(1, options.maxBatchItems ?? 5000),
      commit: (batch) => this.#commit(batch),
    });

    this.#table = new QueueTable(db);
    db.pragma(options.durability === 'power' ? 'synchronous = FULL' : 'synchronous = NORMAL');
    this.#table.releaseEveryLease(Math.ceil(this.#now()));
    this.#pending = this.#table.count();
    this.#tableNextDue = this.#table.nextDue();
  }

  async enqueue(items: readonly NewDeliveryItem[]): Promise<void> {
    this.#assertOpen();
    if (items.length === 0) return;
    if (this.#pending + items.length > this.#maxPending) throw new QueueFullError(this.#pending, this.#maxPending);
    const rows = items.map(toStoredRow);
    this.#pending += rows.length;
    return new Promise<void>((resolve, reject) =>
      this.#groupCommit.submit({ kind: 'enqueue', rows, token: nextLeaseToken(), resolve, reject }),
    );
  }

  async receive(max: number, options: ReceiveOptions): Promise<DeliveryItem[]> {
    this.#assertOpen();
    const limit = Math.floor(max);
    const leaseMs = nonNegative(options.leaseMs, 'leaseMs');
    const waitMs = nonNegative(options.waitMs, 'waitMs');
    const { signal } = options;
    if (!(limit >= 1)) return [];
    const deadline = performance.now() + waitMs;
    for (;;) {
      if (this.#closed || signal?.aborted) return [];
      const items = await new Promise<DeliveryItem[]>((resolve, reject) =>
        this.#groupCommit.submit({ kind: 'receive', max: limit, leaseMs, signal, resolve, reject }),
      );
      if (items.length > 0) return items;
      const remaining = deadline - performance.now();
      if (remaining <= 0 || this.#closed || signal?.aborted) return [];
      // Sleeps until the next item falls due or a lease ends; enqueues and retries wake it earlier.
      await this.#sleep(Math.min(remaining, this.#msUntilNextVisible()), signal);
    }
  }

  async ack(item: DeliveryItem): Promise<void> {
    this.#assertOpen();
    this.#groupCommit.submit({ kind: 'ack', id: item.id, lease: this.#leases.of(item) });
  }

  async retry(item: DeliveryItem, delayMs: number, error: DeliveryError): Promise<void> {
    this.#assertOpen();
    const delay = nonNegative(delayMs, 'delayMs');
    if (typeof error.message !== 'string') throw new TypeError('retry: error.message must be a string');
    if (error.status !== undefined && !Number.isSafeInteger(error.status)) {
      throw new TypeError('retry: error.status must be an integer');
    }
    const now = this.#now();
    return new Promise<void>((resolve, reject) =>
      this.#groupCommit.submit({
        kind: 'retry',
        id: item.id,
        lease: this.#leases.of(item),
        visibleAt: Math.ceil(now + delay),
        attemptAt: Math.floor(item.firstAttemptAt ?? now),
        error: error.status === undefined ? { message: error.message } : { message: error.message, status: error.status },
        resolve,
        reject,
      }),
    );
  }

  async postpone(item: DeliveryItem, delayMs: number): Promise<void> {
    this.#assertOpen();
    const delay = nonNegative(delayMs, 'delayMs');
    const visibleAt = Math.ceil(this.#now() + delay);
    return new Promise<void>((resolve, reject) =>
      this.#groupCommit.submit({ kind: 'postpone', id: item.id, lease: this.#leases.of(item), visibleAt, resolve, reject }),
    );
  }

  /** Waits for the operations already queued (acks included) to commit, so it reflects them. */
  async pending(): Promise<number> {
    this.#assertOpen();
    if (this.#groupCommit.queued > 0) await new Promise<void>((resolve) => this.#groupCommit.submit({ kind: 'barrier', resolve }));
    return this.#pending;
  }

  /**
   * Commits every queued enqueue, ack and retry, resolves waiting receives with no items, and rejects later calls.
   * The Database stays open: its owner closes it after every adapter using it. Items still held in memory stay
   * leased in the table; the next start releases them.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#groupCommit.flush();
    this.#wake();
  }

  /** Writes the batch's enqueues, acks and retries in one transaction, then serves its receives and barriers. */
  #commit(batch: Op[]): void {
    const writes = batch.filter(isWrite);
    if (writes.length > 0) {
      const now = Math.floor(this.#now());
      if (this.#commitWrites(writes, now)) this.#afterWrites(writes, now);
    }
    for (const op of batch) {
      if (op.kind === 'receive') this.#serveReceive(op);
      else if (op.kind === 'barrier') op.resolve();
    }
  }

  /** True when committed; otherwise every op of the batch has been failed. */
  #commitWrites(writes: WriteOp[], now: number): boolean {
    this.#handOff.assign(writes, this.#closed);
    try {
      this.#table.write(writes, now);
      return true;
    } catch (error) {
      this.#failBatch(writes, error);
      return false;
    }
  }

  /** The in-memory side of a committed batch, in the batch's order. */
  #afterWrites(writes: WriteOp[], dueAt: number): void {
    let calls = 0;
    let items = 0;
    let madeVisible = false;
    for (const op of writes) {
      switch (op.kind) {
        case 'enqueue':
          if (op.error !== undefined) {
            this.#pending -= op.rows.length;
            op.reject(op.error);
            break;
          }
          this.#pending -= op.rows.length - (op.inserted ?? 0);
          calls++;
          items += op.rows.length;
          madeVisible = true;
          if (!op.held) this.#tableNextDue = Math.min(this.#tableNextDue, dueAt);
          for (const [index, row] of op.rows.entries()) {
            // Replaced (a redrive): whatever this process held under the id is stale now.
            this.#handOff.replaced(row.item.id);
            if (op.held) this.#handOff.hold(row, op.token, dueAt, op.seqs?.[index] ?? 0);
          }
          op.resolve();
          break;
        case 'ack':
          this.#pending -= op.deleted ?? 0;
          this.#handOff.settled(op.id, op.lease);
          break;
        case 'retry':
        case 'postpone':
          this.#handOff.settled(op.id, op.lease);
          this.#tableNextDue = Math.min(this.#tableNextDue, op.visibleAt);
          madeVisible = true;
          op.resolve();
          break;
      }
    }
    if (calls > 0 && this.#onCommit) {
      try {
        this.#onCommit({ calls, items });
      } catch (error) {
        this.#report(error);
      }
    }
    if (madeVisible) this.#wake();
  }

  #failBatch(writes: WriteOp[], error: unknown): void {
    let lostAcks = 0;
    for (const op of writes) {
      switch (op.kind) {
        case 'enqueue':
          this.#pending -= op.rows.length;
          op.reject(error);
          break;
        case 'retry':
        case 'postpone':
          op.reject(error);
          break;
        case 'ack':
          lostAcks++;
          break;
      }
    }
    if (lostAcks > 0) {
      this.#report(
        new Error(`delivery queue: a commit of ${lostAcks} acks failed; those items will be delivered again`, {
          cause: error,
        }),
      );
    }
  }

  /**
   * Hot path: hands out held items first in line and leases due rows of the table, merged oldest due first. While
   * nothing in the table is due, as under a steady load, it neither queries nor writes the table. Expired hand-off
   * leases are released to the table first.
   */
  #serveReceive(op: ReceiveOp): void {
    if (this.#closed || op.signal?.aborted) {
      op.resolve([]);
      return;
    }
    const now = Math.floor(this.#now());
    if (now >= this.#handOff.handedOutUntil && !this.#releaseExpiredHandOuts(now, op)) return;

    const tableMayHaveDue = now >= this.#tableNextDue;
    let due: DueRow[] | undefined;
    let plan: HandOffPlan;
    if (!this.#handOff.hasWaiting()) {
      plan = this.#handOff.tableOnly(tableMayHaveDue ? op.max : 0);
    } else {
      due = tableMayHaveDue ? this.#table.selectDue(now, op.max) : [];
      plan = this.#handOff.plan(op.max, due);
    }
    const { handed, fromTable } = plan;

    const leasedUntil = Math.ceil(now + op.leaseMs);
    const lease = nextLeaseToken();
    let rows: Row[] = [];
    try {
      if (fromTable > 0) rows = this.#table.leaseDue(leasedUntil, lease, now, fromTable);
      // Every due row taken: until the next write that makes one due, the table's next due time is known.
      const tookEveryDueRow = due === undefined ? rows.length < fromTable : due.length < op.max && fromTable === due.length;
      if (tableMayHaveDue && tookEveryDueRow) this.#tableNextDue = this.#table.nextDue();
    } catch (error) {
      op.reject(error);
      return;
    }

    this.#handOff.handOut(plan, leasedUntil);
    const items: DeliveryItem[] = [];
    for (const held of handed) {
      this.#leases.set(held.item, held.token);
      items.push(held.item);
    }
    try {
      for (const row of rows) {
        const item = rowToItem(row);
        this.#leases.set(item, lease);
        items.push(item);
      }
    } catch (error) {
      // A row that is not valid JSON: its lease ends and it comes back; the caller hears of it. The held items it
      // got are leased and come back too.
      op.reject(error);
      return;
    }
    op.resolve(items);
  }

  /** Releases the held items whose hand-off lease ended unsettled to the table. False (op rejected) on failure. */
  #releaseExpiredHandOuts(now: number, op: ReceiveOp): boolean {
    const expired = this.#handOff.expired(now);
    if (expired.length === 0) return true;
    try {
      this.#table.release(releasesOf(expired));
    } catch (error) {
      this.#handOff.handedOutUntil = now; // still out: look again next time
      op.reject(error);
      return false;
    }
    this.#handOff.released(expired);
    this.#tableNextDue = Math.min(this.#tableNextDue, now);
    this.#wake();
    return true;
  }

  #msUntilNextVisible(): number {
    const next = Math.min(this.#tableNextDue, this.#handOff.handedOutUntil);
    return Number.isFinite(next) ? Math.max(1, next - this.#now()) : Infinity;
  }

  #sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #report(error: unknown): void {
    tell(this.#onError, error);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the delivery queue is closed');
  }
}
