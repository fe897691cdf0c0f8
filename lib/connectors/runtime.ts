import type { Connection } from '../core/connections/index.js';

/**
 * What makes connections run, told of every change by the connections API, which does not know which one it has:
 * locally the pollers in the gateway process ({@link ConnectorManager}); on AWS the Lambda event source mappings to
 * the connector function ({@link EventSourceMappings}).
 */
export interface ConnectionRuntime {
  /**
   * Refuses a connection this runtime cannot run with a `BadRequestError` saying what to change; called before the
   * connection is stored. Absent: every valid connection runs.
   */
  check?(connection: Connection): void;
  /**
   * The connection was created or updated (`connection` given) or deleted (undefined): start, restart or stop what
   * reads it. Rejects with an `HttpError` when that failed because of the connection (the API answers it).
   */
  apply(space: string, connectionId: string, connection: Connection | undefined): Promise<void>;
  /** Makes what runs exactly what `connections` (every stored connection) need: at start, after a reload. */
  sync(connections: readonly Connection[]): Promise<void>;
  stop(): Promise<void>;
}
