import type { LiveRoutingTable } from '../dispatch/index.js';

/**
 * Resolves once the live table was built from `version` or later (true), or after `timeoutMs` (false). A Lambda
 * container thawed after a pause holds a table that may predate config the router already used to accept an
 * event; waiting for the change log's current version keeps a delivery from missing a new function.
 */
export function waitForRoutingVersion(
  routing: Pick<LiveRoutingTable, 'builtVersion' | 'onSwap'>,
  version: number,
  timeoutMs: number,
): Promise<boolean> {
  if (routing.builtVersion >= version) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (caughtUp: boolean) => {
      clearTimeout(timer);
      stop();
      resolve(caughtUp);
    };
    const stop = routing.onSwap(() => {
      if (routing.builtVersion >= version) done(true);
    });
    const timer = setTimeout(() => done(routing.builtVersion >= version), timeoutMs);
  });
}
