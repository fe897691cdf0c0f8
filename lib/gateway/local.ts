import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigService, createConfigApi } from '../config-api/index.js';
import { nodeConfigListener } from '../config-api/adapters/index.js';
import { openDatabase } from '../adapters/sqlite/index.js';
import { SqliteRegistry } from '../adapters/registry/sqlite/index.js';
import { GatewayMetrics } from '../observability/metrics.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { resolveOptions, type GatewayOptions, type ResolvedGatewayOptions } from './options.js';

export interface RunningGateway {
  readonly options: ResolvedGatewayOptions;
  readonly configUrl: string;
  readonly eventsUrl: string;
  readonly logger: Logger;
  close(): Promise<void>;
}

/** Starts the whole gateway in one process on the embedded SQLite store (local mode). */
export async function startLocalGateway(input: GatewayOptions & { logger?: Logger }): Promise<RunningGateway> {
  const options = resolveOptions(input);
  const logger = input.logger ?? createLogger({ level: options.logLevel, format: options.logFormat });
  const db = options.dataDir === ':memory:' ? openDatabase({ filename: ':memory:' }) : openDatabase({ dataDir: options.dataDir });
  const registry = new SqliteRegistry(db);
  const metrics = new GatewayMetrics();
  const service = new ConfigService(registry);

  const configServer = createServer(nodeConfigListener(createConfigApi({ service, metrics, logger })));
  const eventsServer = createServer((_req, res) => {
    res.writeHead(202).end();
  });

  try {
    await listen(configServer, options.configPort, options.host);
    await listen(eventsServer, options.eventsPort, options.host);
  } catch (error) {
    configServer.close();
    eventsServer.close();
    db.close();
    throw error;
  }

  const configUrl = urlOf(configServer, options.host);
  const eventsUrl = urlOf(eventsServer, options.host);
  logger.info({ configUrl, eventsUrl, dataDir: options.dataDir }, `Event Gateway running: events API ${eventsUrl}, config API ${configUrl}`);

  let closing: Promise<void> | undefined;
  return {
    options,
    configUrl,
    eventsUrl,
    logger,
    close() {
      closing ??= (async () => {
        await Promise.all([stop(configServer), stop(eventsServer)]);
        await registry.close();
        db.close();
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
