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

/**
 * The queue's schema history (see {@link migrate}); append, never edit.
 *
 * One row per item: the item itself as one JSON text, plus the columns the queue works on. `visible_at` is both the
 * due time and the lease expiry (a leased item is simply not visible yet); `lease` is the token of the receive that
 * holds the item, so a settlement of an older lease never touches an item enqueued again under the same id.
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

/** The stored item: exactly the {@link NewDeliveryItem} fields, whatever else the caller's object carries. */
const ITEM_FIELDS = [
  'id',
  'space',
  'subscriptionId',
  'functionId',
  'eventType',
  'event',
  'authorizerRequest',
  'system',
  'acceptedAt',
] as const satisfies readonly (keyof NewDeliveryItem)[];
// Fails to compile when NewDeliveryItem gains a field that ITEM_FIELDS would silently drop.
const itemFieldsComplete: [Exclude<keyof NewDeliveryItem, (typeof ITEM_FIELDS)[number]>] extends [never]
  ? true
  : false = true;
void itemFieldsComplete;
const STORED_FIELDS: string[] = [...ITEM_FIELDS];

type Row = {
  id: string;
  attempts: number;
  first_attempt_at: number | null;
  last_error_message: string | null;
  last_error_status: number | null;
  item: string;
};

interface EnqueueOp {
  kind: 'enqueue';
  rows: [id: string, json: string][];
  resolve: () => void;
  reject: (error: unknown) => void;
  inserted?: number;
  error?: unknown;
}
interface AckOp {
  kind: 'ack';
  id: string;
  lease: number | undefined;
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
  lease?: number;
  rows?: Row[];
}
interface BarrierOp {
  kind: 'barrier';
  resolve: () => void;
}
type Op = EnqueueOp | AckOp | RetryOp | ReceiveOp | BarrierOp;

/** Lease tokens: unique within the process, and unlikely to meet another process's on the same file. */
let lastLease = Math.floor(Math.random() * 2 ** 40);

