import { sqsRecordToDeliveryItem, type SqsDeliveryQueue, type SqsEventRecord } from '../adapters/queue/sqs/index.js';
import type { DeliveryWorkers, SettledAs } from '../delivery/worker.js';
import type { Logger } from '../observability/logger.js';
import type { LiveRoutingTable } from '../routing/index.js';
import type { EmfMetrics } from './metrics.js';
import { waitForRoutingVersion } from './routing.js';
import type { BatchResponse } from './types.js';

/** How one SQS record ended: a settlement of the worker, or why it stays in the queue. */
export type DeliveryRecordOutcome = SettledAs | 'deferred' | 'not-an-item' | 'failed';

/** The EMF metric each outcome counts. */
export const DELIVERY_OUTCOME_METRICS: Readonly<Record<DeliveryRecordOutcome, string>> = {
  delivered: 'Delivered',
  retried: 'Retried',
  'dead-lettered': 'DeadLettered',
  skipped: 'Skipped',
  vetoed: 'Vetoed',
  deferred: 'Deferred',
  'not-an-item': 'NotDeliveryItems',
  failed: 'Failed',
};

/** Outcomes whose message must stay in the queue: Lambda deletes every record not reported. */
const STAYS_IN_QUEUE: ReadonlySet<DeliveryRecordOutcome> = new Set(['deferred', 'not-an-item', 'failed']);

export interface DeliverSqsRecordsDeps {
  queue: Pick<SqsDeliveryQueue, 'deferIfNotDue'>;
  workers: Pick<DeliveryWorkers, 'deliver'>;
  logger: Logger;
  /** Counts each outcome (zeros too, so alarms on a ratio always have data) and `Records`. */
  metrics?: EmfMetrics;
}

/**
 * The delivery Lambda's body, for an event source mapping with `ReportBatchItemFailures`. Each record, at once:
 * decoded ({@link sqsRecordToDeliveryItem}), deferred when its retry is not due ({@link SqsDeliveryQueue.deferIfNotDue}),
 * else delivered and settled by {@link DeliveryWorkers.deliver} (which deletes it, or re-sends it for a retry).
 * Deferred records, records that hold no item, and any record whose handling threw are reported as failures.
 */
export async function deliverSqsRecords(records: readonly SqsEventRecord[], deps: DeliverSqsRecordsDeps): Promise<BatchResponse> {
  const outcomes = await Promise.all(records.map((record) => deliverRecord(record, deps)));
  const { metrics } = deps;
  if (metrics) {
    metrics.count('Records', outcomes.length);
    for (const name of Object.values(DELIVERY_OUTCOME_METRICS)) metrics.count(name, 0);
    for (const outcome of outcomes) metrics.count(DELIVERY_OUTCOME_METRICS[outcome]);
  }
  return {
    batchItemFailures: records
      .filter((_, index) => STAYS_IN_QUEUE.has(outcomes[index]!))
      .map((record) => ({ itemIdentifier: record.messageId })),
  };
}

async function deliverRecord(record: SqsEventRecord, { queue, workers, logger }: DeliverSqsRecordsDeps): Promise<DeliveryRecordOutcome> {
  let item;
  try {
    item = sqsRecordToDeliveryItem(record);
  } catch (error) {
    // Left in the queue: its redrive policy moves it to the DLQ after maxReceiveCount receives.
    logger.error({ err: error, messageId: record.messageId }, 'SQS message does not hold a delivery item');
    return 'not-an-item';
  }
  try {
    if (await queue.deferIfNotDue(item)) return 'deferred';
    return await workers.deliver(item);
  } catch (error) {
    logger.error({ err: error, messageId: record.messageId, itemId: item.id }, 'delivery failed; the message stays in the queue');
    return 'failed';
  }
}

/**
 * Before a batch: a container thawed after a pause may hold a routing table older than the config a router used
 * to accept the batch's events. Waits (at most `timeoutMs`) until the table reaches the change log's current
 * version; on a timeout or a failed read it delivers with the table it has, and says so.
 */
export async function catchUpRouting(
  routing: Pick<LiveRoutingTable, 'builtVersion' | 'onSwap'>,
  readChangeLogVersion: () => Promise<number>,
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  let latest: number;
  try {
    latest = await readChangeLogVersion();
  } catch (error) {
    logger.warn({ err: error }, 'could not read the change log version; delivering with the routing table as it is');
    return;
  }
  if (!(await waitForRoutingVersion(routing, latest, timeoutMs))) {
    logger.warn({ latest, built: routing.builtVersion }, 'the routing table is still behind the change log; delivering with it');
  }
}
