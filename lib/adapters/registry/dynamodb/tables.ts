import { DEFAULT_TABLE_PREFIX } from '../../../settings/defaults.js';
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Kind } from '../../../core/model/types.js';
import { deadLetterTableInput } from '../../dead-letters/dynamodb/index.js';

/**
 * The three tables of docs/architecture.md#on-aws.
 *
 * `<prefix>registry`: one item per config item, keyed `pk` = `<kind>#<space>`, `sk` = `<id>`. A Query on one `pk`
 *   with `ScanIndexForward: false` is `list(kind, space)` in descending id order: DynamoDB compares string sort
 *   keys by their UTF-8 bytes, the order of the contract (and of etcd). The kind never contains `#`, so splitting
 *   `pk` at its first `#` gives back the kind and the whole space, whatever characters the space holds. Attributes:
 *   `json` (the item's JSON text, so it round-trips exactly), `writeId` (random per write) and `writtenAt` (ms since
 *   the epoch; it also makes every put a real change, since DynamoDB writes no Stream record for a put that
 *   changes nothing). Other item types share the table under other `pk` prefixes (`guard#…` here, `connection#…`,
 *   access keys); the Stream handler and the snapshot skip them. Streams: NEW_AND_OLD_IMAGES.
 *
 * `<prefix>changes`: the change log, keyed `pk` (S) + `version` (N). `pk = "counter"`, `version = 0` holds the
 *   newest version in `latest`; `pk = "log"` holds one entry per change (see change-log.ts). Entries expire
 *   through TTL on `expiresAt`.
 *
 * `<prefix>deadletters`: the DynamoDB dead-letter store's table, laid out as its `deadLetterTableInput` says.
 */
export interface RegistryTableNames {
  registry: string;
  changes: string;
  deadLetters: string;
}

export { DEFAULT_TABLE_PREFIX };

export function registryTableNames(tablePrefix: string = DEFAULT_TABLE_PREFIX): RegistryTableNames {
  return {
    registry: `${tablePrefix}registry`,
    changes: `${tablePrefix}changes`,
    deadLetters: `${tablePrefix}deadletters`,
  };
}

export const CONFIG_KINDS: readonly Kind[] = ['eventtype', 'function', 'subscription', 'cors'];

export function itemPartitionKey(kind: Kind, space: string): string {
  return `${kind}#${space}`;
}

/**
 * Connections live in the registry table under `pk` = `connection#<space>`, `sk` = connectionId, `json` = the
 * connection. `connection` is not a config kind, so the Stream relay and the snapshot skip them.
 */
export const CONNECTION_PARTITION_PREFIX = 'connection#';

export function connectionPartitionKey(space: string): string {
  return `${CONNECTION_PARTITION_PREFIX}${space}`;
}

/** The config item a registry key names, or undefined for the table's other item types. */
export function parseItemKey(pk: string, sk: string): { kind: Kind; space: string; id: string } | undefined {
  const hash = pk.indexOf('#');
  if (hash < 0) return undefined;
  const kind = pk.slice(0, hash);
  if (!isKind(kind)) return undefined;
  return { kind, space: pk.slice(hash + 1), id: sk };
}

export function isKind(value: string): value is Kind {
  return (CONFIG_KINDS as readonly string[]).includes(value);
}

/** The key of the change log's counter item, and the partition of its entries. */
export const COUNTER_KEY = { pk: { S: 'counter' }, version: { N: '0' } } as const;
export const LOG_PARTITION = 'log';

/** How long change entries are kept (TTL) before DynamoDB may remove them. A router further behind resyncs. */
export const DEFAULT_CHANGE_RETENTION_SECONDS = 24 * 60 * 60;

/** The CreateTable inputs of the three tables; the CDK stack must use the same keys. */
export function registryTableDefinitions(tablePrefix: string = DEFAULT_TABLE_PREFIX): CreateTableCommandInput[] {
  const names = registryTableNames(tablePrefix);
  return [
    {
      TableName: names.registry,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    },
    {
      TableName: names.changes,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'version', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'version', KeyType: 'RANGE' },
      ],
    },
    deadLetterTableInput(names.deadLetters),
  ];
}

const TABLE_ACTIVE_TIMEOUT_MS = 60_000;

/**
 * Creates whichever of the three tables is missing and waits until all are ACTIVE, with TTL on the change log.
 * For local runs and tests: on AWS the CDK stack owns the tables.
 */
export async function ensureRegistryTables(
  client: DynamoDBClient,
  tablePrefix: string = DEFAULT_TABLE_PREFIX,
): Promise<void> {
  const definitions = registryTableDefinitions(tablePrefix);
  await Promise.all(
    definitions.map(async (definition) => {
      try {
        await client.send(new CreateTableCommand(definition));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
    }),
  );
  await Promise.all(definitions.map((definition) => waitUntilActive(client, definition.TableName!)));
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: registryTableNames(tablePrefix).changes,
        TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
      }),
    );
  } catch (error) {
    // A second call finds TTL already enabled, which DynamoDB reports as a ValidationException.
    if (!(error instanceof Error && /already enabled/i.test(error.message))) throw error;
  }
}

async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} is not ACTIVE after ${TABLE_ACTIVE_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
