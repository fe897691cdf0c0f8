/**
 * The cache invalidation handler (docs/architecture.md#on-aws): the registry table's Stream → the change log that
 * every router polls. The event source mapping uses `ReportBatchItemFailures`: on a partial failure the batch resumes
 * from the first record that was not logged.
 *
 * A record the change log refuses is logged by its key alone (applyStreamRecords, shared with the gateway's own
 * Stream relay), so it never holds back the changes after it. Only what fails even so, or fails for another reason
 * (throttling, a missing table), is reported; the mapping then bisects, retries a bounded number of times and sends
 * what it gives up on to its on-failure queue (lib/infra/workers).
 */
import middy from '@middy/core';
import { ChangeLogWriteError, DEFAULT_TABLE_PREFIX, applyStreamRecords } from '../lib/adapters/registry/dynamodb/index.js';
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
  /** Settings and resources (their variables: lib/settings). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default JSON lines on stdout at the `logLevel` setting's level */
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
    try {
      const result = await applyStreamRecords(event.Records, {
        client: stores.client,
        tablePrefix,
        onRefused: (record, error) =>
          logger.warn({ err: error, sequenceNumber: record.dynamodb?.SequenceNumber }, 'the change log refused a Stream record; it is logged by its key alone'),
      });
      metrics?.count('ChangesLogged', result.versions.length);
      metrics?.count('RecordsSkipped', result.skipped);
      metrics?.count('RecordsLoggedByKeyOnly', result.keyOnly);
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
    write: deps.writeMetrics,
  }));

  return Object.assign((event: DynamoDBStreamEvent, context: LambdaContext = {}) => handler(event, context as never) as Promise<BatchResponse>, {
    async close() {
      const started = await runtime.started?.catch(() => undefined);
      await started?.stores.close();
    },
  });
}

export const handler = createHandler();
