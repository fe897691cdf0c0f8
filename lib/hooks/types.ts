import type { GatewayEvent, SystemEventType } from '../core/cloudevents/index.js';

/** What a `beforeRoute` hook learns about the request an event came from. */
export interface HookRequest {
  readonly method: string;
  /** The escaped path used for routing. */
  readonly path: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * A system event handed to a hook: the event itself (docs/compatibility.md#system-events), whose `data` holds space,
 * functionId, event…
 */
export type SystemEventHandler = (event: GatewayEvent) => void | Promise<void>;

/**
 * A hooks module (docs/compatibility.md#hooks), loaded with `--hooks <path>`. Export it as the module's default export
 * (or as `hooks`). Every member is optional.
 *
 * - `beforeRoute` may return a new event to route instead (enrich, redact, convert), or nothing to keep the event.
 *   Throwing rejects the request: the client gets the error's `statusCode` when it is a 4xx (default 403) and the
 *   error's message in the envelope.
 * - `sync` handlers are awaited and may veto by throwing: a vetoed `eventgateway.event.received` answers 200 with an
 *   empty body and routes nothing; a vetoed `eventgateway.function.invoking` stops that invocation (a sync request
 *   gets 500, an async delivery is marked vetoed). Errors of `function.invoked` handlers are only logged.
 * - `async` handlers are started and never awaited: they cannot slow or veto anything; errors are logged.
 */
export interface GatewayHooks {
  readonly name?: string;
  beforeRoute?(event: GatewayEvent, request: HookRequest): GatewayEvent | void | Promise<GatewayEvent | void>;
  readonly sync?: Partial<Record<SystemEventType, SystemEventHandler>>;
  readonly async?: Partial<Record<SystemEventType, SystemEventHandler>>;
}
