import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
  type Attribute,
} from 'aws-cdk-lib/aws-dynamodb';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { registryTableDefinitions, registryTableNames } from '../../adapters/registry/dynamodb/tables.js';

/** A table definition as the adapters write it (the SDK's CreateTable input). */
type TableDefinition = ReturnType<typeof registryTableDefinitions>[number];
type KeySchemaElement = NonNullable<TableDefinition['KeySchema']>[number];

/** The change log's TTL attribute, as `ensureRegistryTables` enables it (lib/adapters/registry/dynamodb/tables.ts). */
export const CHANGES_TTL_ATTRIBUTE = 'expiresAt';

export interface RegistryTablesProps {
  /** @default 'event-gateway-' */
  readonly tablePrefix?: string;
  /** Key of all three tables. @default a new customer-managed key with yearly rotation */
  readonly encryptionKey?: IKey;
  /** Keep the tables when the stack is deleted. @default true */
  readonly retain?: boolean;
  /** DynamoDB deletion protection on all three tables (a production deploy). @default false */
  readonly deletionProtection?: boolean;
}

/**
 * The three tables of docs/architecture.md#on-aws, built from the same definitions the DynamoDB adapters create locally
 * ({@link registryTableDefinitions}), so the keys, the index and the Stream cannot drift apart. Every table is
 * on-demand, with point-in-time recovery and KMS encryption; only the registry table has a Stream (new and old
 * images), and the change log expires entries through TTL.
 */
export class RegistryTables extends Construct {
  readonly registry: Table;
  readonly changes: Table;
  readonly deadLetters: Table;
  readonly encryptionKey: IKey;

  constructor(scope: Construct, id: string, props: RegistryTablesProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    this.encryptionKey =
      props.encryptionKey ??
      new Key(this, 'Key', {
        description: 'Encrypts the event gateway registry, change log and dead-letter tables',
        enableKeyRotation: true,
        removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
    const names = registryTableNames(props.tablePrefix);
    const definitions = new Map(registryTableDefinitions(props.tablePrefix).map((d) => [d.TableName, d]));
    const build = (constructId: string, tableName: string, extra: { timeToLiveAttribute?: string } = {}) => {
      const definition = definitions.get(tableName);
      if (!definition) throw new Error(`no definition for table ${tableName}`);
      return tableFromDefinition(this, constructId, definition, {
        encryptionKey: this.encryptionKey,
        removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        deletionProtection: props.deletionProtection ?? false,
        ...extra,
      });
    };
    this.registry = build('Registry', names.registry);
    this.changes = build('Changes', names.changes, { timeToLiveAttribute: CHANGES_TTL_ATTRIBUTE });
    this.deadLetters = build('DeadLetters', names.deadLetters);
  }
}

function attribute(definition: TableDefinition, element: KeySchemaElement | undefined): Attribute | undefined {
  if (!element) return undefined;
  const declared = definition.AttributeDefinitions?.find((a) => a.AttributeName === element.AttributeName);
  const types: Readonly<Record<string, AttributeType>> = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY };
  const type = types[declared?.AttributeType ?? ''];
  if (!element.AttributeName || !type) throw new Error(`table ${definition.TableName}: no type for key attribute ${element.AttributeName}`);
  return { name: element.AttributeName, type };
}

function keysOf(definition: TableDefinition, schema: KeySchemaElement[] | undefined) {
  const partitionKey = attribute(definition, schema?.find((k) => k.KeyType === 'HASH'));
  if (!partitionKey) throw new Error(`table ${definition.TableName}: no partition key`);
  const sortKey = attribute(definition, schema?.find((k) => k.KeyType === 'RANGE'));
  return { partitionKey, sortKey };
}

/** A CDK table with the keys, indexes and Stream of an SDK CreateTable input, and the stack's secure defaults. */
export function tableFromDefinition(
  scope: Construct,
  id: string,
  definition: TableDefinition,
  options: { encryptionKey: IKey; removalPolicy: RemovalPolicy; deletionProtection: boolean; timeToLiveAttribute?: string },
): Table {
  const streamView = definition.StreamSpecification?.StreamEnabled ? definition.StreamSpecification.StreamViewType : undefined;
  const table = new Table(scope, id, {
    tableName: definition.TableName,
    ...keysOf(definition, definition.KeySchema),
    billingMode: BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: options.encryptionKey,
    stream: streamView ? StreamViewType[streamView] : undefined,
    timeToLiveAttribute: options.timeToLiveAttribute,
    removalPolicy: options.removalPolicy,
    // Unset rather than false: the template states it only when on.
    deletionProtection: options.deletionProtection || undefined,
  });
  for (const index of definition.GlobalSecondaryIndexes ?? []) {
    if (index.Projection?.ProjectionType !== 'ALL') throw new Error(`table ${definition.TableName}: only ALL projections are supported`);
    table.addGlobalSecondaryIndex({
      indexName: index.IndexName!,
      ...keysOf(definition, index.KeySchema),
      projectionType: ProjectionType.ALL,
    });
  }
  return table;
}
