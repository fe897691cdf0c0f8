import type { ItemByKind, Kind } from '../core/model/types.js';

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

/**
 * The configuration store: CRUD per (kind, space, id) plus a change feed.
 * Adapters: SQLite (local mode), DynamoDB (AWS).
 */
export interface Registry {
  get<K extends Kind>(kind: K, space: string, id: string): Promise<ItemByKind[K] | undefined>;
  /** Every item of a kind in a space, in descending id order (spec §2.2). */
  list<K extends Kind>(kind: K, space: string): Promise<ItemByKind[K][]>;
  /** Create-if-absent; throws {@link ItemExistsError}. */
  create<K extends Kind>(kind: K, item: ItemByKind[K]): Promise<void>;
  /** Insert or replace. */
  put<K extends Kind>(kind: K, item: ItemByKind[K]): Promise<void>;
  /** Returns false when there was nothing to delete. */
  delete(kind: Kind, space: string, id: string): Promise<boolean>;
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
