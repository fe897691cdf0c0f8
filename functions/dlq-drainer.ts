/**
 * The DLQ drainer (docs/compatibility.md#dead-letters): an SQS event source on the delivery queue's DLQ. Each record
 * becomes a dead letter in the store, where the config API lists and redrives it; a record that could not be written
 * (or is not a delivery item) is reported in `batchItemFailures` and stays in the DLQ.
 */
import { decodeBundle, type SqsEventRecord } from '../lib/adapters/queue/sqs/index.js';
import { awsResourceOptionsFromEnv, openDynamoStores } from '../lib/gateway/aws.js';
import {
  ColdStart,
  lambdaSettingsFromEnv,
  sqsBatchHandler,
  type SqsBatchHandler,
} from '../lib/lambda/index.js';
import { createLogger, type Logger } from '../lib/observability/logger.js';
import type { DeadLetterRecord, DeadLetterStore } from '../lib/ports/dead-letter-store.js';

/**
 * The `lastError` of every dead letter that came through the SQS queue's own DLQ (docs/compatibility.md#dead-letters).
 */
export const EXCEEDED_MAX_RECEIVE_COUNT = 'exceeded maxReceiveCount';

export interface DlqDrainerHandlerDeps {
  /** Settings and resources (their variables: lib/settings). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default JSON lines on stdout at the `logLevel` setting's level */
  logger?: Logger;
  /** Receives each EMF document. @default stdout */
  writeMetrics?: (document: string) => void;
  /** @default Date.now */
  now?: () => number;
}

export type DlqDrainerHandler = SqsBatchHandler;

type RecordOutcome = 'moved' | 'not-an-item' | 'failed';

export function createHandler(deps: DlqDrainerHandlerDeps = {}): DlqDrainerHandler {
  const env = deps.env ?? process.env;
  const settings = lambdaSettingsFromEnv(env);
  const logger = deps.logger ?? createLogger({ level: settings.logLevel });
  const now = deps.now ?? Date.now;

  const runtime = new ColdStart(() => openDynamoStores(awsResourceOptionsFromEnv(env)));

  /** Every item of the record's bundle becomes its own dead letter; the record is moved once all are stored. */
  async function moveRecord(store: DeadLetterStore, record: SqsEventRecord): Promise<{ outcome: RecordOutcome; items: number }> {
    let deadLetters;
    try {
      deadLetters = sqsDlqRecordToDeadLetters(record, now());
    } catch (error) {
      logger.error({ err: error, messageId: record.messageId }, 'DLQ message does not hold delivery items; it stays in the DLQ');
      return { outcome: 'not-an-item', items: 0 };
    }
    try {
      // A put replaces: items stored before a failure are stored again, not twice, when the record comes back.
      await Promise.all(deadLetters.map((deadLetter) => store.put(deadLetter)));
      return { outcome: 'moved', items: deadLetters.length };
    } catch (error) {
      logger.error({ err: error, messageId: record.messageId }, 'could not store the dead letters; the message stays in the DLQ');
      return { outcome: 'failed', items: 0 };
    }
  }

  return sqsBatchHandler({
    service: 'dlq-drainer',
    namespace: settings.metricsNamespace,
    writeMetrics: deps.writeMetrics,
    describe: 'the DLQ drainer',
    async handle(event, context) {
      const stores = await runtime.get();
      const results = await Promise.all(event.Records.map((record) => moveRecord(stores.deadLetters, record)));
      const outcomes = results.map((result) => result.outcome);
      const metrics = context.eventGatewayMetrics;
      if (metrics) {
        metrics.count('DeadLettersMoved', results.reduce((sum, result) => sum + result.items, 0));
        metrics.count('NotDeliveryItems', outcomes.filter((o) => o === 'not-an-item').length);
        metrics.count('Failed', outcomes.filter((o) => o === 'failed').length);
      }
      return {
        batchItemFailures: event.Records.filter((_, index) => outcomes[index] !== 'moved').map((record) => ({ itemIdentifier: record.messageId })),
      };
    },
    async close() {
      const started = await runtime.started?.catch(() => undefined);
      await started?.close();
    },
  });
}

/**
 * The dead letters for one record of the DLQ, one per item of its bundle (one for a message of the format before
 * bundles). Throws when the message does not hold delivery items.
 *
 * `attempts` and `firstAttemptAt` are the ones the queue recorded at the item's last retry (attempts counts
 * settled attempts only, so it can be 0: the item's workers never finished one); without a recorded first
 * attempt, SQS's first receive of this message stands in. When the last receive happened is not known:
 * `lastAttemptAt` is the time of the move, like `deadAt`.
 */
export function sqsDlqRecordToDeadLetters(record: SqsEventRecord, now: number = Date.now()): DeadLetterRecord[] {
  const deadAt = Math.floor(now);
  const firstReceived = Number(record.attributes.ApproximateFirstReceiveTimestamp);
  return decodeBundle(record).map(({ item, state }) => ({
    item,
    attempts: state.attempts,
    firstAttemptAt: state.firstAttemptAt ?? (Number.isSafeInteger(firstReceived) && firstReceived > 0 ? firstReceived : deadAt),
    lastAttemptAt: deadAt,
    deadAt,
    lastError: { message: EXCEEDED_MAX_RECEIVE_COUNT },
  }));
}

export const handler = createHandler();
