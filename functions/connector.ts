/**
 * The connector Lambda (docs/connectors-aws.md): the target of the event source mappings the config API makes
 * for connections (Kinesis, DynamoDB Streams, SQS, Amazon MQ for RabbitMQ). Each batch becomes events of the
 * connections that read its source, the same events as the local pollers make, taken into the async path as the
 * router takes events (committed to the fan-out queue), or emitted to a connection's own `target`. Partial failures
 * are reported (`ReportBatchItemFailures`); a record the gateway refuses for good is a dead letter of its connection.
 */
import middy from '@middy/core';
import { registryTableNames, readCounter } from '../lib/adapters/registry/dynamodb/index.js';
import { ConnectionsBySource, handleConnectorBatch, type ConnectorBatchResponse } from '../lib/connectors/aws/index.js';
import { storedConnections } from '../lib/connectors/catalog.js';
import { storedConnectionDeadLetters } from '../lib/connectors/dead-letters.js';
import { RoutingSink } from '../lib/connectors/routing-sink.js';
import { HttpSink, type EventSink } from '../lib/connectors/sink.js';
import type { Connection } from '../lib/core/connections/index.js';
import { LiveRoutingTable } from '../lib/dispatch/index.js';
import { awsResourceOptionsFromEnv, openDynamoStores, openSqsQueue } from '../lib/gateway/aws.js';
import { ColdStart, catchUpRouting, embeddedMetrics, lambdaSettingsFromEnv, type LambdaContext, type MetricsContext } from '../lib/lambda/index.js';
import { GatewayMetrics } from '../lib/observability/metrics.js';
import { createLogger, type Logger } from '../lib/observability/logger.js';

export interface ConnectorHandlerDeps {
  /** Settings and resources (their variables: lib/settings). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default JSON lines on stdout at the `logLevel` setting's level */
  logger?: Logger;
  /** Receives each EMF document. @default stdout */
  writeMetrics?: (document: string) => void;
  /** Every stored connection, of every space. @default the registry's */
  connections?: () => Promise<readonly Connection[]>;
  /** How long a batch waits for the routing table to reach the change log's version. @default 2000 */
  catchUpTimeoutMs?: number;
}

export type ConnectorHandler = ((event: unknown, context?: LambdaContext) => Promise<ConnectorBatchResponse>) & {
  /** Stops the change feed and releases the clients (tests). */
  close(): Promise<void>;
};

/** Time kept back from the invocation's deadline to answer with the records that failed. */
const ANSWER_MARGIN_MS = 3000;

export function createHandler(deps: ConnectorHandlerDeps = {}): ConnectorHandler {
  const env = deps.env ?? process.env;
  const settings = lambdaSettingsFromEnv(env);
  const logger = deps.logger ?? createLogger({ level: settings.logLevel });
  const catchUpTimeoutMs = deps.catchUpTimeoutMs ?? 2000;
  const eventsOrigin = originOf(settings.eventsUrl);

  const runtime = new ColdStart(async () => {
    const resources = awsResourceOptionsFromEnv(env);
    const stores = await openDynamoStores(resources);
    const sqs = openSqsQueue(resources);
    try {
      const routing = await LiveRoutingTable.start(stores.registry, logger);
      const inProcess = new RoutingSink({ routing, queue: sqs.queue, metrics: new GatewayMetrics({ processMetrics: false }) });
      const overHttp = new HttpSink();
      const sinkFor = (connection: Connection): EventSink =>
        !connection.target || (eventsOrigin !== undefined && originOf(connection.target) === eventsOrigin) ? inProcess : overHttp;
      const list = deps.connections ?? (() => storedConnections(stores.registry));
      const connections = new ConnectionsBySource(list);
      const deadLetters = storedConnectionDeadLetters(stores.deadLetters);
      const changesTable = registryTableNames(resources.tablePrefix).changes;
      return { stores, sqs, routing, sinkFor, connections, deadLetters, changesTable };
    } catch (error) {
      await stores.close();
      sqs.client.destroy();
      throw error;
    }
  });

  const handler = middy(async (event: unknown, context: LambdaContext & MetricsContext): Promise<ConnectorBatchResponse> => {
    const { stores, routing, sinkFor, connections, deadLetters, changesTable } = await runtime.get();
    await catchUpRouting(routing, () => readCounter(stores.client, changesTable), catchUpTimeoutMs, logger);
    const remaining = context.getRemainingTimeInMillis?.();
    const signal = remaining === undefined ? new AbortController().signal : AbortSignal.timeout(Math.max(1000, remaining - ANSWER_MARGIN_MS));
    return handleConnectorBatch(event, {
      connections,
      sinkFor,
      deadLetters,
      cloudEventsVersion: settings.cloudEventsVersion,
      logger,
      count: (name, value) => context.eventGatewayMetrics?.count(name, value),
      signal,
    });
  }).use(embeddedMetrics({ service: 'connector', namespace: settings.metricsNamespace, write: deps.writeMetrics }));

  return Object.assign((event: unknown, context: LambdaContext = {}) => handler(event, context as never) as Promise<ConnectorBatchResponse>, {
    async close() {
      const started = await runtime.started?.catch(() => undefined);
      if (!started) return;
      started.routing.close();
      await started.sqs.queue.close();
      await started.stores.close();
      started.sqs.client.destroy();
    },
  });
}

/** `scheme://host[:port]` of a URL, lower case; undefined when there is none. */
function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin.toLowerCase();
  } catch {
    return undefined;
  }
}

export const handler = createHandler();
