import type { SqsEventRecord } from '../adapters/queue/sqs/index.js';
import type { DeliveryWorkers, SettledAs } from '../delivery/worker.js';
import type { LiveRoutingTable } from '../dispatch/index.js';
import type { Logger } from '../observability/logger.js';
import { DEFAULT_WORKERS } from '../settings/index.js';
import type { DeliveryItem } from '../ports/delivery-queue.js';
import type { EmfMetrics } from './metrics.js';
import { waitForRoutingVersion } from './routing.js';
import type { BatchResponse } from './types.js';

/** How one item of an SQS record ended: a settlement of the worker, or why its record stays in the queue. */
export type DeliveryRecordOutcome = SettledAs | 'released' | 'deferred' | 'not-an-item' | 'failed';

/** The EMF metric each outcome counts (per item; `not-an-item` per record). */
export const DELIVERY_OUTCOME_METRICS: Readonly<Record<DeliveryRecordOutcome, string>> = {
  delivered: 'Delivered',
  retried: 'Retried',
  'dead-lettered': 'DeadLettered',
  skipped: 'Skipped',
  vetoed: 'Vetoed',
  postponed: 'Postponed',
  released: 'Released',
  deferred: 'Deferred',
  'not-an-item': 'NotDeliveryItems',
  failed: 'Failed',
};

const DEFAULT_RESERVE_MS = 30_000;

/** Outcomes whose record must stay in the queue: Lambda deletes every record not reported. */
const STAYS_IN_QUEUE: ReadonlySet<DeliveryRecordOutcome> = new Set(['deferred', 'not-an-item', 'failed']);

/** What the batch needs of the SQS delivery queue (lib/adapters/queue/sqs) beyond the DeliveryQueue port. */
export interface SqsRecordQueue {
  /** The items of one record (a bundle of them), leased to this invocation. */
  openRecord(record: SqsEventRecord): Promise<DeliveryItem[]>;
  /** When the item's retry is still ahead: hides its message until it is due, and returns true. */
  deferIfNotDue(item: DeliveryItem): Promise<boolean>;
  /** Moves the item, unchanged and with no attempt counted, into a new message. */
  release(item: DeliveryItem): Promise<void>;
}

export interface DeliverSqsRecordsDeps {
  queue: SqsRecordQueue;
  workers: Pick<DeliveryWorkers, 'deliver'>;
  logger: Logger;
  /** Deliveries in flight at once, over all the items of the batch (the `workers` setting). @default 64 */
  concurrency?: number;
  /** Milliseconds left in the invocation (Lambda's `context.getRemainingTimeInMillis`); without it, no budget. */
  remainingMs?: () => number;
  /**
   * An item is started only while at least this much of the invocation is left. Later ones are moved, unchanged
   * and with no attempt counted, into a new message ({@link SqsRecordQueue.release}), so that a batch of full
   * bundles behind slow targets never runs into the function's timeout (which would deliver its bundles again).
   * @default 30000 (above the 25 s default bound of a call to an AWS target)
   */
  reserveMs?: number;
  /**
   * Counts each outcome (zeros too, so alarms on a ratio always have data), `Records` (messages), `Items` and
   * `SplitBundles` (bundles handed out before, re-sent one message per item).
   */
  metrics?: EmfMetrics;
}

/**
 * The delivery Lambda's body, for an event source mapping with `ReportBatchItemFailures`. Each record is a bundle
 * of items ({@link SqsRecordQueue.openRecord}); every item of every record is delivered at once, at most
 * `concurrency` at a time: deferred when its retry is not due ({@link SqsRecordQueue.deferIfNotDue}), else
 * delivered and settled by {@link DeliveryWorkers.deliver} (a retry re-sends it in a new bundle). A record is
 * reported as a failure, so it stays in the queue and comes back whole (then split), when it holds no item, or
 * when one of its items was deferred or its handling threw; otherwise Lambda deletes it.
 */
export async function deliverSqsRecords(records: readonly SqsEventRecord[], deps: DeliverSqsRecordsDeps): Promise<BatchResponse> {
  const slots = new Slots(deps.concurrency ?? DEFAULT_WORKERS);
  const results = await Promise.all(records.map((record) => deliverRecord(record, deps, slots)));
  const { metrics } = deps;
  if (metrics) {
    metrics.count('Records', records.length);
    metrics.count('Items', results.reduce((sum, result) => sum + result.items, 0));
    metrics.count('SplitBundles', results.filter((result) => result.split).length);
    for (const name of Object.values(DELIVERY_OUTCOME_METRICS)) metrics.count(name, 0);
    for (const result of results) for (const outcome of result.outcomes) metrics.count(DELIVERY_OUTCOME_METRICS[outcome]);
  }
  return {
    batchItemFailures: records
      .filter((_, index) => results[index]!.outcomes.some((outcome) => STAYS_IN_QUEUE.has(outcome)))
      .map((record) => ({ itemIdentifier: record.messageId })),
  };
}

async function deliverRecord(
  record: SqsEventRecord,
  { queue, workers, logger, remainingMs, reserveMs = DEFAULT_RESERVE_MS }: DeliverSqsRecordsDeps,
  slots: Slots,
): Promise<{ outcomes: DeliveryRecordOutcome[]; items: number; split?: boolean }> {
  let items;
  try {
    items = await queue.openRecord(record);
  } catch (error) {
    // Left in the queue: its redrive policy moves it to the DLQ after maxReceiveCount receives.
    logger.error({ err: error, messageId: record.messageId }, 'SQS message does not hold delivery items, or could not be split');
    return { outcomes: ['not-an-item'], items: 0 };
  }
  if (items.length === 0) return { outcomes: [], items: 0, split: true };
  const outcomes = await Promise.all(
    items.map((item) =>
      slots.run(async (): Promise<DeliveryRecordOutcome> => {
        try {
          if (remainingMs !== undefined && remainingMs() < reserveMs) {
            await queue.release(item);
            return 'released';
          }
          if (await queue.deferIfNotDue(item)) return 'deferred';
          return await workers.deliver(item);
        } catch (error) {
          logger.error({ err: error, messageId: record.messageId, itemId: item.id }, 'delivery failed; the message stays in the queue');
          return 'failed';
        }
      }),
    ),
  );
  return { outcomes, items: items.length };
}

/** At most `size` tasks at once; the others wait in order. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = Math.max(1, Math.floor(size));
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
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
