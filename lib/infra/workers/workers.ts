import { Duration } from 'aws-cdk-lib';
import { EventSourceMapping, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
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
/** @default concurrent delivery invocations (the SQS event source's `maxConcurrency`) */
export const DEFAULT_DELIVERY_MAX_CONCURRENCY = 50;
/**
 * How the invalidation mapping gives up on a batch it cannot log: it halves a failing batch (bisect) down to the
 * bad record, retries each part this many times, and drops records older than {@link INVALIDATION_MAX_RECORD_AGE};
 * what it drops is described in the on-failure queue, whose alarm says to restart the routers (docs/aws-operations.md).
 */
export const INVALIDATION_RETRY_ATTEMPTS = 10;
export const INVALIDATION_MAX_RECORD_AGE = Duration.hours(1);

export interface WorkersProps {
  /** Settings shared by the handlers (`settingsEnv`, lib/settings). */
  readonly environment: Readonly<Record<string, string>>;
  readonly tables: RegistryTables;
  readonly queue: DeliveryQueue;
  /** The calls to AWS function targets, for the delivery worker. */
  readonly targets: TargetAccess;
  /** Concurrent delivery invocations at most. @default {@link DEFAULT_DELIVERY_MAX_CONCURRENCY} */
  readonly deliveryMaxConcurrency?: number;
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
 *   record, in order, `ReportBatchItemFailures` resuming at the first unlogged record; a batch that keeps failing
 *   is bisected, retried {@link INVALIDATION_RETRY_ATTEMPTS} times and at most for {@link INVALIDATION_MAX_RECORD_AGE},
 *   then described in {@link Workers.invalidationFailures});
 * - **DLQ drainer** moves what the queue's redrive policy put in its DLQ into the dead-letter table.
 */
export class Workers extends Construct {
  readonly delivery: GatewayFunction;
  readonly invalidation: GatewayFunction;
  readonly dlqDrainer: GatewayFunction;
  /** Where the invalidation mapping describes the Stream records it gave up on (shard and sequence numbers). */
  readonly invalidationFailures: Queue;

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
        maxConcurrency: props.deliveryMaxConcurrency ?? DEFAULT_DELIVERY_MAX_CONCURRENCY,
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
    // It holds only shard ids and sequence numbers, never config: SQS-managed encryption, no key grants needed.
    this.invalidationFailures = new Queue(this, 'InvalidationFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const rule of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
      acknowledgeFinding(
        this.invalidationFailures,
        rule,
        'This queue is itself a failure destination: it holds descriptions of Stream records the invalidation mapping gave up on, read by an operator.',
      );
    }
    this.invalidation.addEventSource(
      new DynamoEventSource(tables.registry, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: INVALIDATION_BATCH_SIZE,
        reportBatchItemFailures: true,
        parallelizationFactor: 1,
        bisectBatchOnError: true,
        retryAttempts: INVALIDATION_RETRY_ATTEMPTS,
        maxRecordAge: INVALIDATION_MAX_RECORD_AGE,
        onFailure: new SqsDlq(this.invalidationFailures),
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
    for (const fn of [this.delivery, this.dlqDrainer]) {
      for (const mapping of fn.node.children.filter((child) => child instanceof EventSourceMapping)) {
        acknowledgeFinding(
          mapping,
          'Serverless-LambdaEventSourceMappingDestination',
          'An SQS event source takes no on-failure destination: a message that keeps failing goes to the queue\'s own DLQ by its redrive policy.',
        );
      }
    }
    grantTableAccess(this.dlqDrainer, tables, TABLE_ACCESS.dlqDrainer);
  }
}
