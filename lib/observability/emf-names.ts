/**
 * The router's CloudWatch metrics (Embedded Metric Format, see router-emf.ts): names shared by the writer and the
 * stack's dashboard and alarms. Every metric carries one dimension, `Service` = `router`; nothing per request, per
 * path or per function becomes a dimension, so a task's document always makes the same few metrics.
 */
export const ROUTER_EMF_SERVICE = 'router';

export const ROUTER_EMF_METRICS = {
  /** Events the events API took in (Count). */
  received: 'EventsReceived',
  /** Events accepted: queued for async delivery or answered by a sync call (Count). */
  accepted: 'EventsAccepted',
  /** Requests refused with 429 because the delivery queue was full (Count). */
  rejected: 'EventsRejected',
  /** Events no subscription matched (Count). */
  unrouted: 'EventsUnrouted',
  /** Sync function calls that returned the function's answer (Count). */
  syncCallsSucceeded: 'SyncCallsSucceeded',
  /** Sync function calls that failed: timeout, refused, target error (Count). */
  syncCallsFailed: 'SyncCallsFailed',
  /** Sync calls answered 429 (or 503) by a function's rate or concurrency limit, docs/limits.md (Count). */
  syncCallsLimited: 'SyncCallsLimited',
  /** Duration of sync calls (Milliseconds, a distribution). */
  syncCallLatency: 'SyncCallLatency',
  /** Items handed to the delivery queue (Count). */
  queueSends: 'QueueSends',
  /** Duration of one queue send or group commit (Milliseconds, a distribution). */
  queueSendLatency: 'QueueSendLatency',
  /** From a config write to this task's routing table (Milliseconds, a distribution). */
  configPropagationLag: 'ConfigPropagationLag',
  /** The change-log version of the task's routing table (None; the newest at the end of the interval). */
  routingTableVersion: 'RoutingTableVersion',
} as const;