/**
 * The local-mode {@link DeliveryQueue}: a table in the gateway's SQLite file, written through one group-commit
 * pipeline.
 *
 * **Group commit.** Every write (enqueue, ack, retry, and the lease a receive takes) joins a queue of operations
 * that is committed as one `BEGIN IMMEDIATE` transaction on the next turn of the event loop (or after
 * `maxLingerMs`), so N concurrent requests cost one commit instead of N. Each enqueue call runs in its own
 * savepoint inside that transaction: a call that fails is rejected alone and the others still commit.
 *
 * **Settlement promises.**
 * - `enqueue` and `retry` resolve after their commit: the 202 of an event, and the attempt count the retry policy
 *   relies on, are never promised before they are durable.
 * - `ack` resolves at once and is committed with the next group commit. That is safe because delivery is
 *   at-least-once: an ack lost in a crash leaves the item in the table, leased; it comes back and is delivered
 *   again (a duplicate the receiver de-duplicates by `webhook-id`), never lost. It lets a worker's ack and its next
 *   receive share one commit. {@link close} commits every queued ack.
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

  readonly #insert;
  readonly #replace;
  readonly #ackByLease;
  readonly #ackById;
  readonly #retryByLease;
  readonly #retryById;
  readonly #lease;
  readonly #selectNextVisibleAt;
  readonly #enqueueCall;
  readonly #commitBatch;

  constructor(db: SqliteDatabase, options: SqliteDeliveryQueueOptions = {}) {
    this.#db = db;
    this.#maxPending = options.maxPending ?? 100_000;
    this.#maxLingerMs = Math.max(0, options.maxLingerMs ?? 0);
    this.#maxBatchItems = Math.max(1, options.maxBatchItems ?? 5000);
    this.#onCommit = options.onCommit;
    this.#onError = options.onError ?? reportError;
    this.#now = options.now ?? Date.now;

    migrate(db, 'queue', QUEUE_MIGRATIONS);
    db.pragma(options.durability === 'power' ? 'synchronous = FULL' : 'synchronous = NORMAL');

    this.#insert = db.prepare<[id: string, visibleAt: number, item: string]>(
      'INSERT INTO delivery_queue (id, visible_at, item) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
    );
    this.#replace = db.prepare<[visibleAt: number, item: string, id: string]>(
      'UPDATE delivery_queue SET visible_at = ?, item = ?, lease = NULL, attempts = 0, first_attempt_at = NULL, ' +
        'last_error_message = NULL, last_error_status = NULL WHERE id = ?',
    );
    this.#ackByLease = db.prepare<[id: string, lease: number]>('DELETE FROM delivery_queue WHERE id = ? AND lease = ?');
    this.#ackById = db.prepare<[id: string]>('DELETE FROM delivery_queue WHERE id = ?');
    const retrySet =
      'UPDATE delivery_queue SET visible_at = ?, lease = NULL, attempts = attempts + 1, ' +
      'first_attempt_at = coalesce(first_attempt_at, ?), last_error_message = ?, last_error_status = ? WHERE id = ?';
    type RetryParams = [visibleAt: number, attemptAt: number, message: string, status: number | null, id: string];
    this.#retryByLease = db.prepare<[...RetryParams, lease: number]>(`${retrySet} AND lease = ?`);
    this.#retryById = db.prepare<RetryParams>(retrySet);
    // Hot path: one statement leases a whole batch of due items, oldest due first.
    this.#lease = db.prepare<[leasedUntil: number, lease: number, now: number, max: number], Row>(
      'UPDATE delivery_queue SET visible_at = ?, lease = ? WHERE seq IN (' +
        'SELECT seq FROM delivery_queue WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT ?) ' +
        'RETURNING id, attempts, first_attempt_at, last_error_message, last_error_status, item',
    );
    this.#selectNextVisibleAt = db
      .prepare<[], number | null>('SELECT min(visible_at) FROM delivery_queue')
      .pluck();

    // Nested in the group transaction, so it runs as a savepoint: a failing call rolls back alone.
    this.#enqueueCall = db.transaction((rows: [string, string][], visibleAt: number): number => {
      let inserted = 0;
      for (const [id, json] of rows) {
        if (this.#insert.run(id, visibleAt, json).changes === 1) inserted++;
        else this.#replace.run(visibleAt, json, id);
      }
      return inserted;
    });
    this.#commitBatch = db.transaction((batch: Op[], now: number): number => {
      let acked = 0;
      for (const op of batch) {
        switch (op.kind) {
          case 'enqueue':
            try {
              op.inserted = this.#enqueueCall(op.rows, now);
            } catch (error) {
              // SQLite may have rolled back the whole transaction (disk full, I/O): then the batch fails.
              if (!db.inTransaction) throw error;
              op.error = error;
            }
            break;
          case 'ack':
            acked += (op.lease === undefined ? this.#ackById.run(op.id) : this.#ackByLease.run(op.id, op.lease))
              .changes;
            break;
          case 'retry': {
            const { visibleAt, attemptAt, error } = op;
            const status = error.status ?? null;
            if (op.lease === undefined) this.#retryById.run(visibleAt, attemptAt, error.message, status, op.id);
            else this.#retryByLease.run(visibleAt, attemptAt, error.message, status, op.id, op.lease);
            break;
          }
          case 'receive':
            if (this.#closed || op.signal?.aborted) {
              op.rows = [];
            } else {
              op.lease = ++lastLease;
              op.rows = this.#lease.all(Math.ceil(now + op.leaseMs), op.lease, now, op.max);
            }
            break;
          case 'barrier':
            break;
        }
      }
      return acked;
    }).immediate;

    db.prepare<[number]>('UPDATE delivery_queue SET visible_at = min(visible_at, ?), lease = NULL WHERE lease IS NOT NULL').run(
      Math.ceil(this.#now()),
    );
    this.#pending = db.prepare<[], number>('SELECT count(*) FROM delivery_queue').pluck().get() ?? 0;
  }

  async enqueue(items: readonly NewDeliveryItem[]): Promise<void> {
    this.#assertOpen();
    if (items.length === 0) return;
    if (this.#pending + items.length > this.#maxPending) throw new QueueFullError(this.#pending, this.#maxPending);
    const rows = items.map((item): [string, string] => [item.id, JSON.stringify(item, STORED_FIELDS)]);
    this.#pending += rows.length;
    return new Promise<void>((resolve, reject) => this.#submit({ kind: 'enqueue', rows, resolve, reject }));
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
   * The Database stays open: its owner closes it after every adapter using it.
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

  #commit(batch: Op[]): void {
    if (batch.every((op) => op.kind === 'barrier')) {
      for (const op of batch) op.resolve();
      return;
    }
    let acked: number;
    try {
      acked = this.#commitBatch(batch, Math.floor(this.#now()));
    } catch (error) {
      this.#failBatch(batch, error);
      return;
    }
    this.#pending -= acked;

    let calls = 0;
    let items = 0;
    let madeVisible = false;
    for (const op of batch) {
      switch (op.kind) {
        case 'enqueue':
          if (op.error !== undefined) {
            this.#pending -= op.rows.length;
            op.reject(op.error);
          } else {
            this.#pending -= op.rows.length - (op.inserted ?? 0);
            calls++;
            items += op.rows.length;
            madeVisible = true;
            op.resolve();
          }
          break;
        case 'retry':
          madeVisible = true;
          op.resolve();
          break;
        case 'receive':
          try {
            op.resolve(this.#toItems(op.rows ?? [], op.lease));
          } catch (error) {
            // A row that is not valid JSON: its lease ends and it comes back; the caller hears of it.
            op.reject(error);
          }
          break;
        case 'barrier':
          op.resolve();
          break;
        case 'ack':
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

  #failBatch(batch: Op[], error: unknown): void {
    let lostAcks = 0;
    for (const op of batch) {
      switch (op.kind) {
        case 'enqueue':
          this.#pending -= op.rows.length;
          op.reject(error);
          break;
        case 'retry':
        case 'receive':
          op.reject(error);
          break;
        case 'barrier':
          op.resolve();
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

  #toItems(rows: Row[], lease: number | undefined): DeliveryItem[] {
    const items: DeliveryItem[] = [];
    for (const row of rows) {
      const item = JSON.parse(row.item) as DeliveryItem;
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

  #msUntilNextVisible(): number {
    const next = this.#selectNextVisibleAt.get();
    if (next === null || next === undefined) return Infinity;
    return Math.max(1, next - this.#now());
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
    try {
      this.#onError(error);
    } catch {
      // The reporter itself failed: nothing is left to tell.
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the delivery queue is closed');
  }
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

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value)) throw new TypeError(`${name} must be a finite number`);
  return Math.max(0, value);
}

function reportError(error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.emitWarning(`delivery queue: ${detail}`, 'DeliveryQueueWarning');
}
