import type { Connection } from '../core/connections/types.js';
import type { AnyItem, ItemByKind, Kind } from '../core/model/types.js';

/**
 * A change to one item. `item` is absent when the item was deleted. `version` grows strictly from one committed
 * change to the next; a snapshot at that version includes the change.
 */
export type RegistryChange = {
  [K in Kind]: { kind: K; space: string; id: string; item?: ItemByKind[K]; version: number };
}[Kind];

/** Every item of every space, at one version: what the router builds its routing table from. */
export interface RegistrySnapshot {
  version: number;
  eventtype: ItemByKind['eventtype'][];
  function: ItemByKind['function'][];
  subscription: ItemByKind['subscription'][];
  cors: ItemByKind['cors'][];
}

/** Thrown by {@link Registry.create} when an item with the same (kind, space, id) exists. */
export class ItemExistsError extends Error {
  constructor(
    readonly kind: Kind,
    readonly space: string,
    readonly id: string,
  ) {
    super(`${kind} ${space}/${id} already exists`);
    this.name = 'ItemExistsError';
  }
}

/** An item the written item refers to, in the same space; see {@link Registry.create}. */
export interface ItemReference {
  kind: Kind;
  id: string;
}

export interface WriteOptions {
  /**
   * Items, in the written item's space, that must exist when the write commits (checked in the same transaction):
   * else the write throws {@link ReferenceMissingError} for the first one missing and changes nothing. A create of
   * an existing item throws {@link ItemExistsError} first.
   */
  requires?: readonly ItemReference[];
}

/** Thrown by a write whose {@link WriteOptions.requires} names an item that does not exist. */
export class ReferenceMissingError extends Error {
  constructor(
    readonly kind: Kind,
    readonly space: string,
    readonly id: string,
  ) {
    super(`${kind} ${space}/${id} does not exist`);
    this.name = 'ReferenceMissingError';
  }
}

/** Which items of one kind, in the item's space, refer to the item about to be deleted. */
export type ReferenceRule = { [K in Kind]: { kind: K; references: (item: ItemByKind[K]) => boolean } }[Kind];

export type GuardedDeleteResult =
  | { outcome: 'deleted' }
  | { outcome: 'missing' }
  | { outcome: 'referenced'; kind: Kind; item: AnyItem };

/** Thrown by {@link ConnectionStore.createConnection} when the space has a connection with that id. */
export class ConnectionExistsError extends Error {
  constructor(
    readonly space: string,
    readonly connectionId: string,
  ) {
    super(`connection ${space}/${connectionId} already exists`);
    this.name = 'ConnectionExistsError';
  }
}

/**
 * The connections (source connectors), stored beside the configuration items but outside their snapshot and change
 * feed: routing never reads them. What runs them (the local pollers, the AWS event source mappings) is told of each
 * change by the connections API itself, and reads them all with {@link listAllConnections} at start.
 */
export interface ConnectionStore {
  getConnection(space: string, connectionId: string): Promise<Connection | undefined>;
  /** The connections of a space, in descending id order (as {@link Registry.list}). */
  listConnections(space: string): Promise<Connection[]>;
  /** Every connection of every space, ordered by space, then descending id. */
  listAllConnections(): Promise<Connection[]>;
  /** Create-if-absent; throws {@link ConnectionExistsError}. */
  createConnection(connection: Connection): Promise<void>;
  /** Insert or replace. */
  putConnection(connection: Connection): Promise<void>;
  /** Returns false when there was nothing to delete. */
  deleteConnection(space: string, connectionId: string): Promise<boolean>;
}

/**
 * The configuration store: CRUD per (kind, space, id), with reference checks on writes and deletes, and a change
 * feed; and the connections ({@link ConnectionStore}). Adapters: SQLite (local mode), DynamoDB (AWS).
 */
export interface Registry extends ConnectionStore {
  /**
   * When a committed change reaches the {@link onChange} listeners.
   * - `'synchronous'`: each change has reached the listeners by the time the writing call resolves, and the store
   *   has no other writer whose changes the feed would miss (SQLite in local mode). A view kept up to date from the
   *   feed is then exact.
   * - `'eventual'`: changes reach the listeners later, other processes' writes included (DynamoDB polls a change
   *   log). A check that must see every committed write reads {@link snapshot} instead.
   */
  readonly changeFeed: 'synchronous' | 'eventual';
  get<K extends Kind>(kind: K, space: string, id: string): Promise<ItemByKind[K] | undefined>;
  /** Every item of a kind in a space, in descending id order (docs/compatibility.md#conventions). */
  list<K extends Kind>(kind: K, space: string): Promise<ItemByKind[K][]>;
  /** Create-if-absent; throws {@link ItemExistsError}, or {@link ReferenceMissingError} (see {@link WriteOptions}). */
  create<K extends Kind>(kind: K, item: ItemByKind[K], options?: WriteOptions): Promise<void>;
  /** Insert or replace; throws {@link ReferenceMissingError} (see {@link WriteOptions}). */
  put<K extends Kind>(kind: K, item: ItemByKind[K], options?: WriteOptions): Promise<void>;
  /** Returns false when there was nothing to delete. */
  delete(kind: Kind, space: string, id: string): Promise<boolean>;
  /**
   * Deletes the item unless an item matching one of `rules` exists in its space, atomically: no write of another
   * caller or process lands between the check and the delete. The rules are checked in order, and within a rule
   * the items in {@link list} order; the first match is reported. References are checked before the item's own
   * existence, so a referenced missing item is `referenced`. `options.requires` on writes is the other half of the
   * same guarantee: together they never leave a reference to a deleted item.
   */
  deleteUnlessReferenced(kind: Kind, space: string, id: string, rules: readonly ReferenceRule[]): Promise<GuardedDeleteResult>;
  /** Everything, at one version. */
  snapshot(): Promise<RegistrySnapshot>;
  /**
   * Calls `listener` after every committed change, in commit order. Returns the unsubscribe function. Writes that
   * change nothing (a rejected create, a delete of a missing item) are not reported. A listener may be called
   * before or after the writing call resolves; one that throws affects neither the write nor the other listeners.
   */
  onChange(listener: (change: RegistryChange) => void): () => void;
  close(): Promise<void>;
}
