/**
 * The queue's table in the SQLite file: its schema, its statements, and the row of an item. See README.md#the-table.
 */
import type { DeliveryItem, NewDeliveryItem } from '../../../ports/delivery-queue.js';
import { migrate } from '../../sqlite/index.js';
import type { SqliteDatabase } from '../../sqlite/index.js';
import type { EnqueueOp, WriteOp } from './group-commit.js';

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

/**
 * `visible_at` of a row held in this process's memory (see hand-off.ts): never due, so only the process holding it
 * hands it out. Its `lease` is set too, so the start of the next process releases it like any lease: a crash loses
 * nothing.
 */
export const HELD = Number.MAX_SAFE_INTEGER;

export type Row = {
  id: string;
  attempts: number;
  first_attempt_at: number | null;
  last_error_message: string | null;
  last_error_status: number | null;
  item: string;
  event: string | null;
};

/** A row's place in the table's order of receives: due time, then `seq`. */
export type DueRow = { seq: number; visible_at: number };

/** One item of an enqueue call: the object a receive will get, and its stored JSON (without `event`). */
export interface StoredRow {
  item: DeliveryItem;
  json: string;
}

/** A row to release: the item's id, the lease that holds it, and when it becomes due. */
export interface Release {
  id: string;
  lease: number;
  visibleAt: number;
}

export class QueueTable {
  readonly #insert;
  readonly #replace;
  readonly #ackByLease;
  readonly #ackById;
  readonly #retryByLease;
  readonly #retryById;
  readonly #postponeById;
  readonly #lease;
  readonly #selectDue;
  readonly #release;
  readonly #selectNextVisibleAt;
  readonly #enqueueCall;
  readonly #writeBatch;
  readonly #releaseAll;
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    migrate(db, 'queue', QUEUE_MIGRATIONS);
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
    this.#postponeById = db.prepare<[visibleAt: number, id: string]>('UPDATE delivery_queue SET visible_at = ?, lease = NULL WHERE id = ?');
    // One statement leases a whole batch of due items, oldest due first; #selectDue reads the same order.
    this.#lease = db.prepare<[leasedUntil: number, lease: number, now: number, max: number], Row>(
      'UPDATE delivery_queue SET visible_at = ?, lease = ? WHERE seq IN (' +
        'SELECT seq FROM delivery_queue WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT ?) ' +
        'RETURNING id, attempts, first_attempt_at, last_error_message, last_error_status, item, event',
    );
    this.#selectDue = db.prepare<[now: number, max: number], DueRow>(
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
          case 'postpone':
            // Only `visible_at` moves: `seq` keeps the item's place among rows due at the same time.
            if (op.lease === undefined) this.#postponeById.run(op.visibleAt, op.id);
            else this.#release.run(op.visibleAt, op.id, op.lease);
            break;
        }
      }
    }).immediate;
    this.#releaseAll = db.transaction((rows: readonly Release[]): void => {
      for (const row of rows) this.#release.run(row.visibleAt, row.id, row.lease);
    }).immediate;
  }

  /**
   * Writes a group commit's enqueues, acks and retries in one transaction, recording the outcome on each op. The
   * batch is first written without savepoints; only when that fails is it written again with a savepoint per
   * enqueue call, so that a call that cannot be stored fails alone (its `error` set). Throws when the batch as a
   * whole cannot be committed.
   */
  write(writes: WriteOp[], now: number): void {
    try {
      this.#writeBatch(writes, now, false);
      return;
    } catch {
      // Usually one enqueue call that cannot be stored: written again with a savepoint per call, only it fails.
    }
    this.#writeBatch(writes, now, true);
  }

  /** Leases up to `max` due rows, oldest due first, until `leasedUntil` under `lease`. */
  leaseDue(leasedUntil: number, lease: number, now: number, max: number): Row[] {
    return this.#lease.all(leasedUntil, lease, now, max);
  }

  /** The first `max` due rows in the table's order, without leasing them. */
  selectDue(now: number, max: number): DueRow[] {
    return this.#selectDue.all(now, max);
  }

  /** Releases leased rows (each only while the same lease holds it), in one transaction. */
  release(rows: readonly Release[]): void {
    this.#releaseAll(rows);
  }

  /**
   * Releases every lease: those of an earlier process (items in flight when it stopped or crashed, and items it
   * held in memory) become due at once.
   */
  releaseEveryLease(now: number): void {
    this.#db
      .prepare<[number]>('UPDATE delivery_queue SET visible_at = min(visible_at, ?), lease = NULL WHERE lease IS NOT NULL')
      .run(now);
  }

  /** Rows stored. */
  count(): number {
    return this.#db.prepare<[], number>('SELECT count(*) FROM delivery_queue').pluck().get() ?? 0;
  }

  /** When the first row that is not held falls due (Infinity when there is none). */
  nextDue(): number {
    const next = this.#selectNextVisibleAt.get() ?? Infinity;
    return next >= HELD ? Infinity : next;
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
}

/**
 * The port fields only (NEW_DELIVERY_ITEM_FIELDS in ../item-fields.ts, copied one by one), in a fresh object (what a
 * receive gets, with `attempts`), and the JSON stored of them but `event`, which has a column of its own. Hot path:
 * an object literal of a fixed shape, which JSON.stringify serialises fast, and the event's JSON text is not escaped
 * into another JSON text.
 */
export function toStoredRow(source: NewDeliveryItem): StoredRow {
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

/** The item a leased row holds. Throws when the row's JSON is not valid. */
export function rowToItem(row: Row): DeliveryItem {
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
  return item;
}
