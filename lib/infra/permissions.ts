import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DEAD_LETTER_INDEX } from '../adapters/dead-letters/dynamodb/store.js';

/** The DynamoDB calls the adapters make (lib/adapters/**\/dynamodb), as IAM actions without the `dynamodb:` prefix. */
export type TableAction =
  | 'GetItem'
  | 'Query'
  | 'Scan'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'ConditionCheckItem'
  | 'BatchWriteItem';

/** Which table calls each role makes. */
export interface TableAccess {
  registry?: readonly TableAction[];
  changes?: readonly TableAction[];
  deadLetters?: readonly TableAction[];
}

/**
 * Least privilege per role, from what each app does on the tables (transactions need the actions of their parts):
 * - the router reads the registry (snapshot Scan, item and guard reads, access keys), polls the change log, and
 *   counts dead letters for its gauge;
 * - the config API writes the registry (puts, deletes, guarded transactions, key revocations), reads the change
 *   log's version for snapshots, and lists, deletes and purges dead letters (the list Queries the index);
 * - the delivery worker reads the registry and polls the change log like a router, and writes dead letters;
 * - the invalidation Lambda moves the change log's counter and writes its entries in one transaction;
 * - the DLQ drainer writes dead letters;
 * - the connector Lambda reads the registry (the connections, and the routing snapshot a delivery worker reads too),
 *   polls the change log, and writes the dead letters of connections.
 */
export const TABLE_ACCESS = {
  router: { registry: ['GetItem', 'Query', 'Scan'], changes: ['GetItem', 'Query'], deadLetters: ['Scan'] },
  configApi: {
    registry: ['GetItem', 'Query', 'Scan', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'],
    changes: ['GetItem'],
    deadLetters: ['GetItem', 'Query', 'DeleteItem', 'BatchWriteItem'],
  },
  delivery: { registry: ['GetItem', 'Query', 'Scan'], changes: ['GetItem', 'Query'], deadLetters: ['PutItem'] },
  invalidation: { changes: ['GetItem', 'PutItem', 'UpdateItem'] },
  dlqDrainer: { deadLetters: ['PutItem'] },
  connector: { registry: ['GetItem', 'Query', 'Scan'], changes: ['GetItem', 'Query'], deadLetters: ['PutItem'] },
} as const satisfies Record<string, TableAccess>;

const WRITES: ReadonlySet<TableAction> = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

export interface GatewayTables {
  registry: ITable;
  changes: ITable;
  deadLetters: ITable;
  /** The key of all three. */
  encryptionKey: IKey;
}

/** Grants exactly `access` on the tables, plus the KMS calls it needs: Decrypt to read, Encrypt and GenerateDataKey to write. */
export function grantTableAccess(grantee: IGrantable, tables: GatewayTables, access: TableAccess): void {
  let writes = false;
  for (const name of ['registry', 'changes', 'deadLetters'] as const) {
    const actions = access[name];
    if (!actions || actions.length === 0) continue;
    const table = tables[name];
    // The dead-letter list is a Query on its index.
    const indexArns = name === 'deadLetters' && actions.includes('Query') ? [`${table.tableArn}/index/${DEAD_LETTER_INDEX}`] : [];
    Grant.addToPrincipal({ grantee, actions: actions.map((a) => `dynamodb:${a}`), resourceArns: [table.tableArn, ...indexArns] });
    writes ||= actions.some((a) => WRITES.has(a));
  }
  tables.encryptionKey.grant(grantee, 'kms:Decrypt', 'kms:DescribeKey', ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey'] : []));
}

/** Sending to the delivery queue: SendMessage (batches too) and the count behind back-pressure, with its KMS key. */
export function grantQueueSend(grantee: IGrantable, queue: IQueue, key: IKey): void {
  Grant.addToPrincipal({ grantee, actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resourceArns: [queue.queueArn] });
  key.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
}
