import { decodeDeadLetterCursor, encodeDeadLetterCursor } from '../cursor.js';
import {
  type DeadLetterFilter,
  type DeadLetterPage,
  type DeadLetterRecord,
  type DeadLetterStore,
} from '../../../ports/dead-letter-store.js';
import { migrate } from '../../sqlite/index.js';
import type { SqliteDatabase } from '../../sqlite/index.js';

/**
 * The dead-letter store's schema history (see {@link migrate}); append, never edit.
 *
 * The record is one JSON text; the other columns are its key and what `list` filters and orders by. Each listing
 * order (all, by subscription, by function) has an index that ends in (dead_at, id), so a page is one index range.
 */
export const DEAD_LETTER_MIGRATIONS: readonly string[] = [
  `CREATE TABLE dead_letters (
     space TEXT NOT NULL,
     id TEXT NOT NULL,
     subscription_id TEXT NOT NULL,
     function_id TEXT NOT NULL,
     dead_at INTEGER NOT NULL,
     record TEXT NOT NULL,
     PRIMARY KEY (space, id)
   ) STRICT;
   CREATE INDEX dead_letters_by_age ON dead_letters (space, dead_at, id);
   CREATE INDEX dead_letters_by_subscription ON dead_letters (space, subscription_id, dead_at, id);
   CREATE INDEX dead_letters_by_function ON dead_letters (space, function_id, dead_at, id);`,
];

type FilterShape = 'none' | 'subscription' | 'function' | 'both';
type Row = { dead_at: number; id: string; record: string };

const FILTER_SQL: Record<FilterShape, string> = {
  none: '',
  subscription: ' AND subscription_id = @subscriptionId',
  function: ' AND function_id = @functionId',
  both: ' AND subscription_id = @subscriptionId AND function_id = @functionId',
};

interface ListParams {
  space: string;
  subscriptionId?: string;
  functionId?: string;
  deadAt?: number;
  id?: string;
  limit: number;
}

/**
 * The local-mode {@link DeadLetterStore}: a table in the gateway's SQLite file. Pages are keyset pages over
 * (deadAt, id) descending, so a record written or deleted while a client pages never shifts the others: the cursor
 * is the key of the page's last record, base64url-encoded.
 */
export class SqliteDeadLetterStore implements DeadLetterStore {
  readonly #upsert;
  readonly #select;
  readonly #remove;
  readonly #count;
  readonly #list: Record<FilterShape, { first: ListStatement; after: ListStatement }>;
  readonly #removeMatching: Record<FilterShape, RemoveStatement>;
  #closed = false;

  constructor(db: SqliteDatabase) {
    migrate(db, 'deadletters', DEAD_LETTER_MIGRATIONS);

    this.#upsert = db.prepare<[string, string, string, string, number, string]>(
      'INSERT INTO dead_letters (space, id, subscription_id, function_id, dead_at, record) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (space, id) DO UPDATE SET subscription_id = excluded.subscription_id, ' +
        'function_id = excluded.function_id, dead_at = excluded.dead_at, record = excluded.record',
    );
    this.#select = db
      .prepare<[string, string], string>('SELECT record FROM dead_letters WHERE space = ? AND id = ?')
      .pluck();
    this.#remove = db.prepare<[string, string]>('DELETE FROM dead_letters WHERE space = ? AND id = ?');
    this.#count = db.prepare<[], number>('SELECT count(*) FROM dead_letters').pluck();

