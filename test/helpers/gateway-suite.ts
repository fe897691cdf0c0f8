import { after, before } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { startTestGateway } from './gateway.js';

/** The gateway of one suite; read it inside tests and hooks, once the suite's `before` has run. */
export interface SuiteGateway {
  readonly gw: RunningGateway;
  /** The config API's base URL. */
  readonly url: string;
}

/**
 * Starts a test gateway (see {@link startTestGateway}) before the tests of the enclosing `describe` and closes it
 * after them. `setup` runs once the gateway is up: config items that every test of the suite uses.
 *
 *   describe('config API: …', () => {
 *     const api = gatewayForSuite();
 *     it('…', async () => { await call(api.url, 'GET', '/v1/status'); });
 *   });
 */
export function gatewayForSuite(
  setup?: (suite: SuiteGateway) => Promise<void>,
  options?: Parameters<typeof startTestGateway>[0],
): SuiteGateway {
  let started: RunningGateway | undefined;
  const suite: SuiteGateway = {
    get gw() {
      if (started === undefined) throw new Error('the suite gateway is not running: use it inside tests and hooks');
      return started;
    },
    get url() {
      return suite.gw.configUrl;
    },
  };
  before(async () => {
    started = await startTestGateway(options);
    await setup?.(suite);
  });
  after(async () => {
    await started?.close();
    started = undefined;
  });
  return suite;
}
