import type { Connection } from '../../../core/connections/types.js';
import type { AnyItem, ItemByKind, Kind } from '../../../core/model/types.js';
import { idOf } from '../../../core/model/types.js';
import { ConnectionExistsError, ItemExistsError, ReferenceMissingError } from '../../../ports/registry.js';
import type {
  GuardedDeleteResult,
  ItemReference,
  ReferenceRule,
  Registry,
  RegistryChange,
  RegistrySnapshot,
  WriteOptions,
} from '../../../ports/registry.js';
import { migrate } from '../../sqlite/index.js';
import type { SqliteDatabase } from '../../sqlite/index.js';

/**
 * The registry's schema history (see {@link migrate}); append, never edit.
 *
 * Ids compare with the BINARY collation, i.e. byte-wise on their UTF-8 text: the order of etcd's keys
 * (docs/compatibility.md#conventions) and of DynamoDB's string sort keys, which JavaScript's UTF-16 string comparison
 * is not.
 */
export const REGISTRY_MIGRATIONS: readonly string[] = [
  `CREATE TABLE registry_items (
     kind TEXT NOT NULL CHECK (kind IN ('eventtype', 'function', 'subscription', 'cors')),
     space TEXT NOT NULL COLLATE BINARY,
     id TEXT NOT NULL COLLATE BINARY,
     item TEXT NOT NULL,
     PRIMARY KEY (kind, space, id)
   ) STRICT, WITHOUT ROWID;
   CREATE TABLE registry_version (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     version INTEGER NOT NULL
   ) STRICT;
   INSERT INTO registry_version (singleton, version) VALUES (1, 0);`,
  // Connections: not configuration items (no version bump, no change feed; see ConnectionStore).
  `CREATE TABLE registry_connections (
     space TEXT NOT NULL COLLATE BINARY,
     id TEXT NOT NULL COLLATE BINARY,
     connection TEXT NOT NULL,
     PRIMARY KEY (space, id)
   ) STRICT, WITHOUT ROWID;`,
];

export interface SqliteRegistryOptions {
  /**
   * Whether {@link SqliteRegistry.close} also closes the Database. Leave it off when the queue or the dead-letter
   * store share the connection: then whoever opened it closes it, after every adapter using it.
   * @default false
   */
  ownsDatabase?: boolean;
  /**
   * Told about every exception a change listener throws. The write has committed by then and the other listeners
   * are still called.
   * @default emits a process warning
   */
  onListenerError?: (error: unknown, change: RegistryChange) => void;
}

type Row = { kind: Kind; space: string; id: string; item: string };
type Key = [kind: Kind, space: string, id: string];
type KeyedItem = [kind: Kind, space: string, id: string, item: string];
type Write = { kind: Kind; space: string; id: string; json: string; requires: readonly ItemReference[] };

/** One subscription; a wrapper so the same function can be subscribed twice and unsubscribed independently. */
interface Subscriber {
  readonly listener: (change: RegistryChange) => void;
}

/**
 * The local-mode {@link Registry}: one table of items keyed (kind, space, id), each stored as its JSON text, and a
 * single-row version counter bumped in the transaction of every write. better-sqlite3 is synchronous, so each
 * write commits before its method returns, and its change is delivered to the listeners right after the commit.
 * The reference checks of `requires` and {@link SqliteRegistry.deleteUnlessReferenced} run inside the write's
 * transaction.
 */
export class SqliteRegistry implements Registry {
  /**
   * Each change is delivered before its write resolves. Local mode has this one writer of the file: another
   * connection's writes would reach the file but not this feed.
   */
  readonly changeFeed = 'synchronous';

  readonly #db: SqliteDatabase;
  readonly #ownsDatabase: boolean;
  readonly #onListenerError: (error: unknown, change: RegistryChange) => void;
  readonly #subscribers = new Set<Subscriber>();
  /** Changes committed but not yet delivered; non-empty only while listeners run (a listener may write). */
  readonly #undelivered: RegistryChange[] = [];
  #delivering = false;
  #closed = false;

  readonly #selectItem;
  readonly #selectItems;
  readonly #selectAll;
  readonly #selectVersion;
  readonly #insert;
  readonly #upsert;
  readonly #remove;
  readonly #exists;
  readonly #bumpVersion;
  readonly #createTx;
  readonly #putTx;
  readonly #deleteTx;
  readonly #guardedDeleteTx;
  readonly #snapshotTx;
  readonly #connections;

