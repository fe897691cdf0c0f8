export { authorizeForSubscriber, type AuthorizationOutcome } from './authorize.js';
export { InFlight } from './in-flight.js';
export { InvokerRegistry, classifyInvocationError, type DeliveryAttempt, type SyncCall } from './invoker-registry.js';
export { newItemId } from './item-id.js';
export { LiveRoutingTable } from './live-table.js';
export { SystemEvents, type SystemEventsOptions } from './system-events.js';
export {
  FunctionLimiter,
  heldBackError,
  limiterKey,
  limitsOf,
  releaseOnce,
  UNAVAILABLE_RETRY_MS,
  type FunctionLimiterOptions,
  type HeldBack,
  type HeldBackReason,
  type LimitedPath,
  type LimitVerdict,
} from './function-limiter.js';
