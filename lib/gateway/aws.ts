import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoAccessKeyStore } from '../adapters/access-keys/dynamodb/index.js';
import { DynamoDeadLetterStore } from '../adapters/dead-letters/dynamodb/index.js';
import { DynamoLimiter, ensureLimitsTable } from '../adapters/limiter/dynamodb/index.js';
import { SqsDeliveryQueue } from '../adapters/queue/sqs/index.js';
import {
  DynamoRegistry,
  StreamRelay,
  ensureRegistryTables,
  registryTableNames,
  type StreamRelayOptions,
} from '../adapters/registry/dynamodb/index.js';
import type { RegistryChange } from '../ports/registry.js';
import { DEFAULT_MAX_PENDING, DEFAULT_TABLE_PREFIX, envName, settingFromEnv } from '../settings/index.js';

/**
 * Where the AWS adapters find their resources (docs/operations.md#flags): flags locally, environment variables in
 * Lambda.
 */
export interface AwsResourceOptions {
  /** Prefix of the three tables. @default 'event-gateway-' */
  tablePrefix?: string;
  /** A DynamoDB-compatible endpoint (DynamoDB Local); unset on AWS. */
  dynamodbEndpoint?: string;
  /** The limits table shared by every process (`--limits-table`); unset: no DynamoDB limiter. */
  limitsTable?: string;
  /** The async fan-out queue. */
  sqsQueueUrl?: string;
  /** An SQS-compatible endpoint (fauxqs); unset on AWS. */
  sqsEndpoint?: string;
  /** @default the SDK's (AWS_REGION) */
  region?: string;
  /** Pending items beyond which enqueue refuses (429). @default {@link DEFAULT_MAX_PENDING} */
  maxPending?: number;
  /** Create missing tables. @default true when `dynamodbEndpoint` is set (local runs), false on AWS (the stack made them) */
  createTables?: boolean;
  /** The registry's change feed reports how long a change took to reach this process. */
  onChangeLag?: (lagMs: number, change: RegistryChange) => void;
  /**
   * Relay the registry table's Stream into the change log from this process (when no invalidation Lambda does):
   * the lease's length and where to report. @default no relay (the Lambda handlers never relay)
   */
  streamRelay?: Pick<StreamRelayOptions, 'leaseMs' | 'onError' | 'onLeaseChange'>;
  /** The registry reports this process's own writes to its listeners at once (see DynamoRegistry). @default false */
  ownWritesAtOnce?: boolean;
}

export interface DynamoStores {
  client: DynamoDBClient;
  registry: DynamoRegistry;
  deadLetters: DynamoDeadLetterStore;
  accessKeys: DynamoAccessKeyStore;
  /** Present when `streamRelay` was asked for. */
  relay?: StreamRelay;
  close(): Promise<void>;
}

/** The registry, dead letters and access keys on DynamoDB (the three tables of docs/architecture.md#on-aws). */
export async function openDynamoStores(options: AwsResourceOptions): Promise<DynamoStores> {
  const client = new DynamoDBClient({ endpoint: options.dynamodbEndpoint, region: options.region });
  const tablePrefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  if (options.createTables ?? options.dynamodbEndpoint !== undefined) await ensureRegistryTables(client, tablePrefix);
  const tables = registryTableNames(tablePrefix);
  const registry = new DynamoRegistry({
    client,
    tablePrefix,
    ownWritesAtOnce: options.ownWritesAtOnce ?? false,
    onChangeLag: options.onChangeLag,
  });
  const streams = options.streamRelay
    ? new DynamoDBStreamsClient({ endpoint: options.dynamodbEndpoint, region: options.region })
    : undefined;
  const relay = streams && new StreamRelay({ ...options.streamRelay, client, streams, tablePrefix }).start();
  return {
    client,
    registry,
    deadLetters: new DynamoDeadLetterStore({ client, tableName: tables.deadLetters }),
    accessKeys: new DynamoAccessKeyStore({ client, tableName: tables.registry }),
    relay,
    async close() {
      await relay?.stop();
      streams?.destroy();
      await registry.close();
      client.destroy();
    },
  };
}

/**
 * The function limits shared by every process on the limits table (`--limits-table`, docs/limits.md), or undefined
 * when none is named. Reuses `client` when given (the stores'); `close` releases only a client of its own (the
 * composition closes the limiter).
 */
export async function openDynamoLimiter(
  options: AwsResourceOptions,
  shared: { client?: DynamoDBClient; onError?: (error: unknown, key: string) => void } = {},
): Promise<{ limiter: DynamoLimiter; close(): void } | undefined> {
  if (!options.limitsTable) return undefined;
  const client = shared.client ?? new DynamoDBClient({ endpoint: options.dynamodbEndpoint, region: options.region });
  const own = shared.client === undefined;
  try {
    if (options.createTables ?? options.dynamodbEndpoint !== undefined) await ensureLimitsTable(client, options.limitsTable);
  } catch (error) {
    if (own) client.destroy();
    throw error;
  }
  return {
    limiter: new DynamoLimiter({ client, tableName: options.limitsTable, onError: shared.onError }),
    close: () => {
      if (own) client.destroy();
    },
  };
}

/** The async fan-out queue on SQS. */
export function openSqsQueue(options: AwsResourceOptions): { queue: SqsDeliveryQueue; client: SQSClient } {
  if (!options.sqsQueueUrl) throw new Error(`the SQS queue needs a queue URL: --sqs-queue-url or ${envName('sqsQueueUrl')}`);
  const client = new SQSClient({ endpoint: options.sqsEndpoint, region: options.region });
  return { client, queue: new SqsDeliveryQueue({ client, queueUrl: options.sqsQueueUrl, maxPending: options.maxPending ?? DEFAULT_MAX_PENDING }) };
}

/** The same settings from the environment, for the Lambda handlers (the flags' variables, lib/settings). */
export function awsResourceOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsResourceOptions {
  return {
    tablePrefix: settingFromEnv('dynamodbTablePrefix', env),
    dynamodbEndpoint: settingFromEnv('dynamodbEndpoint', env),
    limitsTable: settingFromEnv('limitsTable', env),
    sqsQueueUrl: settingFromEnv('sqsQueueUrl', env),
    sqsEndpoint: settingFromEnv('sqsEndpoint', env),
    maxPending: settingFromEnv('maxPending', env),
  };
}
