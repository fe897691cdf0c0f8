export {
  DEFAULT_HTTP_TIMEOUT_MS,
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  classifyHttpStatus,
  defaultTimeoutMs,
  mayRetry,
  resolveRetryPolicy,
  type DeliveryOutcome,
  type ResolvedRetryPolicy,
} from './policy.js';
