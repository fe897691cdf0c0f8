import {
  QueueFullError,
  type DeliveryError,
  type DeliveryItem,
  type DeliveryQueue,
  type NewDeliveryItem,
  type ReceiveOptions,
} from '../../../ports/delivery-queue.js';
import { migrate } from '../../sqlite/index.js';
import type { SqliteDatabase } from '../../sqlite/index.js';
import { nonNegative, reportError, tell } from '../support.js';

/**
 * The queue's schema history (see {@link migrate}); append, never edit.
 *
 * One row per item: the item itself as one JSON text, plus the columns the queue works on. `visible_at` is both the
 * due time and the lease expiry (a leased item is simply not visible yet); `lease` is the token of the receive that
 * holds the item, so a settlement of an older lease never touches an item enqueued again under the same id.
 * Since step 2 the item's `event`, itself JSON text, has a column of its own rather than being escaped inside
 * `item` (rows written before keep it in `item`).
 */
export const QUEUE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE delivery_queue (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     visible_at INTEGER NOT NULL,
     lease INTEGER,
     attempts INTEGER NOT NULL DEFAULT 0,
     first_attempt_at INTEGER,
     last_error_message TEXT,
     last_error_status INTEGER,
     item TEXT NOT NULL
   ) STRICT;
   CREATE INDEX delivery_queue_by_visible_at ON delivery_queue (visible_at);`,
  `ALTER TABLE delivery_queue ADD COLUMN event TEXT;`,
];

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
   * Memory the hand-off (see the class) may hold, estimated from the items' JSON. Beyond it, new items are stored
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
 * `visible_at` of a row held in this process's memory (see the hand-off in {@link SqliteDeliveryQueue}): never due,
 * so only the process holding it hands it out. Its `lease` is set too, so the start of the next process releases
 * it like any lease: a crash loses nothing.
 */
const HELD = Number.MAX_SAFE_INTEGER;

type Row = {
  id: string;
  attempts: number;
  first_attempt_at: number | null;
  last_error_message: string | null;
  last_error_status: number | null;
  item: string;
  event: string | null;
};

/** One item of an enqueue call: the object a receive will get, and its stored JSON (without `event`). */
interface StoredRow {
  item: DeliveryItem;
  json: string;
}

interface EnqueueOp {
  kind: 'enqueue';
  rows: StoredRow[];
  /** The `lease` the rows are written with when they are held in memory. */
  token: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Set by the write pass: whether the rows are held, how many were new, and each row's `seq`. */
  held?: boolean;
  inserted?: number;
  seqs?: number[];
  error?: unknown;
}
interface AckOp {
  kind: 'ack';
  id: string;
  lease: number | undefined;
  /** Set by the write pass: rows deleted. */
  deleted?: number;
}
interface RetryOp {
  kind: 'retry';
  id: string;
  lease: number | undefined;
  visibleAt: number;
  attemptAt: number;
  error: DeliveryError;
  resolve: () => void;
  reject: (error: unknown) => void;
}
interface ReceiveOp {
  kind: 'receive';
  max: number;
  leaseMs: number;
  signal: AbortSignal | undefined;
  resolve: (items: DeliveryItem[]) => void;
  reject: (error: unknown) => void;
}
interface BarrierOp {
  kind: 'barrier';
  resolve: () => void;
}
type Op = EnqueueOp | AckOp | RetryOp | ReceiveOp | BarrierOp;
type WriteOp = EnqueueOp | AckOp | RetryOp;

/** An item committed by this process and held in its memory, handed to a receive without a lease write. */
interface HeldItem {
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

/** Lease tokens: unique within the process, and unlikely to meet another process's on the same file. */
let lastLease = Math.floor(Math.random() * 2 ** 40);

/**
 * The local-mode {@link DeliveryQueue}: a table in the gateway's SQLite file, written through one group-commit
 * pipeline.
 *
 * **Group commit.** Every write (enqueue, ack, retry) joins a queue of operations that is committed as one
 * `BEGIN IMMEDIATE` transaction on the next turn of the event loop (or after `maxLingerMs`), so N concurrent
 * requests cost one commit instead of N. A failing enqueue call is rejected alone: the batch is first written
 * without savepoints, and only when a call fails is it written again with a savepoint per call.
 *
 * **Hand-off.** The items a commit stores are also kept in memory, in commit order, and receives take them from
 * there: a delivery costs two writes (the insert and the ack's delete), not three, and no JSON is parsed back. Such
 * rows are written already leased by this process (`visible_at` {@link HELD}, `lease` the enqueue's token), so a
 * crash loses nothing: the next start releases every lease. A hand-off lease that ends unsettled releases the row
 * to the table. Receives merge the hand-off with the table's due rows (retries, released leases, items of an
 * earlier process), oldest due first, and lease those rows with one statement of their own. At most
 * `maxHandoffBytes` are held; beyond that, items are stored visible.
 *
 * **Settlement promises.**
 * - `enqueue` and `retry` resolve after their commit: the 202 of an event, and the attempt count the retry policy
 *   relies on, are never promised before they are durable.
 * - `ack` resolves at once and is committed with the next group commit. That is safe because delivery is
 *   at-least-once: an ack lost in a crash leaves the item in the table, leased; it comes back and is delivered
 *   again (a duplicate the receiver de-duplicates by `webhook-id`), never lost. It lets the acks of many deliveries
 *   share the next group commit. {@link close} commits every queued ack.
 *
 * **Leases.** `receive` makes items invisible until `now + leaseMs`. Settle the object `receive` returned: its lease
 * is remembered, so the ack or retry of an old lease cannot touch an item enqueued again under the same id. Any
 * other object with the item's id is settled by id alone. At construction, leases left by an earlier process are
 * released, so items that were in flight when the gateway stopped or crashed are redelivered at once.
 *
 * **Enqueueing an id that is already stored** replaces the item: fresh attempts, visible at once (a redrive).
 *
 * `maxPending` is counted in memory, from the table's count at construction plus every call accepted since
 * (before its commit), minus committed acks; it assumes this is the only writer of the table.
 */
export class SqliteDeliveryQueue implements DeliveryQueue {
  readonly #db: SqliteDatabase;
  readonly #maxPending: number;
  readonly #maxLingerMs: number;
  readonly #maxBatchItems: number;
  readonly #maxHandoffBytes: number;
  readonly #onCommit: ((stats: { calls: number; items: number }) => void) | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #now: () => number;

  /** Items stored or accepted for the next commit, and not acked by a committed ack. */
  #pending: number;
  readonly #ops: Op[] = [];
  /** Items (enqueued, acked, retried) in {@link #ops}. */
  #queuedWeight = 0;
  #immediate: NodeJS.Immediate | undefined;
  #lingerTimer: NodeJS.Timeout | undefined;
  readonly #leases = new WeakMap<DeliveryItem, number>();
  readonly #waiters = new Set<() => void>();
  #closed = false;

  /** The hand-off: held items in commit order from {@link #handoffHead}; an entry no longer in #held is skipped. */
  #handoff: HeldItem[] = [];
  #handoffHead = 0;
  /** Every held item by id, waiting or handed to a receive: the current entry for an id. */
  readonly #held = new Map<string, HeldItem>();
  /** Estimated memory of the items in #held (see heldSize). */
  #heldBytes = 0;
  /** Held items handed to a receive and not settled yet. */
  readonly #handedOut = new Set<HeldItem>();
  /** No hand-off lease ends before this (it may be earlier than the true minimum, never later). */
  #handedOutUntil = Infinity;
  /**
   * No row of the table falls due before this, held rows aside (a lower bound, like #handedOutUntil): while it is
   * ahead, a receive does not query the table. Lowered by every write that makes a row due; read again from the
   * table when a query finds nothing due.
   */
  #tableNextDue: number;

  readonly #insert;
  readonly #replace;
  readonly #ackByLease;
  readonly #ackById;
  readonly #retryByLease;
  readonly #retryById;
  readonly #lease;
  readonly #selectDue;
  readonly #release;
  readonly #selectNextVisibleAt;
  readonly #enqueueCall;
  readonly #writeBatch;
  readonly #releaseAll;

  constructor(db: SqliteDatabase, options: SqliteDeliveryQueueOptions = {}) {
    this.#db = db;
    this.#maxPending = options.maxPending ?? 100_000;
    this.#maxLingerMs = Math.max(0, options.maxLingerMs ?? 0);
    this.#maxBatchItems = Math.max(1, options.maxBatchItems ?? 5000);
    this.#maxHandoffBytes = Math.max(0, options.maxHandoffBytes ?? 32 * 1024 * 1024);
    this.#onCommit = options.onCommit;
    this.#onError = options.onError ?? reportError;
    this.#now = options.now ?? Date.now;

    migrate(db, 'queue', QUEUE_MIGRATIONS);
    db.pragma(options.durability === 'power' ? 'synchronous = FULL' : 'synchronous = NORMAL');

    this.#insert = db.prepare<[id: string, visibleAt: number, lease: number | null, item: string, event: string]>(
      'INSERT INTO delivery_queue (id, visible_at, lease, item, event) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    );
    this.#replace = db
      .prepare<[visibleAt: number, lease: number | null, item: string, event: string, id: string], number>(
        'UPDATE delivery_queue SET visible_at = ?, lease = ?, item = ?, event = ?, attempts = 0, first_attempt_at = NULL, ' +
          'last_error_message = NULL, last_error_status = NULL WHERE id = ? RETURNING seq',
      )
      .pluck();
    this.#ackByLease = db.prepare<[id: string, lease: number]>('DELETE FROM delivery_queue WHERE id = ? AND lease = ?');
    this.#ackById = db.prepare<[id: string]>('DELETE FROM delivery_queue WHERE id = ?');
    const retrySet =
      'UPDATE delivery_queue SET visible_at = ?, lease = NULL, attempts = attempts + 1, ' +
      'first_attempt_at = coalesce(first_attempt_at, ?), last_error_message = ?, last_error_status = ? WHERE id = ?';
    type RetryParams = [visibleAt: number, attemptAt: number, message: string, status: number | null, id: string];
    this.#retryByLease = db.prepare<[...RetryParams, lease: number]>(`${retrySet} AND lease = ?`);
    this.#retryById = db.prepare<RetryParams>(retrySet);
    // One statement leases a whole batch of due items, oldest due first; #selectDue reads the same order.
    this.#lease = db.prepare<[leasedUntil: number, lease: number, now: number, max: number], Row>(
      'UPDATE delivery_queue SET visible_at = ?, lease = ? WHERE seq IN (' +
        'SELECT seq FROM delivery_queue WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT ?) ' +
        'RETURNING id, attempts, first_attempt_at, last_error_message, last_error_status, item, event',
    );
    this.#selectDue = db.prepare<[now: number, max: number], { seq: number; visible_at: number }>(
      'SELECT seq, visible_at FROM delivery_queue WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT ?',
    );
    this.#release = db.prepare<[visibleAt: number, id: string, lease: number]>(
      'UPDATE delivery_queue SET visible_at = ?, lease = NULL WHERE id = ? AND lease = ?',
    );
    this.#selectNextVisibleAt = db
      .prepare<[], number | null>('SELECT min(visible_at) FROM delivery_queue')
      .pluck();

    // Nested in the batch's transaction, it runs as a savepoint: a failing call rolls back alone.
    this.#enqueueCall = db.transaction((op: EnqueueOp, now: number) => this.#storeRows(op, now));
    this.#writeBatch = db.transaction((batch: WriteOp[], now: number, isolateCalls: boolean): void => {
      for (const op of batch) {
        switch (op.kind) {
          case 'enqueue':
            if (!isolateCalls) {
              this.#storeRows(op, now);
              break;
            }
            op.error = undefined;
            try {
              this.#enqueueCall(op, now);
            } catch (error) {
              // SQLite may have rolled back the whole transaction (disk full, I/O): then the batch fails.
              if (!db.inTransaction) throw error;
              op.error = error;
            }
            break;
          case 'ack':
            op.deleted = (op.lease === undefined ? this.#ackById.run(op.id) : this.#ackByLease.run(op.id, op.lease)).changes;
            break;
          case 'retry': {
            const { visibleAt, attemptAt, error } = op;
            const status = error.status ?? null;
            if (op.lease === undefined) this.#retryById.run(visibleAt, attemptAt, error.message, status, op.id);
            else this.#retryByLease.run(visibleAt, attemptAt, error.message, status, op.id, op.lease);
            break;
          }
        }
      }
    }).immediate;
    this.#releaseAll = db.transaction((expired: readonly HeldItem[]): void => {
      for (const held of expired) this.#release.run(held.leasedUntil ?? 0, held.item.id, held.token);
    }).immediate;

    db.prepare<[number]>('UPDATE delivery_queue SET visible_at = min(visible_at, ?), lease = NULL WHERE lease IS NOT NULL').run(
      Math.ceil(this.#now()),
    );
    this.#pending = db.prepare<[], number>('SELECT count(*) FROM delivery_queue').pluck().get() ?? 0;
    this.#tableNextDue = this.#readTableNextDue();
  }

  async enqueue(items: readonly NewDeliveryItem[]): Promise<void> {
    this.#assertOpen();
    if (items.length === 0) return;
    if (this.#pending + items.length > this.#maxPending) throw new QueueFullError(this.#pending, this.#maxPending);
    const rows = items.map(toStoredRow);
    this.#pending += rows.length;
    return new Promise<void>((resolve, reject) =>
      this.#submit({ kind: 'enqueue', rows, token: ++lastLease, resolve, reject }),
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
        this.#submit({ kind: 'receive', max: limit, leaseMs, signal, resolve, reject }),
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
    this.#submit({ kind: 'ack', id: item.id, lease: this.#leases.get(item) });
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
      this.#submit({
        kind: 'retry',
        id: item.id,
        lease: this.#leases.get(item),
        visibleAt: Math.ceil(now + delay),
        attemptAt: Math.floor(item.firstAttemptAt ?? now),
        error: error.status === undefined ? { message: error.message } : { message: error.message, status: error.status },
        resolve,
        reject,
      }),
    );
  }

  /** Waits for the operations already queued (acks included) to commit, so it reflects them. */
  async pending(): Promise<number> {
    this.#assertOpen();
    if (this.#ops.length > 0) await new Promise<void>((resolve) => this.#submit({ kind: 'barrier', resolve }));
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
    this.#flush();
    this.#wake();
  }

  #submit(op: Op): void {
    this.#ops.push(op);
    this.#queuedWeight += weightOf(op);
    if (this.#queuedWeight >= this.#maxBatchItems) {
      this.#flushOnNextTurn();
    } else if (this.#immediate === undefined && this.#lingerTimer === undefined) {
      if (op.kind === 'enqueue' && this.#maxLingerMs > 0) {
        this.#lingerTimer = setTimeout(() => this.#flush(), this.#maxLingerMs);
      } else {
        this.#flushOnNextTurn();
      }
    }
  }

  #flushOnNextTurn(): void {
    if (this.#lingerTimer !== undefined) {
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = undefined;
    }
    this.#immediate ??= setImmediate(() => this.#flush());
  }

  /** Commits every queued operation, in order, in transactions of at most `maxBatchItems` items. */
  #flush(): void {
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#immediate = undefined;
    this.#lingerTimer = undefined;
    while (this.#ops.length > 0) {
      let weight = 0;
      let end = 0;
      for (; end < this.#ops.length; end++) {
        const next = weightOf(this.#ops[end] as Op);
        if (weight > 0 && weight + next > this.#maxBatchItems) break;
        weight += next;
      }
      const batch = this.#ops.splice(0, end);
      this.#queuedWeight -= weight;
      this.#commit(batch);
    }
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
    let handoffRoom = this.#maxHandoffBytes - this.#heldBytes;
    for (const op of writes) {
      if (op.kind !== 'enqueue') continue;
      const bytes = op.rows.reduce((sum, row) => sum + heldSize(row), 0);
      op.held = !this.#closed && bytes <= handoffRoom;
      if (op.held) handoffRoom -= bytes;
    }
    try {
      this.#writeBatch(writes, now, false);
      return true;
    } catch {
      // Usually one enqueue call that cannot be stored: written again with a savepoint per call, only it fails.
    }
    try {
      this.#writeBatch(writes, now, true);
      return true;
    } catch (error) {
      this.#failBatch(writes, error);
      return false;
    }
  }

  /** Runs in the batch's transaction: stores one enqueue call, held in memory or visible. */
  #storeRows(op: EnqueueOp, now: number): void {
    const visibleAt = op.held ? HELD : now;
    const lease = op.held ? op.token : null;
    const seqs: number[] = [];
    let inserted = 0;
    for (const { item, json } of op.rows) {
      const result = this.#insert.run(item.id, visibleAt, lease, json, item.event);
      if (result.changes === 1) {
        inserted++;
        seqs.push(Number(result.lastInsertRowid));
      } else {
        seqs.push(this.#replace.get(visibleAt, lease, json, item.event, item.id) ?? 0);
      }
    }
    op.inserted = inserted;
    op.seqs = seqs;
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
          for (const [index, { item }] of op.rows.entries()) {
            // Replaced (a redrive): whatever this process held under the id is stale now.
            this.#forget(this.#held.get(item.id));
            if (!op.held) continue;
            const held: HeldItem = {
              item,
              token: op.token,
              dueAt,
              seq: op.seqs?.[index] ?? 0,
              bytes: heldSize(op.rows[index] as StoredRow),
              leasedUntil: undefined,
            };
            this.#held.set(item.id, held);
            this.#heldBytes += held.bytes;
            this.#handoff.push(held);
          }
          op.resolve();
          break;
        case 'ack':
          this.#pending -= op.deleted ?? 0;
          this.#settled(op.id, op.lease);
          break;
        case 'retry':
          this.#settled(op.id, op.lease);
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
    if (now >= this.#handedOutUntil && !this.#releaseExpiredHandOuts(now, op)) return;

    // Which held items and how many due rows (the first ones in the table's order) this receive gets.
    const handed: HeldItem[] = [];
    let cursor = this.#handoffHead;
    let fromTable = 0;
    let due: { seq: number; visible_at: number }[] | undefined;
    const tableMayHaveDue = now >= this.#tableNextDue;
    if (!this.#hasHeldWaiting()) {
      if (tableMayHaveDue) fromTable = op.max;
    } else {
      due = tableMayHaveDue ? this.#selectDue.all(now, op.max) : [];
      while (handed.length + fromTable < op.max) {
        while (cursor < this.#handoff.length && !this.#isCurrent(this.#handoff[cursor] as HeldItem)) cursor++;
        const held = this.#handoff[cursor];
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
    }

    const leasedUntil = Math.ceil(now + op.leaseMs);
    const lease = ++lastLease;
    let rows: Row[] = [];
    try {
      if (fromTable > 0) rows = this.#lease.all(leasedUntil, lease, now, fromTable);
      // Every due row taken: until the next write that makes one due, the table's next due time is known.
      const tookEveryDueRow = due === undefined ? rows.length < fromTable : due.length < op.max && fromTable === due.length;
      if (tableMayHaveDue && tookEveryDueRow) this.#tableNextDue = this.#readTableNextDue();
    } catch (error) {
      op.reject(error);
      return;
    }

    this.#handoffHead = cursor;
    this.#compactHandoff();
    const items: DeliveryItem[] = [];
    for (const held of handed) {
      held.leasedUntil = leasedUntil;
      this.#handedOut.add(held);
      this.#leases.set(held.item, held.token);
      items.push(held.item);
    }
    if (handed.length > 0) this.#handedOutUntil = Math.min(this.#handedOutUntil, leasedUntil);
    try {
      for (const item of this.#toItems(rows, lease)) items.push(item);
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
    const expired = this.#expiredHandOuts(now);
    if (expired.length === 0) return true;
    try {
      this.#releaseAll(expired);
    } catch (error) {
      this.#handedOutUntil = now; // still out: look again next time
      op.reject(error);
      return false;
    }
    for (const held of expired) this.#forget(held);
    this.#tableNextDue = Math.min(this.#tableNextDue, now);
    this.#wake();
    return true;
  }

  /** Hand-off leases that have ended, and the next end among the others. */
  #expiredHandOuts(now: number): HeldItem[] {
    const expired: HeldItem[] = [];
    let next = Infinity;
    for (const held of this.#handedOut) {
      const until = held.leasedUntil ?? now;
      if (until <= now) expired.push(held);
      else next = Math.min(next, until);
    }
    this.#handedOutUntil = next;
    return expired;
  }

  #hasHeldWaiting(): boolean {
    for (let i = this.#handoffHead; i < this.#handoff.length; i++) {
      if (this.#isCurrent(this.#handoff[i] as HeldItem)) return true;
      this.#handoffHead = i + 1; // a stale entry at the head: skip it for good
    }
    return false;
  }

  #isCurrent(held: HeldItem): boolean {
    return held.leasedUntil === undefined && this.#held.get(held.item.id) === held;
  }

  /** An ack or retry committed: the held item it settled (the same lease, or any when settled by id) is done. */
  #settled(id: string, lease: number | undefined): void {
    const held = this.#held.get(id);
    if (held !== undefined && (lease === undefined || held.token === lease)) this.#forget(held);
  }

  #forget(held: HeldItem | undefined): void {
    if (held === undefined) return;
    if (this.#held.get(held.item.id) === held) {
      this.#held.delete(held.item.id);
      this.#heldBytes -= held.bytes;
    }
    this.#handedOut.delete(held);
  }

  /** Drops the consumed head of the hand-off array once it is most of it. */
  #compactHandoff(): void {
    if (this.#handoffHead === this.#handoff.length) {
      this.#handoff = [];
      this.#handoffHead = 0;
    } else if (this.#handoffHead > 1024 && this.#handoffHead * 2 > this.#handoff.length) {
      this.#handoff = this.#handoff.slice(this.#handoffHead);
      this.#handoffHead = 0;
    }
  }

  #toItems(rows: Row[], lease: number | undefined): DeliveryItem[] {
    const items: DeliveryItem[] = [];
    for (const row of rows) {
      const item = JSON.parse(row.item) as DeliveryItem;
      if (row.event !== null) item.event = row.event;
      item.attempts = row.attempts;
      if (row.first_attempt_at !== null) item.firstAttemptAt = row.first_attempt_at;
      if (row.last_error_message !== null) {
        item.lastError =
          row.last_error_status === null
            ? { message: row.last_error_message }
            : { message: row.last_error_message, status: row.last_error_status };
      }
      if (lease !== undefined) this.#leases.set(item, lease);
      items.push(item);
    }
    return items;
  }

  /** When the first row that is not held falls due (Infinity when there is none). */
  #readTableNextDue(): number {
    const next = this.#selectNextVisibleAt.get() ?? Infinity;
    return next >= HELD ? Infinity : next;
  }

  #msUntilNextVisible(): number {
    const next = Math.min(this.#tableNextDue, this.#handedOutUntil);
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

/**
 * The port fields only (NEW_DELIVERY_ITEM_FIELDS in ../item-fields.ts, copied one by one), in a fresh object (what a
 * receive gets, with `attempts`), and the JSON stored of them but `event`, which has a column of its own. Hot path:
 * an object literal of a fixed shape, which JSON.stringify serialises fast, and the event's JSON text is not escaped
 * into another JSON text.
 */
function toStoredRow(source: NewDeliveryItem): StoredRow {
  const stored: Omit<NewDeliveryItem, 'event'> = {
    id: source.id,
    space: source.space,
    subscriptionId: source.subscriptionId,
    functionId: source.functionId,
    eventType: source.eventType,
    system: source.system,
    acceptedAt: source.acceptedAt,
  };
  if (source.authorizerRequest !== undefined) stored.authorizerRequest = source.authorizerRequest;
  const json = JSON.stringify(stored);
  const item = stored as DeliveryItem;
  item.event = source.event;
  item.attempts = 0;
  return { item, json };
}

/** Whether a held item falls due before a row of the table, in the table's order: due time, then `seq`. */
function dueBefore(held: HeldItem, row: { seq: number; visible_at: number }): boolean {
  return held.dueAt < row.visible_at || (held.dueAt === row.visible_at && held.seq < row.seq);
}

/** Memory a held item takes, roughly: its strings (about its JSON) plus the objects around them. */
function heldSize(row: StoredRow): number {
  return row.json.length + row.item.event.length + 256;
}

function isWrite(op: Op): op is WriteOp {
  return op.kind === 'enqueue' || op.kind === 'ack' || op.kind === 'retry';
}

function weightOf(op: Op): number {
  switch (op.kind) {
    case 'enqueue':
      return op.rows.length;
    case 'ack':
    case 'retry':
      return 1;
    default:
      return 0;
  }
}
