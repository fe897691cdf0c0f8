/**
 * The cache invalidation handler (docs/architecture.md#on-aws): the registry table's Stream → the change log that every router
 * polls. The event source mapping uses `ReportBatchItemFailures`: on a partial failure the batch resumes from the
 * first record that was not logged.
 *
 * A record the change log refuses (DynamoDB rejects what it would write) must not hold back every later change:
 * the rest of the batch is then logged one record at a time, and a refused record is logged by its key alone
 * (`imageOmitted`, so routers read the item from the registry instead). Only what fails even so, or fails for
 * another reason (throttling, a missing table), is reported; the mapping then bisects, retries a bounded number
 * of times and sends what it gives up on to its on-failure queue (lib/infra/workers).
 */
import middy from '@middy/core';
import {
  ChangeLogWriteError,
  DEFAULT_TABLE_PREFIX,
  applyStreamRecords,
  type DynamoDBStreamRecordLike,
} from '../lib/adapters/registry/dynamodb/index.js';
import { awsResourceOptionsFromEnv, openDynamoStores } from '../lib/gateway/aws.js';
import {
  ColdStart,
  embeddedMetrics,
  lambdaSettingsFromEnv,
  type BatchResponse,
  type DynamoDBStreamEvent,
  type LambdaContext,
  type MetricsContext,
} from '../lib/lambda/index.js';
import { createLogger, type Logger } from '../lib/observability/logger.js';

export interface InvalidationHandlerDeps {
  /** Settings and resources (`EVENT_GATEWAY_*`). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default JSON lines on stdout at `EVENT_GATEWAY_LOG_LEVEL` */
  logger?: Logger;
  /** Receives each EMF document. @default stdout */
  writeMetrics?: (document: string) => void;
}

export type InvalidationHandler = ((event: DynamoDBStreamEvent, context?: LambdaContext) => Promise<BatchResponse>) & {
  close(): Promise<void>;
};

export function createHandler(deps: InvalidationHandlerDeps = {}): InvalidationHandler {
  const env = deps.env ?? process.env;
  const settings = lambdaSettingsFromEnv(env);
  const logger = deps.logger ?? createLogger({ level: settings.logLevel });

  const runtime = new ColdStart(async () => {
    const resources = awsResourceOptionsFromEnv(env);
    return { stores: await openDynamoStores(resources), tablePrefix: resources.tablePrefix ?? DEFAULT_TABLE_PREFIX };
  });

  const handler = middy(async (event: DynamoDBStreamEvent, context: LambdaContext & MetricsContext): Promise<BatchResponse> => {
    if (!Array.isArray(event?.Records)) throw new TypeError('the invalidation handler expects a DynamoDB Stream event: { Records: [...] }');
    const { stores, tablePrefix } = await runtime.get();
    const metrics = context.eventGatewayMetrics;
    const apply = (records: readonly DynamoDBStreamRecordLike[]) => applyStreamRecords(records, { client: stores.client, tablePrefix });
    try {
      let result: { versions: number[]; skipped: number };
      let keyOnly = 0;
      try {
        result = await apply(event.Records);
      } catch (error) {
        if (!isRefusedRecord(error)) throw error;
        ({ result, keyOnly } = await applyOneByOne(event.Records, error, apply, logger));
      }
      metrics?.count('ChangesLogged', result.versions.length);
      metrics?.count('RecordsSkipped', result.skipped);
      metrics?.count('RecordsLoggedByKeyOnly', keyOnly);
      metrics?.count('ChangeLogWriteErrors', 0);
      return { batchItemFailures: [] };
    } catch (error) {
      metrics?.count('ChangeLogWriteErrors');
      if (error instanceof ChangeLogWriteError && error.firstUnloggedSequenceNumber !== undefined) {
        logger.error({ err: error, resumeFrom: error.firstUnloggedSequenceNumber }, 'change log write failed; the batch resumes from the first unlogged record');
        return { batchItemFailures: [{ itemIdentifier: error.firstUnloggedSequenceNumber }] };
      }
      // Without a sequence number to resume from, the whole batch is retried.
      throw error;
    }
  }).use(embeddedMetrics({
    service: 'invalidation',
    namespace: settings.metricsNamespace,
    ...(deps.writeMetrics ? { write: deps.writeMetrics } : {}),
  }));

  return Object.assign((event: DynamoDBStreamEvent, context: LambdaContext = {}) => handler(event, context as never) as Promise<BatchResponse>, {
    async close() {
      const started = await runtime.started?.catch(() => undefined);
      await started?.stores.close();
    },
  });
}

/** DynamoDB refused what a record would write (a validation error): retrying the same record cannot succeed. */
function isRefusedRecord(error: unknown): error is ChangeLogWriteError {
  if (!(error instanceof ChangeLogWriteError) || error.firstUnloggedSequenceNumber === undefined) return false;
  const cause = error.cause as { name?: unknown; CancellationReasons?: Array<{ Code?: string }> } | undefined;
  return cause?.name === 'ValidationException' || (cause?.CancellationReasons ?? []).some((reason) => reason.Code === 'ValidationError');
}

/** The record with its image left out: the change log then tells readers to read the item from the registry. */
function withoutImage(record: DynamoDBStreamRecordLike): DynamoDBStreamRecordLike {
  const { NewImage: _image, ...dynamodb } = record.dynamodb ?? {};
  return { ...record, dynamodb };
}

/**
 * After a refused record: everything before the first unlogged record is logged; the rest goes one record at a
 * time, a refused one by its key alone. Throws a ChangeLogWriteError at the first record that still fails.
 */
async function applyOneByOne(
  records: readonly DynamoDBStreamRecordLike[],
  refused: ChangeLogWriteError,
  apply: (records: readonly DynamoDBStreamRecordLike[]) => Promise<{ versions: number[]; skipped: number }>,
  logger: Logger,
): Promise<{ result: { versions: number[]; skipped: number }; keyOnly: number }> {
  const start = records.findIndex((record) => record.dynamodb?.SequenceNumber === refused.firstUnloggedSequenceNumber);
  if (start < 0) throw refused;
  // What came before `start` was logged by the failed call; its versions are not known here, only counted.
  const result = { versions: [] as number[], skipped: 0 };
  let keyOnly = 0;
  for (const record of records.slice(start)) {
    let one: { versions: number[]; skipped: number };
    try {
      one = await apply([record]);
    } catch (error) {
      if (!isRefusedRecord(error)) throw error;
      logger.warn({ err: error, sequenceNumber: record.dynamodb?.SequenceNumber }, 'the change log refused a Stream record; it is logged by its key alone');
      one = await apply([withoutImage(record)]);
      keyOnly++;
    }
    result.versions.push(...one.versions);
    result.skipped += one.skipped;
  }
  return { result, keyOnly };
}

export const handler = createHandler();