    const shapes: FilterShape[] = ['none', 'subscription', 'function', 'both'];
    const list = (shape: FilterShape, after: boolean): ListStatement =>
      db.prepare<[ListParams], Row>(
        `SELECT dead_at, id, record FROM dead_letters WHERE space = @space${FILTER_SQL[shape]}` +
          (after ? ' AND (dead_at, id) < (@deadAt, @id)' : '') +
          ' ORDER BY dead_at DESC, id DESC LIMIT @limit',
      );
    this.#list = Object.fromEntries(
      shapes.map((shape) => [shape, { first: list(shape, false), after: list(shape, true) }]),
    ) as Record<FilterShape, { first: ListStatement; after: ListStatement }>;
    this.#removeMatching = Object.fromEntries(
      shapes.map((shape) => [
        shape,
        db.prepare<[Omit<ListParams, 'limit'>]>(`DELETE FROM dead_letters WHERE space = @space${FILTER_SQL[shape]}`),
      ]),
    ) as Record<FilterShape, RemoveStatement>;
  }

  /** `deadAt` must be an integer (ms since the epoch): it is the sort key. */
  async put(record: DeadLetterRecord): Promise<void> {
    this.#assertOpen();
    if (!Number.isSafeInteger(record.deadAt)) throw new TypeError('dead letter: deadAt must be an integer (ms)');
    const { item } = record;
    this.#upsert.run(item.space, item.id, item.subscriptionId, item.functionId, record.deadAt, JSON.stringify(record));
  }

  async get(space: string, deadLetterId: string): Promise<DeadLetterRecord | undefined> {
    this.#assertOpen();
    const json = this.#select.get(space, deadLetterId);
    return json === undefined ? undefined : (JSON.parse(json) as DeadLetterRecord);
  }

  /** `limit` is a positive integer (the API caps it). An empty cursor is invalid like any other it did not issue. */
  async list(
    space: string,
    filter: DeadLetterFilter,
    page: { limit: number; cursor?: string },
  ): Promise<DeadLetterPage> {
    this.#assertOpen();
    if (!Number.isSafeInteger(page.limit) || page.limit < 1) {
      throw new RangeError('dead letter list: limit must be a positive integer');
    }
    const statements = this.#list[shapeOf(filter)];
    // One row more than asked tells whether another page exists.
    const params: ListParams = { space, ...definedFilter(filter), limit: page.limit + 1 };
    let rows: Row[];
    if (page.cursor === undefined) {
      rows = statements.first.all(params);
    } else {
      const [deadAt, id] = decodeDeadLetterCursor(page.cursor);
      rows = statements.after.all({ ...params, deadAt, id });
    }
    const more = rows.length > page.limit;
    if (more) rows.length = page.limit;
    const records = rows.map((row) => JSON.parse(row.record) as DeadLetterRecord);
    const last = rows[rows.length - 1];
    return more && last ? { records, nextCursor: encodeDeadLetterCursor([last.dead_at, last.id]) } : { records };
  }

  async delete(space: string, deadLetterId: string): Promise<boolean> {
    this.#assertOpen();
    return this.#remove.run(space, deadLetterId).changes > 0;
  }

  /** An empty filter matches every record of the space. */
  async deleteMatching(space: string, filter: DeadLetterFilter): Promise<number> {
    this.#assertOpen();
    return this.#removeMatching[shapeOf(filter)].run({ space, ...definedFilter(filter) }).changes;
  }

  async count(): Promise<number> {
    this.#assertOpen();
    return this.#count.get() ?? 0;
  }

  /** Later calls reject. The Database stays open: its owner closes it after every adapter using it. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the dead-letter store is closed');
  }
}

type ListStatement = import('better-sqlite3').Statement<[ListParams], Row>;
type RemoveStatement = import('better-sqlite3').Statement<[Omit<ListParams, 'limit'>]>;

/** Which filters are set: `undefined` means "any". */
function shapeOf(filter: DeadLetterFilter): FilterShape {
  const bySubscription = filter.subscriptionId !== undefined;
  const byFunction = filter.functionId !== undefined;
  if (bySubscription && byFunction) return 'both';
  if (bySubscription) return 'subscription';
  return byFunction ? 'function' : 'none';
}

/** better-sqlite3 rejects named parameters bound to undefined, and ones the statement does not use are ignored. */
function definedFilter(filter: DeadLetterFilter): DeadLetterFilter {
  const defined: DeadLetterFilter = {};
  if (filter.subscriptionId !== undefined) defined.subscriptionId = filter.subscriptionId;
  if (filter.functionId !== undefined) defined.functionId = filter.functionId;
  return defined;
}

