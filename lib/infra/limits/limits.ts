import { RemovalPolicy } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { LIMITS_TTL_ATTRIBUTE, limitsTableInput, limitsTableName } from '../../adapters/limiter/dynamodb/index.js';
import { DEFAULT_TABLE_PREFIX } from '../../settings/index.js';
import { tableFromDefinition } from '../registry/tables.js';

/** The two calls the DynamoDB limiter makes (lib/adapters/limiter/dynamodb): conditional updates, and a read after a lost race. */
export const LIMITER_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

export interface DeliveryLimitsProps {
  /** @default 'event-gateway-' */
  readonly tablePrefix?: string;
  /** The registry tables' key. */
  readonly encryptionKey: IKey;
  /** DynamoDB deletion protection (a production deploy). @default false */
  readonly deletionProtection?: boolean;
}

/**
 * The limits table (`<prefix>limits`): one item per function with `rateLimit` or `maxConcurrency`, shared by the
 * router tasks and the delivery Lambdas (docs/limits.md). Built from the definition the adapter creates locally, with
 * the stack's defaults (on-demand, point-in-time recovery, the registry's key) and TTL on `expiresAt`. It holds only
 * state that rebuilds itself within a second, so it is not retained when the stack is deleted.
 */
export class DeliveryLimits extends Construct {
  readonly table: Table;
  private readonly encryptionKey: IKey;

  constructor(scope: Construct, id: string, props: DeliveryLimitsProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.table = tableFromDefinition(this, 'Table', limitsTableInput(limitsTableName(props.tablePrefix ?? DEFAULT_TABLE_PREFIX)), {
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: props.deletionProtection ?? false,
      timeToLiveAttribute: LIMITS_TTL_ATTRIBUTE,
    });
  }

  /** The limiter's calls on this table and nothing else, with the key's calls a write needs. */
  grantLimiter(grantee: IGrantable): void {
    Grant.addToPrincipal({ grantee, actions: [...LIMITER_TABLE_ACTIONS], resourceArns: [this.table.tableArn] });
    this.encryptionKey.grant(grantee, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey');
  }
}
