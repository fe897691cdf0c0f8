import { randomUUID } from 'node:crypto';
import type { ConnectionRuntime } from '../connectors/runtime.js';
import { ConflictError, NotFoundError } from '../core/errors/index.js';
import { mergeConnectionSecrets, parseConnection, type Connection } from '../core/connections/index.js';
import { ConnectionExistsError, type ConnectionStore } from '../ports/registry.js';
import { filterByMetadata, type MetadataFilters } from './service.js';

/**
 * The connections API's rules (the original connector's API, extended): validate the body, let the runtime refuse
 * what it cannot run, store, then tell the runtime. No referential checks: the Serverless plugin creates a connection
 * before the event type it names and removes event types that connections still use (an event of a connection whose
 * event type is missing counts as unrouted). Mutations run one at a time in this process, so the store and the
 * runtime see the changes in the same order.
 */
export class ConnectionsService {
  private mutations: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ConnectionStore,
    private readonly runtime: ConnectionRuntime,
    private readonly newId: () => string = randomUUID,
  ) {}

  async list(space: string, filters: MetadataFilters): Promise<Connection[]> {
    return filterByMetadata(await this.store.listConnections(space), filters);
  }

  async get(space: string, connectionId: string): Promise<Connection> {
    const found = await this.store.getConnection(space, connectionId);
    if (!found) throw connectionNotFound(connectionId);
    return found;
  }

  /** Stored, then started; when starting it fails, nothing stays stored (and a half-made runtime is undone). */
  create(space: string, body: string): Promise<Connection> {
    const connection = mergeConnectionSecrets(parseConnection(body, { space, newId: this.newId }), undefined);
    this.runtime.check?.(connection);
    return this.serialised(async () => {
      const exists = () => new ConflictError(`Connection "${connection.connectionId}" already exists.`);
      try {
        await this.store.createConnection(connection);
      } catch (error) {
        if (error instanceof ConnectionExistsError) throw exists();
        throw error;
      }
      try {
        await this.runtime.apply(space, connection.connectionId, connection);
      } catch (error) {
        await this.store.deleteConnection(space, connection.connectionId);
        await this.runtime.apply(space, connection.connectionId, undefined).catch(() => undefined);
        throw error;
      }
      return connection;
    });
  }

  /**
   * Replaces a stored connection (the id is the URL's); secrets sent back as `********` keep their stored values.
   * When the runtime refuses the new one, the old one is put back.
   */
  update(space: string, connectionId: string, body: string): Promise<Connection> {
    const parsed = parseConnection(body, { space, connectionId, newId: this.newId });
    return this.serialised(async () => {
      const stored = await this.store.getConnection(space, connectionId);
      if (!stored) throw connectionNotFound(connectionId);
      const connection = mergeConnectionSecrets(parsed, stored);
      this.runtime.check?.(connection);
      await this.store.putConnection(connection);
      try {
        await this.runtime.apply(space, connectionId, connection);
      } catch (error) {
        await this.store.putConnection(stored);
        await this.runtime.apply(space, connectionId, stored).catch(() => undefined);
        throw error;
      }
      return connection;
    });
  }

  /** Deleted, then stopped. */
  delete(space: string, connectionId: string): Promise<void> {
    return this.serialised(async () => {
      if (!(await this.store.deleteConnection(space, connectionId))) throw connectionNotFound(connectionId);
      await this.runtime.apply(space, connectionId, undefined);
    });
  }

  private serialised<T>(mutation: () => Promise<T>): Promise<T> {
    const result = this.mutations.then(mutation);
    this.mutations = result.catch(() => undefined);
    return result;
  }
}

const connectionNotFound = (id: string) => new NotFoundError(`Connection "${id}" not found.`);
