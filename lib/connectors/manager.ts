import { isDeepStrictEqual } from 'node:util';
import type { Connection, SourceType } from '../core/connections/index.js';
import type { Logger } from '../observability/logger.js';
import type { CheckpointStore } from '../ports/checkpoint-store.js';
import type { RecordIntake } from './intake.js';
import type { ConnectorMetrics } from './metrics.js';
import { pause } from './pollers/support.js';
import type { Poller, PollerTiming } from './pollers/types.js';

/** The poller of each source type, loaded on first use (local mode starts without the AWS SDK or amqplib). */
const DEFAULT_POLLERS: Readonly<Record<SourceType, () => Promise<Poller>>> = {
  awskinesis: async () => (await import('./pollers/kinesis.js')).pollKinesis,
  awssqs: async () => (await import('./pollers/sqs.js')).pollSqs,
  awsdynamodbstreams: async () => (await import('./pollers/dynamodb-streams.js')).pollDynamoDbStreams,
  amqp: async () => (await import('./pollers/amqp.js')).pollAmqp,
};

export interface ConnectorManagerOptions extends PollerTiming {
  intake: RecordIntake;
  checkpoints: CheckpointStore;
  metrics: ConnectorMetrics;
  logger: Logger;
  /** Replaces the poller of a source type (tests). */
  pollers?: Partial<Record<SourceType, Poller>>;
}

interface Running {
  connection: Connection;
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Runs one poller per connection, in this process. Creating, updating or deleting a connection starts, restarts or
 * stops its poller ({@link apply}); a connection pointed at another source (type, stream, queue, region) starts
 * over, so its old checkpoints are dropped with it, as they are when it is deleted.
 */
export class ConnectorManager {
  private readonly running = new Map<string, Running>();
  /** Changes of one connection applied one after another. */
  private readonly queues = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly options: ConnectorManagerOptions) {}

  /** The connections whose pollers run now. */
  get connections(): Connection[] {
    return [...this.running.values()].map((r) => r.connection);
  }

  /** Makes the running pollers exactly those of `connections` (at start, and after a reload). */
  async sync(connections: readonly Connection[]): Promise<void> {
    const wanted = new Map(connections.map((c) => [key(c.space, c.connectionId), c]));
    const keys = new Set([...wanted.keys(), ...this.running.keys()]);
    await Promise.all(
      [...keys].map((k) => {
        const connection = wanted.get(k);
        const [space, id] = splitKey(k);
        return this.apply(space, id, connection);
      }),
    );
  }

  /** The connection was created or updated (`connection` given) or deleted (undefined). */
  apply(space: string, connectionId: string, connection: Connection | undefined): Promise<void> {
    const k = key(space, connectionId);
    const previous = this.queues.get(k) ?? Promise.resolve();
    const next = previous.then(() => this.applyNow(k, space, connectionId, connection));
    const settled = next.catch((error: unknown) => this.options.logger.error({ err: error, space, connectionId }, 'applying a connection change failed'));
    this.queues.set(k, settled);
    void settled.finally(() => {
      if (this.queues.get(k) === settled) this.queues.delete(k);
    });
    return settled;
  }

  /** Stops every poller; records in flight are not acknowledged, so they are read again after a restart. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.queues.values()]);
    await Promise.all([...this.running.keys()].map((k) => this.stopOne(k)));
  }

  private async applyNow(k: string, space: string, connectionId: string, connection: Connection | undefined): Promise<void> {
    const current = this.running.get(k);
    if (connection && current && isDeepStrictEqual(current.connection, connection)) return;
    if (current) await this.stopOne(k);
    const sameSource = connection && current && sourceIdentity(current.connection) === sourceIdentity(connection);
    if (!sameSource && (current || !connection)) await this.options.checkpoints.deleteConnection(space, connectionId);
    if (!connection) {
      this.options.metrics.forget(space, connectionId);
      return;
    }
    if (this.stopped) return;
    this.start(k, connection);
  }

  private start(k: string, connection: Connection): void {
    const abort = new AbortController();
    const { logger, metrics } = this.options;
    const log = { space: connection.space, connectionId: connection.connectionId, type: connection.type };
    const done = (async () => {
      const poller = this.options.pollers?.[connection.type] ?? (await DEFAULT_POLLERS[connection.type]());
      metrics.pollers.inc();
      logger.info(log, 'connection poller started');
      try {
        while (!abort.signal.aborted) {
          try {
            await poller({ ...this.timing(), connection, signal: abort.signal, ...this.shared() });
          } catch (error) {
            metrics.error(connection.space, connection.connectionId, 'source');
            logger.error({ ...log, err: error }, 'connection poller failed; restarting it');
          }
          if (!(await pause(1000, abort.signal))) break;
        }
      } finally {
        metrics.pollers.dec();
        logger.info(log, 'connection poller stopped');
      }
    })();
    this.running.set(k, { connection, abort, done });
  }

  private async stopOne(k: string): Promise<void> {
    const running = this.running.get(k);
    if (!running) return;
    this.running.delete(k);
    running.abort.abort();
    await running.done.catch(() => {});
  }

  private timing(): PollerTiming {
    const { idleMs, shardRefreshMs, sqsWaitSeconds, amqpPrefetch, maxBackoffMs } = this.options;
    return {
      ...(idleMs !== undefined ? { idleMs } : {}),
      ...(shardRefreshMs !== undefined ? { shardRefreshMs } : {}),
      ...(sqsWaitSeconds !== undefined ? { sqsWaitSeconds } : {}),
      ...(amqpPrefetch !== undefined ? { amqpPrefetch } : {}),
      ...(maxBackoffMs !== undefined ? { maxBackoffMs } : {}),
    };
  }

  private shared() {
    const { intake, checkpoints, metrics, logger } = this.options;
    return { intake, checkpoints, metrics, logger };
  }
}

const key = (space: string, connectionId: string): string => `${space}\n${connectionId}`;
const splitKey = (k: string): [string, string] => {
  const i = k.indexOf('\n');
  return [k.slice(0, i), k.slice(i + 1)];
};

/** What a checkpoint is a position in: the type and the stream or queue, not credentials or the starting position. */
function sourceIdentity(connection: Connection): string {
  const { awsAccessKeyId: _a, awsSecretAccessKey: _s, awsSessionToken: _t, startingPosition: _p, ...rest } = connection.source as unknown as Record<string, string>;
  return JSON.stringify([connection.type, Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1))]);
}
