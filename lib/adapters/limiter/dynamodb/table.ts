import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

/** The limits table's name next to the registry's tables: `<prefix>limits`. */
export function limitsTableName(tablePrefix: string): string {
  return `${tablePrefix}limits`;
}

/** The table's partition key: the function's limiter key, `<space>/<functionId>`. */
export const LIMITS_PARTITION_KEY = 'pk';
/** The TTL attribute (seconds since the epoch): an item untouched for a day is removed; it holds nothing by then. */
export const LIMITS_TTL_ATTRIBUTE = 'expiresAt';

/**
 * The limits table (README.md next to this file): one item per limited function, keyed `pk` (S). On-demand billing,
 * TTL on `expiresAt`. The definition is exported so that the CDK stack builds the same table.
 */
export function limitsTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: LIMITS_PARTITION_KEY, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: LIMITS_PARTITION_KEY, KeyType: 'HASH' }],
  };
}

/** Creates the table when it is missing (local runs against DynamoDB Local; on AWS the stack makes it). */
export async function ensureLimitsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
  }
  try {
    await client.send(new CreateTableCommand(limitsTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: tableName });
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: LIMITS_TTL_ATTRIBUTE, Enabled: true },
    }),
  ).catch((error: unknown) => {
    // A second process enabling TTL at the same time gets a ValidationException ("already enabled").
    if ((error as { name?: string }).name !== 'ValidationException') throw error;
  });
}
