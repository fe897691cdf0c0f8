/**
 * Where the local pollers keep their place in each source: per (space, connection, shard) the position of the last
 * record the gateway durably accepted (a Kinesis or DynamoDB Streams sequence number), or {@link SHARD_END} once a
 * closed shard is read to its end. A poller writes a checkpoint only after acceptance, so a restart re-reads at most
 * what was not yet checkpointed: at-least-once, never a skip.
 */
export interface CheckpointStore {
  get(space: string, connectionId: string, shardId: string): Promise<string | undefined>;
  put(space: string, connectionId: string, shardId: string, position: string): Promise<void>;
  /** Every checkpoint of the connection (deleted, or pointed at another source). */
  deleteConnection(space: string, connectionId: string): Promise<void>;
  close(): Promise<void>;
}

/** The checkpoint of a closed shard read to its end: its children may start. */
export const SHARD_END = 'SHARD_END';
