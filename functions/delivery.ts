/**
 * The SQS-triggered delivery worker (docs/architecture.md#on-aws): the event source mapping uses
 * `ReportBatchItemFailures`. Each record is a bundle of items; every item is delivered by the same
 * {@link DeliveryWorkers.deliver} as local mode, at most `workers` (a setting) at once. A record with an item it
 * cannot settle stays in the queue (reported in `batchItemFailures`) and comes back after its visibility timeout,
 * then split into one message per item.
 */
import { registryTableNames } from '../lib/adapters/registry/dynamodb/index.js';
import { readCounter } from '../lib/adapters/registry/dynamodb/index.js';
import { LiveRoutingTable } from '../lib/dispatch/index.js';
import { awsResourceOptionsFromEnv, openDynamoLimiter, openDynamoStores, openSqsQueue } from '../lib/gateway/aws.js';
import { composeGateway } from '../lib/gateway/compose.js';
import { targetPolicyFromFlags } from '../lib/invokers/http/index.js';
import {
  ColdStart,
  catchUpRouting,
  deliverSqsRecords,
  lambdaSettingsFromEnv,
  sqsBatchHandler,
  type SqsBatchHandler,
} from '../lib/lambda/index.js';
import { GatewayMetrics } from '../lib/observability/metrics.js';
import { createLogger, type Logger } from '../lib/observability/logger.js';

export interface DeliveryHandlerDeps {
  /** Settings and resources (their variables: lib/settings). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default JSON lines on stdout at the `logLevel` setting's level */
  logger?: Logger;
  /** Receives each EMF document. @default stdout */
  writeMetrics?: (document: string) => void;
  /**
   * How long a batch waits for the routing table to reach the change log's current version before delivering
   * with the table it has. @default 2000
   */
  catchUpTimeoutMs?: number;
}

/** `close()` stops the change feed and releases the clients (tests). */
export type DeliveryHandler = SqsBatchHandler;

export function createHandler(deps: DeliveryHandlerDeps = {}): DeliveryHandler {
  const env = deps.env ?? process.env;
  const settings = lambdaSettingsFromEnv(env);
  const logger = deps.logger ?? createLogger({ level: settings.logLevel });
  const catchUpTimeoutMs = deps.catchUpTimeoutMs ?? 2000;

  const runtime = new ColdStart(async () => {
    const resources = awsResourceOptionsFromEnv(env);
    const targetPolicy = targetPolicyFromFlags({ dev: false, allowTargets: settings.allowTargets });
    const stores = await openDynamoStores(resources);
    const sqs = openSqsQueue(resources);
    try {
      const metrics = new GatewayMetrics({ processMetrics: false });
      const routing = await LiveRoutingTable.start(stores.registry, logger);
      // The limits table (set by the stack) holds the function limits across every delivery Lambda and router task.
      const limits = await openDynamoLimiter(resources, {
        client: stores.client,
        onError: (error, key) => logger.warn({ err: error, key }, 'the shared function limiter failed in the background; retrying'),
      });
      const composed = await composeGateway({
        stores: { ...stores, queue: sqs.queue },
        metrics,
        logger,
        dispatch: {
          routing, targetPolicy, cloudEventsVersion: settings.cloudEventsVersion, workers: {},
          ...(limits ? { limiter: limits.limiter } : {}),
        },
      });
      const workers = composed.dispatch.workers!;
      const changesTable = registryTableNames(resources.tablePrefix).changes;
      return { stores, sqs, routing, composed, workers, changesTable, limiter: limits?.limiter };
    } catch (error) {
      await stores.close();
      sqs.client.destroy();
      throw error;
    }
  });

  return sqsBatchHandler({
    service: 'delivery',
    namespace: settings.metricsNamespace,
    writeMetrics: deps.writeMetrics,
    describe: 'the delivery handler',
    async handle(event, context) {
      const { stores, sqs, routing, workers, changesTable, limiter } = await runtime.get();
      await catchUpRouting(routing, () => readCounter(stores.client, changesTable), catchUpTimeoutMs, logger);
      try {
        return await deliverSqsRecords(event.Records, {
          queue: sqs.queue,
          workers,
          logger,
          concurrency: settings.workers,
          metrics: context.eventGatewayMetrics,
          ...(context.getRemainingTimeInMillis ? { remainingMs: () => context.getRemainingTimeInMillis!() } : {}),
        });
      } finally {
        // The slots' releases are written before the environment is frozen, not after it thaws.
        await limiter?.settle();
      }
    },
    async close() {
      const started = await runtime.started?.catch(() => undefined);
      if (!started) return;
      started.routing.close();
      await started.sqs.queue.close();
      await started.composed.close();
      await started.stores.close();
      started.sqs.client.destroy();
    },
  });
}

export const handler = createHandler();
