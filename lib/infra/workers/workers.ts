import { Duration } from 'aws-cdk-lib';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../nag.js';
import { GatewayFunction } from '../lambdas/gateway-function.js';
import { TABLE_ACCESS, grantQueueSend, grantTableAccess } from '../permissions.js';
import type { DeliveryQueue } from '../queue/delivery-queue.js';
import type { RegistryTables } from '../registry/tables.js';
import type { TargetAccess } from '../targets/targets.js';

import { DELIVERY_BATCHING_WINDOW_SECONDS, DELIVERY_BATCH_SIZE } from './batching.js';

export { DELIVERY_BATCHING_WINDOW_SECONDS, DELIVERY_BATCH_SIZE } from './batching.js';

/** How long one delivery batch (up to DELIVERY_BATCH_SIZE bundles, items delivered concurrently) may run. */
export const DELIVERY_TIMEOUT = Duration.seconds(60);
/** How long one DLQ batch may run. */
export const DLQ_DRAINER_TIMEOUT = Duration.seconds(30);
/** Stream records per invalidation invocation; the change log writes them 99 per transaction. */
export const INVALIDATION_BATCH_SIZE = 100;

export interface WorkersProps {
  /** `EVENT_GATEWAY_*` settings shared by the handlers. */
  readonly environment: Readonly<Record<string, string>>;
  readonly tables: RegistryTables;
  readonly queue: DeliveryQueue;
  /** The calls to AWS function targets, for the delivery worker. */
  readonly targets: TargetAccess;
  /** @default 30 */
  readonly logRetentionDays?: number;
  /** Keep the log groups when the stack is deleted. @default true */
  readonly retain?: boolean;
}

/**
 * The Lambdas behind the router:
 * - **delivery** consumes the fan-out queue (SQS event source, `ReportBatchItemFailures`): what it cannot settle
 *   stays in the queue; retries are re-sent copies with a delay;
 * - **invalidation** turns the registry table's Stream into the change log the routers poll (from the oldest
 *   record, in order, `ReportBatchItemFailures` resuming at the first unlogged record, retried until it succeeds);
 * - **DLQ drainer** moves what the queue's redrive policy put in its DLQ into the dead-letter table.
 */
export class Workers extends Construct {
  readonly delivery: GatewayFunction;
  readonly invalidation: GatewayFunction;
  readonly dlqDrainer: GatewayFunction;

  constructor(scope: Construct, id: string, props: WorkersProps) {
    super(scope, id);
    const { tables, queue } = props;
    const common = { logRetentionDays: props.logRetentionDays ?? 30, retainLogs: props.retain ?? true };

    this.delivery = new GatewayFunction(this, 'Delivery', {
      handlerName: 'delivery',
      description: 'Event gateway async delivery worker (SQS event source)',
      memorySize: 1024,
      timeout: DELIVERY_TIMEOUT,
      environment: props.environment,
      ...common,
    });
    this.delivery.addEventSource(
      new SqsEventSource(queue.queue, {
        batchSize: DELIVERY_BATCH_SIZE,
        maxBatchingWindow: Duration.seconds(DELIVERY_BATCHING_WINDOW_SECONDS),
        reportBatchItemFailures: true,
      }),
    );
    grantQueueSend(this.delivery, queue.queue, queue.encryptionKey);
    grantTableAccess(this.delivery, tables, TABLE_ACCESS.delivery);
    if (this.delivery.role) props.targets.attachTo(this.delivery.role);

    this.invalidation = new GatewayFunction(this, 'Invalidation', {
      handlerName: 'invalidation',
      description: 'Event gateway cache invalidation: registry Stream to change log',
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: props.environment,
      ...common,
    });
    this.invalidation.addEventSource(
      new DynamoEventSource(tables.registry, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: INVALIDATION_BATCH_SIZE,
        reportBatchItemFailures: true,
        parallelizationFactor: 1,
      }),
    );
    grantTableAccess(this.invalidation, tables, TABLE_ACCESS.invalidation);
    const streamPolicy = this.invalidation.role?.node.tryFindChild('DefaultPolicy');
    if (streamPolicy) {
      acknowledgeFinding(
        streamPolicy,
        'AwsSolutions-IAM5[Resource::*]',
        'dynamodb:ListStreams, added by the Lambda event source for the registry Stream, supports no resource-level permissions.',
      );
    }

    this.dlqDrainer = new GatewayFunction(this, 'DlqDrainer', {
      handlerName: 'dlq-drainer',
      description: 'Event gateway DLQ drainer: delivery DLQ to the dead-letter table',
      memorySize: 256,
      timeout: DLQ_DRAINER_TIMEOUT,
      environment: props.environment,
      ...common,
    });
    this.dlqDrainer.addEventSource(new SqsEventSource(queue.deadLetterQueue, { batchSize: 10, reportBatchItemFailures: true }));
    grantTableAccess(this.dlqDrainer, tables, TABLE_ACCESS.dlqDrainer);
  }
}