  constructor(db: SqliteDatabase, options: SqliteRegistryOptions = {}) {
    this.#db = db;
    this.#ownsDatabase = options.ownsDatabase ?? false;
    this.#onListenerError = options.onListenerError ?? reportListenerError;

    migrate(db, 'registry', REGISTRY_MIGRATIONS);
    this.#connections = {
      get: db.prepare<[string, string], string>('SELECT connection FROM registry_connections WHERE space = ? AND id = ?').pluck(),
      list: db.prepare<[string], string>('SELECT connection FROM registry_connections WHERE space = ? ORDER BY id DESC').pluck(),
      all: db.prepare<[], string>('SELECT connection FROM registry_connections ORDER BY space, id DESC').pluck(),
      insert: db.prepare<[string, string, string]>(
        'INSERT INTO registry_connections (space, id, connection) VALUES (?, ?, ?) ON CONFLICT (space, id) DO NOTHING',
      ),
      upsert: db.prepare<[string, string, string]>(
        'INSERT INTO registry_connections (space, id, connection) VALUES (?, ?, ?) ' +
          'ON CONFLICT (space, id) DO UPDATE SET connection = excluded.connection',
      ),
      remove: db.prepare<[string, string]>('DELETE FROM registry_connections WHERE space = ? AND id = ?'),
    };

