import { SqliteAccessKeyStore } from '../adapters/access-keys/sqlite/index.js';
import { SqliteCheckpointStore } from '../adapters/checkpoints/sqlite/index.js';
import { SqliteDeadLetterStore } from '../adapters/dead-letters/sqlite/index.js';
import { SqliteDeliveryQueue } from '../adapters/queue/sqlite/index.js';
import { SqliteRegistry } from '../adapters/registry/sqlite/index.js';
import { openDatabase, type SqliteDatabase } from '../adapters/sqlite/index.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import type { AccessKeyStore } from '../ports/access-keys.js';
import type { CheckpointStore } from '../ports/checkpoint-store.js';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';
import type { DeliveryQueue } from '../ports/delivery-queue.js';
import type { Registry } from '../ports/registry.js';
import type { ResolvedGatewayOptions } from './options.js';

/** The adapters behind the ports, chosen by `--store` and `--queue`. */
export interface GatewayStores {
  registry: Registry;
  queue: DeliveryQueue;
  deadLetters: DeadLetterStore;
  accessKeys: AccessKeyStore;
  /**
   * The local pollers' checkpoints, in the embedded SQLite file (whatever `--store` says: the positions belong to
   * this process's pollers), opened on first call.
   */
  checkpoints(): CheckpointStore;
  /** Dead-letter count for the gauge; cached where counting is a scan (DynamoDB). */
  deadLetterCount(): Promise<number>;
  close(): Promise<void>;
}

const DYNAMO_COUNT_CACHE_MS = 30_000;

export async function openStores(options: ResolvedGatewayOptions, metrics: GatewayMetrics, logger: Logger): Promise<GatewayStores> {
  const closers: Array<() => Promise<void> | void> = [];
  let db: SqliteDatabase | undefined;
  const sqlite = () => {
    if (!db) {
      db = options.dataDir === ':memory:' ? openDatabase({ filename: ':memory:' }) : openDatabase({ dataDir: options.dataDir });
      const opened = db;
      closers.push(() => {
        opened.close();
      });
    }
    return db;
  };
  // The AWS SDK is loaded only when an AWS adapter is chosen: local mode starts without it.
  const aws = options.store === 'dynamodb' || options.queue === 'sqs' ? await import('./aws.js') : undefined;
  const resources = {
    tablePrefix: options.dynamodbTablePrefix,
    dynamodbEndpoint: options.dynamodbEndpoint,
    sqsQueueUrl: options.sqsQueueUrl,
    sqsEndpoint: options.sqsEndpoint,
    maxPending: options.maxPending,
    onChangeLag: (lagMs: number) => metrics.configPropagationSeconds.observe(lagMs / 1000),
    // A process that serves the config API routes its own changes at once (read-your-writes).
    ownWritesAtOnce: !options.routerOnly,
    // The process that serves the config API relays the Stream, unless told not to (the stack's Lambda does it).
    ...(options.streamRelay === 'auto' && !options.routerOnly
      ? {
          streamRelay: {
            leaseMs: options.streamRelayLeaseMs,
            onError: (error: unknown) => logger.warn({ err: error }, 'relaying the registry Stream failed; retrying'),
            onLeaseChange: (holding: boolean) =>
              logger.info({ holding }, holding ? 'relaying the registry Stream into the change log' : 'stream relay lease lost; standing by'),
          },
        }
      : {}),
  };

  let registry: Registry;
  let deadLetters: DeadLetterStore;
  let accessKeys: AccessKeyStore;
  let deadLetterCount: () => Promise<number>;
  if (options.store === 'dynamodb') {
    const dynamo = await aws!.openDynamoStores(resources);
    closers.push(() => dynamo.close());
    ({ registry, deadLetters, accessKeys } = dynamo);
    let cached: { value: number; until: number } | undefined;
    deadLetterCount = async () => {
      if (!cached || cached.until < Date.now()) cached = { value: await dynamo.deadLetters.count(), until: Date.now() + DYNAMO_COUNT_CACHE_MS };
      return cached.value;
    };
  } else {
    registry = new SqliteRegistry(sqlite());
    const store = new SqliteDeadLetterStore(sqlite());
    deadLetters = store;
    accessKeys = new SqliteAccessKeyStore(sqlite());
    deadLetterCount = () => store.count();
  }

  let queue: DeliveryQueue;
  if (options.queue === 'sqs') {
    const sqs = aws!.openSqsQueue(resources);
    queue = sqs.queue;
    closers.push(() => sqs.client.destroy());
  } else {
    queue = new SqliteDeliveryQueue(sqlite(), {
      maxPending: options.maxPending,
      durability: options.durability,
      onCommit: ({ items }) => {
        metrics.queueCommits.inc();
        metrics.queueCommittedItems.inc(items);
      },
      onError: (error) => logger.error({ err: error }, 'delivery queue commit failed'),
    });
  }

  let checkpoints: CheckpointStore | undefined;
  return {
    registry,
    queue,
    deadLetters,
    accessKeys,
    checkpoints: () => (checkpoints ??= new SqliteCheckpointStore(sqlite())),
    deadLetterCount,
    async close() {
      // The queue first (it flushes pending acks), then the stores, then the files and clients they use.
      await queue.close();
      await deadLetters.close();
      await registry.close();
      await checkpoints?.close();
      for (const close of closers.reverse()) await close();
    },
  };
}

/** The access keys of local mode alone (`event-gateway keys`), on the SQLite file in `dataDir`. */
export function openSqliteAccessKeys(dataDir: string): { accessKeys: AccessKeyStore; close(): void } {
  const db = openDatabase({ dataDir });
  return { accessKeys: new SqliteAccessKeyStore(db), close: () => db.close() };
}
