/**
 * The DLQ drainer (docs/compatibility.md#dead-letters): an SQS event source on the delivery queue's DLQ. Each record
 * becomes a dead letter in the store, where the config API lists and redrives it; a record that could not be written
 * (or is not a delivery item) is reported in `batchItemFailures` and stays in the DLQ.
 */
import type { SqsEventRecord } from '../lib/adapters/queue/sqs/index.js';
import { sqsDlqRecordToDeadLetter } from '../lib/delivery/dlq-drainer.js';
import { awsResourceOptionsFromEnv, openDynamoStores } from '../lib/gateway/aws.js';
import {
  ColdStart,
  lambdaSettingsFromEnv,
  sqsBatchHandler,
  type SqsBatchHandler,
} from '../lib/lambda/index.js';
import { createLogger, type Logger } from '../lib/observability/logger.js';
import type { DeadLetterStore } from '../lib/ports/dead-letter-store.js';

export interface DlqDrainerHandlerDeps {
  /** Settings and resources (`EVENT_GATEWAY_*`). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default JSON lines on stdout at `EVENT_GATEWAY_LOG_LEVEL` */
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

  async function moveRecord(store: DeadLetterStore, record: SqsEventRecord): Promise<RecordOutcome> {
    let deadLetter;
    try {
      deadLetter = sqsDlqRecordToDeadLetter(record, now());
    } catch (error) {
      logger.error({ err: error, messageId: record.messageId }, 'DLQ message does not hold a delivery item; it stays in the DLQ');
      return 'not-an-item';
    }
    try {
      await store.put(deadLetter);
      return 'moved';
    } catch (error) {
      logger.error({ err: error, messageId: record.messageId, itemId: deadLetter.item.id }, 'could not store the dead letter; it stays in the DLQ');
      return 'failed';
    }
  }

  return sqsBatchHandler({
    service: 'dlq-drainer',
    namespace: settings.metricsNamespace,
    writeMetrics: deps.writeMetrics,
    describe: 'the DLQ drainer',
    async handle(event, context) {
      const stores = await runtime.get();
      const outcomes = await Promise.all(event.Records.map((record) => moveRecord(stores.deadLetters, record)));
      const metrics = context.eventGatewayMetrics;
      if (metrics) {
        metrics.count('DeadLettersMoved', outcomes.filter((o) => o === 'moved').length);
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

export const handler = createHandler();