    this.#selectItem = db
      .prepare<Key, string>('SELECT item FROM registry_items WHERE kind = ? AND space = ? AND id = ?')
      .pluck();
    this.#selectItems = db
      .prepare<[Kind, string], string>('SELECT item FROM registry_items WHERE kind = ? AND space = ? ORDER BY id DESC')
      .pluck();
    this.#selectAll = db.prepare<[], Row>(
      'SELECT kind, space, id, item FROM registry_items ORDER BY kind, space, id DESC',
    );
    this.#selectVersion = db.prepare<[], number>('SELECT version FROM registry_version').pluck();
    this.#insert = db.prepare<KeyedItem>(
      'INSERT INTO registry_items (kind, space, id, item) VALUES (?, ?, ?, ?) ON CONFLICT (kind, space, id) DO NOTHING',
    );
    this.#upsert = db.prepare<KeyedItem>(
      'INSERT INTO registry_items (kind, space, id, item) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (kind, space, id) DO UPDATE SET item = excluded.item',
    );
    this.#remove = db.prepare<Key>('DELETE FROM registry_items WHERE kind = ? AND space = ? AND id = ?');
    this.#exists = db
      .prepare<Key, number>('SELECT 1 FROM registry_items WHERE kind = ? AND space = ? AND id = ?')
      .pluck();
    this.#bumpVersion = db
      .prepare<[], number>('UPDATE registry_version SET version = version + 1 RETURNING version')
      .pluck();

    // IMMEDIATE: take the write lock up front, so a concurrent writer waits (busy timeout) instead of failing
    // when a read lock would have to be upgraded.
    this.#createTx = db.transaction(({ kind, space, id, json, requires }: Write): number => {
      if (this.#insert.run(kind, space, id, json).changes === 0) throw new ItemExistsError(kind, space, id);
      this.#checkRequired(space, requires);
      return this.#nextVersion();
    }).immediate;
    this.#putTx = db.transaction(({ kind, space, id, json, requires }: Write): number => {
      this.#checkRequired(space, requires);
      this.#upsert.run(kind, space, id, json);
      return this.#nextVersion();
    }).immediate;
    this.#deleteTx = db.transaction((kind: Kind, space: string, id: string): number | undefined =>
      this.#remove.run(kind, space, id).changes === 0 ? undefined : this.#nextVersion(),
    ).immediate;
    this.#guardedDeleteTx = db.transaction(
      (kind: Kind, space: string, id: string, rules: readonly ReferenceRule[]): GuardedDeleteResult & { version?: number } => {
        for (const rule of rules) {
          for (const json of this.#selectItems.iterate(rule.kind, space)) {
            const item = parseItem(json);
            if ((rule.references as (item: AnyItem) => boolean)(item)) return { outcome: 'referenced', kind: rule.kind, item };
          }
        }
        if (this.#remove.run(kind, space, id).changes === 0) return { outcome: 'missing' };
        return { outcome: 'deleted', version: this.#nextVersion() };
      },
    ).immediate;
    // DEFERRED is enough for a consistent read: the WAL gives the transaction one view of the file.
    this.#snapshotTx = db.transaction((): RegistrySnapshot => {
      const snapshot: RegistrySnapshot = {
        version: this.#currentVersion(),
        eventtype: [],
        function: [],
        subscription: [],
        cors: [],
      };
      for (const row of this.#selectAll.iterate()) {
        (snapshot[row.kind] as AnyItem[]).push(parseItem(row.item));
      }
      return snapshot;
    }).deferred;
  }

  async get<K extends Kind>(kind: K, space: string, id: string): Promise<ItemByKind[K] | undefined> {
    this.#assertOpen();
    const json = this.#selectItem.get(kind, space, id);
    return json === undefined ? undefined : parseItem<K>(json);
  }

  /** Descending byte-wise id order, like etcd's descending range (docs/compatibility.md#conventions). */
  async list<K extends Kind>(kind: K, space: string): Promise<ItemByKind[K][]> {
    this.#assertOpen();
    return this.#selectItems.all(kind, space).map((json) => parseItem<K>(json));
  }

  async create<K extends Kind>(kind: K, item: ItemByKind[K], options: WriteOptions = {}): Promise<void> {
    this.#write(this.#createTx, kind, item, options);
  }

  async put<K extends Kind>(kind: K, item: ItemByKind[K], options: WriteOptions = {}): Promise<void> {
    this.#write(this.#putTx, kind, item, options);
  }

  async delete(kind: Kind, space: string, id: string): Promise<boolean> {
    this.#assertOpen();
    const version = this.#deleteTx(kind, space, id);
    if (version === undefined) return false;
    this.#deliver({ kind, space, id, version });
    return true;
  }

  /** Checks the rules and deletes in one IMMEDIATE transaction: no other write can come in between. */
  async deleteUnlessReferenced(
    kind: Kind,
    space: string,
    id: string,
    rules: readonly ReferenceRule[],
  ): Promise<GuardedDeleteResult> {
    this.#assertOpen();
    const { version, ...result } = this.#guardedDeleteTx(kind, space, id, rules);
    if (version !== undefined) this.#deliver({ kind, space, id, version });
    return result;
  }

  async snapshot(): Promise<RegistrySnapshot> {
    this.#assertOpen();
    return this.#snapshotTx();
  }

  async getConnection(space: string, connectionId: string): Promise<Connection | undefined> {
    this.#assertOpen();
    const json = this.#connections.get.get(space, connectionId);
    return json === undefined ? undefined : (JSON.parse(json) as Connection);
  }

  async listConnections(space: string): Promise<Connection[]> {
    this.#assertOpen();
    return this.#connections.list.all(space).map((json) => JSON.parse(json) as Connection);
  }

  async listAllConnections(): Promise<Connection[]> {
    this.#assertOpen();
    return this.#connections.all.all().map((json) => JSON.parse(json) as Connection);
  }

  async createConnection(connection: Connection): Promise<void> {
    this.#assertOpen();
    const { space, connectionId } = connection;
    if (this.#connections.insert.run(space, connectionId, JSON.stringify(connection)).changes === 0) {
      throw new ConnectionExistsError(space, connectionId);
    }
  }

  async putConnection(connection: Connection): Promise<void> {
    this.#assertOpen();
    this.#connections.upsert.run(connection.space, connection.connectionId, JSON.stringify(connection));
  }

  async deleteConnection(space: string, connectionId: string): Promise<boolean> {
    this.#assertOpen();
    return this.#connections.remove.run(space, connectionId).changes > 0;
  }

  /**
   * Listeners are called synchronously, after the commit and before the writing method's promise settles, in
   * commit order: a change committed by a listener is delivered once every listener has seen the current one.
   */
  onChange(listener: (change: RegistryChange) => void): () => void {
    const subscriber: Subscriber = { listener };
    this.#subscribers.add(subscriber);
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  /**
   * Stops the registry: later calls reject and listeners are dropped. Closes the Database only when constructed
   * with `ownsDatabase: true`; otherwise the connection's owner closes it.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscribers.clear();
    if (this.#ownsDatabase) this.#db.close();
  }

  #write<K extends Kind>(transaction: (write: Write) => number, kind: K, item: ItemByKind[K], options: WriteOptions): void {
    this.#assertOpen();
    const id = idOf(kind, item);
    const json = JSON.stringify(item);
    const version = transaction({ kind, space: item.space, id, json, requires: options.requires ?? [] });
    this.#deliver({ kind, space: item.space, id, item: parseItem(json), version } as RegistryChange);
  }

  #checkRequired(space: string, requires: readonly ItemReference[]): void {
    const missing = requires.find((reference) => this.#exists.get(reference.kind, space, reference.id) === undefined);
    if (missing !== undefined) throw new ReferenceMissingError(missing.kind, space, missing.id);
  }

  #nextVersion(): number {
    const version = this.#bumpVersion.get();
    if (version === undefined) throw new Error('registry_version has no row');
    return version;
  }

  #currentVersion(): number {
    return this.#selectVersion.get() ?? 0;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the registry is closed');
  }

  #deliver(change: RegistryChange): void {
    this.#undelivered.push(change);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let next = this.#undelivered.shift(); next !== undefined; next = this.#undelivered.shift()) {
        for (const { listener } of [...this.#subscribers]) {
          try {
            listener(next);
          } catch (error) {
            this.#reportListenerError(error, next);
          }
        }
      }
    } finally {
      this.#delivering = false;
    }
  }

  #reportListenerError(error: unknown, change: RegistryChange): void {
    try {
      this.#onListenerError(error, change);
    } catch {
      // The reporter itself failed: there is nowhere left to report to, and the write has committed.
    }
  }
}

function parseItem<K extends Kind>(json: string): ItemByKind[K] {
  return JSON.parse(json) as ItemByKind[K];
}

function reportListenerError(error: unknown, change: RegistryChange): void {
  const where = `${change.kind} ${change.space}/${change.id} (version ${change.version})`;
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.emitWarning(`a registry change listener threw on ${where}: ${detail}`, 'RegistryListenerWarning');
}
