import { startGateway, type RunningGateway } from '../../lib/gateway/index.js';
import { createLogger } from '../../lib/observability/index.js';

/** A gateway in this process on free loopback ports, with an in-memory store and silent logs, unless overridden. */
export function startTestGateway(options: Parameters<typeof startGateway>[0] = {}): Promise<RunningGateway> {
  return startGateway({
    dev: true,
    host: '127.0.0.1',
    configPort: 0,
    eventsPort: 0,
    connectorPort: 0,
    dataDir: ':memory:',
    logger: createLogger({ level: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent' }),
    // close() cancels what is in flight at once, so that a test does not wait on a slow target.
    shutdownTimeoutMs: 0,
    ...options,
  });
}
