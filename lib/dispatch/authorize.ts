import { eventTypeOf, isSystemEventType, withAuthorization, type GatewayEvent, type HttpRequestData } from '../core/cloudevents/index.js';
import { authorizerPayload, parseAuthorizerResult } from '../core/authorizer/index.js';
import { defaultTimeoutMs } from '../core/retry/index.js';
import type { RoutingTable } from '../core/routing/index.js';
import type { InvokerRegistry } from './invoker-registry.js';

export type AuthorizationOutcome = { allow: true; event: GatewayEvent } | { allow: false; reason: string };

/**
 * docs/compatibility.md#authorizers: the event type is looked up in the subscriber's space; when it names an
 * authorizer, that function is called with `{event, request}` and its answer decides. On allow the authorization is
 * added to the event.
 */
export async function authorizeForSubscriber(
  table: RoutingTable,
  invokers: InvokerRegistry,
  space: string,
  event: GatewayEvent,
  request: HttpRequestData | null,
  signal?: AbortSignal,
): Promise<AuthorizationOutcome> {
  const type = eventTypeOf(event);
  const authorizerId = table.eventType(space, type)?.authorizerId;
  // Authorizers on system event types are not supported (docs/compatibility.md#authorizers); they are ignored.
  if (authorizerId === undefined || isSystemEventType(type)) return { allow: true, event };
  const authorizer = table.function(space, authorizerId);
  if (!authorizer) return { allow: false, reason: `authorizer function ${space}/${authorizerId} not found` };
  try {
    const called = await invokers.callSync(authorizer, {
      payload: authorizerPayload(event, request),
      timeoutMs: defaultTimeoutMs(authorizer.type),
      signal,
    });
    if (!called.ok) return { allow: false, reason: called.error.message };
    const decision = parseAuthorizerResult(called.body);
    if (!decision.allow) return { allow: false, reason: decision.reason };
    return { allow: true, event: withAuthorization(event, decision.authorization) };
  } catch (error) {
    return { allow: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
