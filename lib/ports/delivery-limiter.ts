/**
 * Per-function delivery limits (docs/limits.md): `rateLimit.perSecond` and `maxConcurrency`, held across every
 * process that calls the function. Adapters: in-process (local gateway, one process), DynamoDB (AWS: every delivery
 * Lambda and router task share one bucket and one counter per function).
 */

/** The limits of one function, as configured. Either may be absent; both absent means no limiter call is made. */
export interface FunctionLimits {
  /** Calls started per second, on average; bursts up to {@link burstCapacity} at once. */
  perSecond?: number;
  /** Calls in flight at once. */
  maxConcurrency?: number;
}

/**
 * The most calls a rate limit lets start at once (its token bucket's capacity, full at the start): a tenth of a
 * second's worth, at least one. Every adapter uses it, so a limit means the same everywhere: in any one second a
 * target sees at most about `1.1 × perSecond + 1` calls, even right after an idle spell or an outage.
 */
export function burstCapacity(perSecond: number): number {
  return Math.max(1, perSecond / 10);
}

/** A call that may start now. `release` must be called exactly once, when the call has ended (any outcome). */
export interface Admitted {
  admitted: true;
  release(): void;
}

/** A call that must not start now: try again after `retryAfterMs` (never 0; a hint, not a promise). */
export interface Refused {
  admitted: false;
  reason: 'rate' | 'concurrency';
  retryAfterMs: number;
}

export type Admission = Admitted | Refused;

export interface DeliveryLimiter {
  /**
   * Takes one rate token and one concurrency slot for the function named by `key` (`<space>/<functionId>`), or
   * neither. Never waits for capacity: the caller decides whether to wait (async delivery postpones the item) or
   * to refuse (a sync call answers 429 with Retry-After).
   */
  acquire(key: string, limits: FunctionLimits): Promise<Admission>;
  /** Returns leased capacity where the store holds it (DynamoDB); idempotent. */
  close(): Promise<void>;
}
