import type { FunctionType, RetryPolicy } from '../model/types.js';

/** A retry policy with every field set (docs/compatibility.md#retries-and-timeouts). */
export type ResolvedRetryPolicy = Required<RetryPolicy>;

export const DEFAULT_RETRY_POLICY: Readonly<ResolvedRetryPolicy> = Object.freeze({
  maxAttempts: 10,
  baseDelayMs: 1000,
  maxDelayMs: 300_000,
  maxAgeSeconds: 86_400,
});

/**
 * The default bound of one invocation: the original's 5 s for http, none for AWS types
 * (docs/compatibility.md#retries-and-timeouts).
 */
export const DEFAULT_HTTP_TIMEOUT_MS = 5000;

export function resolveRetryPolicy(policy: RetryPolicy | undefined): ResolvedRetryPolicy {
  return {
    maxAttempts: policy?.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
    baseDelayMs: policy?.baseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
    maxDelayMs: policy?.maxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
    maxAgeSeconds: policy?.maxAgeSeconds ?? DEFAULT_RETRY_POLICY.maxAgeSeconds,
  };
}

export function defaultTimeoutMs(type: FunctionType): number | undefined {
  return type === 'http' ? DEFAULT_HTTP_TIMEOUT_MS : undefined;
}

/**
 * Exponential backoff with full jitter, `random(0, min(maxDelayMs, baseDelayMs·2^attempt))`, or the target's
 * `Retry-After` when that is larger. `attempt` counts from 0 for the first retry.
 */
export function backoffDelayMs(
  policy: ResolvedRetryPolicy,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs !== undefined && retryAfterMs > jittered ? retryAfterMs : jittered;
}

/** What a delivery attempt's result means (docs/compatibility.md#retries-and-timeouts). */
export type DeliveryOutcome = 'delivered' | 'retry' | 'permanent';

const RETRIED_STATUSES = new Set([408, 425, 429]);

/** An http function's answer: 2xx delivered; 408, 425, 429 and 5xx retried; anything else (3xx too) permanent. */
export function classifyHttpStatus(status: number): DeliveryOutcome {
  if (status >= 200 && status < 300) return 'delivered';
  if (RETRIED_STATUSES.has(status) || status >= 500) return 'retry';
  return 'permanent';
}

/** Whether another attempt is allowed after `attemptsMade` attempts of an item accepted at `acceptedAt`. */
export function mayRetry(policy: ResolvedRetryPolicy, attemptsMade: number, acceptedAt: number, now: number): boolean {
  return attemptsMade < policy.maxAttempts && now - acceptedAt < policy.maxAgeSeconds * 1000;
}
