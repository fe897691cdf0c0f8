import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeConfigListener } from '../config-api/adapters/index.js';
import { LiveRoutingTable } from '../dispatch/index.js';
import { EventsApi } from '../events-api/router.js';
import { loadHooks } from '../hooks/index.js';
import { answerOutsideListener } from '../http/index.js';
import { targetPolicyFromFlags } from '../invokers/http/index.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { RouterEmf } from '../observability/router-emf.js';
import { createLogger, type Logger } from '../observability/logger.js';
import type { PollerTiming } from '../connectors/index.js';
import { composeGateway } from './compose.js';
import { localConnectors, namesLocalGateway } from './connectors.js';
import { resolveOptions, type GatewayOptions, type ResolvedGatewayOptions } from './options.js';
import { openStores } from './stores.js';
import { envName } from '../settings/index.js';

/** What a 405 names as allowed: the events API takes any method node:http parses (but CONNECT) as an event. */
const EVENTS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const CONFIG_METHODS = ['GET', 'POST', 'PUT', 'DELETE'];

/** Shorter admin keys get a warning at start: the key opens every space. */
const MIN_ADMIN_KEY_LENGTH = 32;

export interface RunningGateway {
  readonly options: ResolvedGatewayOptions;
  readonly configUrl: string;
  readonly eventsUrl: string;
  /** The connections API (`--connector-port`); absent with `routerOnly` (on AWS the config API serves it). */
  readonly connectorUrl: string | undefined;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly routing: LiveRoutingTable;
  /** Answer every new event with 503 from now on (the first step of a graceful shutdown). */
  drain(): void;
  /**
   * Graceful shutdown: new events get 503 and the workers take no new items; sync calls and deliveries in flight
   * get up to `shutdownTimeoutMs` to finish (their outcomes are recorded); whatever is still in flight then is
   * cancelled and stays queued. Then the servers and stores close (the queue flushed).
   * See docs/operations.md#graceful-shutdown.
   */
  close(): Promise<void>;
}

/**
 * Starts the gateway in one process: by default everything on the embedded SQLite store (local mode); with
 * `store: 'dynamodb'`, `queue: 'sqs'` and `routerOnly` it is the router container of the AWS stack.
 */
