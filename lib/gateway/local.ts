import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccessControl, AccessKeyService, ConfigService, DeadLetterService, createConfigApi } from '../config-api/index.js';
import { nodeConfigListener } from '../config-api/adapters/index.js';
import { DeliveryWorkers } from '../delivery/worker.js';
import { EventsApi } from '../events-api/router.js';
import { SystemEvents } from '../events-api/system-events.js';
import { HookRunner, loadHooks } from '../hooks/index.js';
import { FirehoseInvoker, HttpInvoker, Invokers, KinesisInvoker, LambdaInvoker, SqsInvoker, targetPolicyFromFlags } from '../invokers/index.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { LiveRoutingTable } from '../routing/index.js';
import { resolveOptions, type GatewayOptions, type ResolvedGatewayOptions } from './options.js';
import { openStores } from './stores.js';

export interface RunningGateway {
  readonly options: ResolvedGatewayOptions;
  readonly configUrl: string;
  readonly eventsUrl: string;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly routing: LiveRoutingTable;
  /** Answer every new event with 503 from now on (the first step of a graceful shutdown). */
  drain(): void;
  /** Graceful shutdown (design §2.7): 503 for new events, in-flight work finished, stores closed. */
  close(): Promise<void>;
}

/**
 * Starts the gateway in one process: by default everything on the embedded SQLite store (local mode); with
 * `store: 'dynamodb'`, `queue: 'sqs'` and `routerOnly` it is the router container of the AWS stack.
 */
export async function startLocalGateway(input: GatewayOptions & { logger?: Logger }): Promise<RunningGateway> {
  const options = resolveOptions(input);
  // Checked before anything starts, so a bad --allow-targets is a clear startup error.
  const targetPolicy = targetPolicyFromFlags({ dev: options.dev, ...(options.allowTargets ? { allowTargets: options.allowTargets } : {}) });
  const logger = input.logger ?? createLogger({ level: options.logLevel, format: options.logFormat });
  const metrics = new GatewayMetrics();
  const stores = await openStores(options, metrics, logger);
  const { registry, queue, deadLetters } = stores;
  const routing = await LiveRoutingTable.start(registry, logger);
  metrics.observeStores({ queuePending: () => queue.pending(), deadLetters: stores.deadLetterCount });
  metrics.observeConfig((kind) => routing.countBySpace(kind));
  metrics.eventsBacklog.set(await queue.pending());
  // The AWS SDK clients load on the first call of a function of that type.
  const http = new HttpInvoker({
    targetPolicy,
    onRefused: (url, address, reason) => logger.warn({ url, address, reason }, 'http call refused by the SSRF guard'),
  });
  const invokers = new Invokers([http, new LambdaInvoker(), new KinesisInvoker(), new FirehoseInvoker(), new SqsInvoker()]);
  const hooks = new HookRunner(await loadHooks(options.hooks), logger);
  const systemEvents = new SystemEvents({ queue, hooks, metrics, logger, version: options.cloudEventsVersion });
  // On AWS the delivery Lambda consumes the SQS queue; a router-only container then runs no workers of its own.
  const workers = options.routerOnly && options.queue === 'sqs'
    ? undefined
    : new DeliveryWorkers({
        queue, routing, invokers, systemEvents, metrics, logger, deadLetters,
        concurrency: options.workers,
        // A burst may fill most of the queue before deliveries take the CPU back (design §7).
        yieldBacklog: Math.floor(options.maxPending * 0.9),
      });
  const eventsApi = new EventsApi({
    routing, queue, invokers, systemEvents, hooks, metrics, logger,
    cloudEventsVersion: options.cloudEventsVersion,
    maxBodyBytes: options.maxBodyBytes,
    maxBatchSize: options.maxBatchSize,
    maxHeaders: options.maxHeaders,
    maxJsonDepth: options.maxJsonDepth,
  });

  const deadLetterService = new DeadLetterService(deadLetters, queue, (count) => metrics.eventsBacklog.inc(count));
  const keyStore = stores.accessKeys;
  const access = new AccessControl({ store: keyStore, required: !options.dev, adminKey: options.adminKey, publicMetrics: options.publicMetrics });
  const accessKeys = new AccessKeyService(keyStore, (hash) => access.forget(hash));
  if (!options.dev && !options.adminKey && (await keyStore.list()).every((k) => k.revokedAt !== undefined)) {
    logger.warn('no access key can reach the config API: set EVENT_GATEWAY_ADMIN_KEY (or --admin-key), or run `event-gateway keys create --all-spaces`');
  }
  const configApi = createConfigApi({
    service: new ConfigService(registry, { maxIdLength: options.maxIdLength, maxJsonDepth: options.maxJsonDepth }),
    deadLetters: deadLetterService,
    access,
    accessKeys,
    metrics,
    logger,
    adminOnly: options.routerOnly,
  });
  const configServer = createServer({ maxHeaderSize: options.maxHeaderBytes }, nodeConfigListener(configApi, { maxHeaders: options.maxHeaders }));
  const eventsServer = createServer({ keepAliveTimeout: 60_000, maxHeaderSize: options.maxHeaderBytes }, eventsApi.listener);

  try {
    await listen(configServer, options.configPort, options.host);
    await listen(eventsServer, options.eventsPort, options.host);
  } catch (error) {
    configServer.close();
    eventsServer.close();
    routing.close();
    await stores.close();
    throw error;
  }
  workers?.start();

  const configUrl = urlOf(configServer, options.host);
  const eventsUrl = urlOf(eventsServer, options.host);
  logger.info({ configUrl, eventsUrl, dataDir: options.dataDir }, `Event Gateway running: events API ${eventsUrl}, config API ${configUrl}`);

  let closing: Promise<void> | undefined;
  return {
    options,
    configUrl,
    eventsUrl,
    logger,
    metrics,
    routing,
    drain: () => eventsApi.drain(),
    close() {
      closing ??= (async () => {
        eventsApi.drain();
        await Promise.all([stop(eventsServer), stop(configServer)]);
        await workers?.stop();
        await invokers.close();
        routing.close();
        await stores.close();
      })();
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting connections and resolves once the open ones are done (idle keep-alive sockets are closed). */
function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

function urlOf(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shownHost}:${port}`;
}
