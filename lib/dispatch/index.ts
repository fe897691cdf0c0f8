export { authorizeForSubscriber, type AuthorizationOutcome } from './authorize.js';
export { InFlight } from './in-flight.js';
export { InvokerRegistry, classifyInvocationError, type DeliveryAttempt, type SyncCall } from './invoker-registry.js';
export { newItemId } from './item-id.js';
export { LiveRoutingTable } from './live-table.js';
export { SystemEvents, type SystemEventsOptions } from './system-events.js';