export async function startGateway(input: GatewayOptions & { logger?: Logger; connectorTiming?: PollerTiming }): Promise<RunningGateway> {
  const options = resolveOptions(input);
  // Checked before anything starts, so a bad --allow-targets is a clear startup error.
  const targetPolicy = targetPolicyFromFlags({ dev: options.dev, allowTargets: options.allowTargets });
  const logger = input.logger ?? createLogger({ level: options.logLevel, format: options.logFormat });
  const metrics = new GatewayMetrics();
  const stores = await openStores(options, metrics, logger);
  const { registry, queue } = stores;
  const routing = await LiveRoutingTable.start(registry, logger);
  metrics.observeStores({ queuePending: () => queue.pending(), deadLetters: stores.deadLetterCount });
  metrics.observeConfig((kind) => routing.countBySpace(kind));
  metrics.eventsBacklog.set(await queue.pending());
  // On AWS the delivery Lambda consumes the SQS queue; a router-only container then runs no workers of its own.
  const runsWorkers = !(options.routerOnly && options.queue === 'sqs');
  let eventsPort: number | undefined;
  // The router container on AWS polls nothing: Lambda event source mappings read the sources there.
  const connectors = options.routerOnly
    ? undefined
    : localConnectors({
        routing, queue, metrics, logger,
        deadLetters: stores.deadLetters,
        checkpoints: stores.checkpoints(),
        cloudEventsVersion: options.cloudEventsVersion,
        targetPolicy,
        isThisGateway: (target) => eventsPort !== undefined && namesLocalGateway(target, eventsPort, options.host),
        timing: input.connectorTiming,
      });
  const composed = await composeGateway({
    stores, metrics, logger,
    dispatch: {
      routing, targetPolicy,
      hooks: await loadHooks(options.hooks),
      cloudEventsVersion: options.cloudEventsVersion,
      // A burst may fill most of the queue before deliveries take the CPU back (bench/README.md).
      workers: runsWorkers && { concurrency: options.workers, yieldBacklog: Math.floor(options.maxPending * 0.9) },
    },
    configApi: {
      limits: { maxIdLength: options.maxIdLength, maxJsonDepth: options.maxJsonDepth },
      required: !options.dev,
      publicMetrics: options.publicMetrics,
      loopbackMetrics: options.loopbackMetrics,
      adminOnly: options.routerOnly,
      countRedrivenInBacklog: true,
      connections: connectors,
    },
  });
  const { invokers, hooks, systemEvents, workers } = composed.dispatch;
  const emf = options.emfInterval > 0
    ? new RouterEmf({ metrics, routingVersion: () => routing.version, namespace: options.metricsNamespace, intervalMs: options.emfInterval * 1000 })
    : undefined;
  const eventsApi = new EventsApi({
    routing, systemEvents, hooks, metrics, logger,
    queue: emf?.measureQueue(queue) ?? queue,
    invokers: emf?.measureInvokers(invokers) ?? invokers,
    cloudEventsVersion: options.cloudEventsVersion,
    maxBodyBytes: options.maxBodyBytes,
    maxBatchSize: options.maxBatchSize,
    maxHeaders: options.maxHeaders,
    maxJsonDepth: options.maxJsonDepth,
  });

  if (options.adminKey !== undefined && options.adminKey.length < MIN_ADMIN_KEY_LENGTH) {
    logger.warn(`the admin key (${envName('adminKey')} or --admin-key) is shorter than ${MIN_ADMIN_KEY_LENGTH} characters: it opens every space, use a long random one (e.g. \`openssl rand -base64 32\`)`);
  }
  // A router-only process serves no config API, so no key needs to reach it.
  if (!options.dev && !options.routerOnly && !options.adminKey && (await stores.accessKeys.list()).every((k) => k.revokedAt !== undefined)) {
    logger.warn(`no access key can reach the config API: set ${envName('adminKey')} (or --admin-key), or run \`event-gateway keys create --all-spaces\``);
  }
  const configApi = composed.configApi(options.adminKey);
  const configServer = createServer({ maxHeaderSize: options.maxHeaderBytes }, nodeConfigListener(configApi, { maxHeaders: options.maxHeaders }));
  const eventsServer = createServer({ keepAliveTimeout: 60_000, maxHeaderSize: options.maxHeaderBytes }, eventsApi.listener);
  const connectorServer = connectors
    ? createServer({ maxHeaderSize: options.maxHeaderBytes }, nodeConfigListener(composed.configApi(options.adminKey, 'connector'), { maxHeaders: options.maxHeaders }))
    : undefined;
  answerOutsideListener(configServer, { allow: CONFIG_METHODS, maxHeaderBytes: options.maxHeaderBytes });
  if (connectorServer) answerOutsideListener(connectorServer, { allow: CONFIG_METHODS, maxHeaderBytes: options.maxHeaderBytes });
  answerOutsideListener(eventsServer, { allow: EVENTS_METHODS, maxHeaderBytes: options.maxHeaderBytes });

  try {
    await listen(configServer, options.configPort, options.host);
    await listen(eventsServer, options.eventsPort, options.host);
    if (connectorServer) await listen(connectorServer, options.connectorPort, options.host);
  } catch (error) {
    configServer.close();
    eventsServer.close();
    connectorServer?.close();
    routing.close();
    await stores.close();
    throw error;
  }
  workers?.start();
  emf?.start();
  eventsPort = (eventsServer.address() as AddressInfo).port;
  // A stored connection that cannot start is logged and left for its next change; the gateway starts anyway.
  if (connectors) {
    try {
      await connectors.sync(await stores.registry.listAllConnections());
    } catch (error) {
      logger.error({ err: error }, 'reading the stored connections failed: no poller runs until a connection changes');
    }
  }

  const configUrl = urlOf(configServer, options.host);
  const eventsUrl = urlOf(eventsServer, options.host);
  const connectorUrl = connectorServer && urlOf(connectorServer, options.host);
  logger.info(
    { configUrl, eventsUrl, connectorUrl, dataDir: options.dataDir },
    `Event Gateway running: events API ${eventsUrl}, config API ${configUrl}` + (connectorUrl ? `, connections API ${connectorUrl}` : ''),
  );

  let closing: Promise<void> | undefined;
  return {
    options,
    configUrl,
    eventsUrl,
    connectorUrl,
    logger,
    metrics,
    routing,
    drain: () => eventsApi.drain(),
    close() {
      closing ??= (async () => {
        eventsApi.drain();
        // The pollers first: records in flight are not acknowledged, so they are read again after the next start.
        await connectors?.stop();
        await workers?.stopReceiving();
        const timeoutMs = options.shutdownTimeoutMs;
        const finished = await withinTime(Promise.all([eventsApi.idle(), workers?.idle()]), timeoutMs);
        if (!finished) {
          const deliveries = workers?.deliveriesInFlight ?? 0;
          const syncCalls = eventsApi.requestsInFlight;
          logger.warn(
            { shutdownTimeoutMs: timeoutMs, deliveriesLeft: deliveries, syncCallsCancelled: syncCalls },
            `shutdown timeout (${timeoutMs / 1000} s): left ${deliveries} async ${deliveries === 1 ? 'delivery' : 'deliveries'} in flight, ` +
              `to be delivered after the next start; cancelled ${syncCalls} sync ${syncCalls === 1 ? 'call' : 'calls'}`,
          );
          eventsApi.cancel();
          await workers?.cancel();
          // The cancelled sync calls answer (as failed calls) before their connections close.
          await withinTime(eventsApi.idle(), CLOSE_GRACE_MS);
        }
        await Promise.all([stop(eventsServer), stop(configServer), connectorServer && stop(connectorServer)]);
        await workers?.stop();
        await emf?.stop();
        await composed.close();
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

/** How long a request still open when its server closes may take before its connection is cut. */
const CLOSE_GRACE_MS = 1000;

/**
 * Stops accepting connections and closes the open ones as they fall idle (Node leaves a keep-alive connection that
 * was busy at close open until its keep-alive timeout); after {@link CLOSE_GRACE_MS} the rest are cut.
 */
function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Whether `work` settled within `ms`. */
async function withinTime(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function urlOf(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shownHost}:${port}`;
}
