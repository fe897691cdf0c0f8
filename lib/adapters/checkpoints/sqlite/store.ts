import { migrate, type SqliteDatabase } from '../../sqlite/index.js';
import type { CheckpointStore } from '../../../ports/checkpoint-store.js';

/** Schema history of the checkpoint table; append, never edit. */
export const CHECKPOINT_MIGRATIONS: readonly string[] = [
  `CREATE TABLE connector_checkpoints (
     space TEXT NOT NULL,
     connection_id TEXT NOT NULL,
     shard_id TEXT NOT NULL,
     position TEXT NOT NULL,
     updated_at INTEGER NOT NULL,
     PRIMARY KEY (space, connection_id, shard_id)
   ) STRICT, WITHOUT ROWID;`,
];

/**
 * The local {@link CheckpointStore}, in the gateway's SQLite file. A checkpoint write commits before `put` resolves
 * (better-sqlite3 is synchronous).
 */
export class SqliteCheckpointStore implements CheckpointStore {
  readonly #get;
  readonly #put;
  readonly #deleteConnection;
  #closed = false;

  constructor(db: SqliteDatabase) {
    migrate(db, 'connector-checkpoints', CHECKPOINT_MIGRATIONS);
    this.#get = db
      .prepare<[string, string, string], string>(
        'SELECT position FROM connector_checkpoints WHERE space = ? AND connection_id = ? AND shard_id = ?',
      )
      .pluck();
    this.#put = db.prepare<[string, string, string, string, number]>(
      'INSERT INTO connector_checkpoints (space, connection_id, shard_id, position, updated_at) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT (space, connection_id, shard_id) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at',
    );
    this.#deleteConnection = db.prepare<[string, string]>('DELETE FROM connector_checkpoints WHERE space = ? AND connection_id = ?');
  }

  async get(space: string, connectionId: string, shardId: string): Promise<string | undefined> {
    this.#assertOpen();
    return this.#get.get(space, connectionId, shardId);
  }

  async put(space: string, connectionId: string, shardId: string, position: string): Promise<void> {
    this.#assertOpen();
    this.#put.run(space, connectionId, shardId, position, Date.now());
  }

  async deleteConnection(space: string, connectionId: string): Promise<void> {
    this.#assertOpen();
    this.#deleteConnection.run(space, connectionId);
  }

  /** Stops the store; the database is closed by its owner. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the checkpoint store is closed');
  }
}
