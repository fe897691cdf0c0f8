import { ServiceUnavailableError, TooManyRequestsError, type HttpError } from '../core/errors/index.js';
import type { FunctionConfig } from '../core/model/types.js';
import type { Admission, DeliveryLimiter, FunctionLimits, Refused } from '../ports/delivery-limiter.js';

/** Why a call was held back: one of the function's limits, or a limiter that could not answer. */
export type HeldBackReason = Refused['reason'] | 'unavailable';

/** A call that must not start now; see {@link FunctionLimiter.admit}. */
export interface HeldBack {
  admitted: false;
  reason: HeldBackReason;
  retryAfterMs: number;
}

export type LimitVerdict = Exclude<Admission, Refused> | HeldBack;

/** Where the call was held back: an async delivery (postponed) or a sync call (answered 429). */
export type LimitedPath = 'async' | 'sync';

export interface FunctionLimiterOptions {
  limiter: DeliveryLimiter;
  /** Told of every call held back (the delayed-deliveries metrics). */
  onHeldBack?: (fn: FunctionConfig, reason: HeldBackReason, path: LimitedPath) => void;
  /** Told when the limiter failed; the call is then held back for {@link UNAVAILABLE_RETRY_MS}. */
  onError?: (fn: FunctionConfig, error: unknown) => void;
}

/**
 * How long a call is held back when the limiter itself failed (its store unreachable): the limit cannot be
 * checked, so the call waits rather than risk flooding the target.
 */
export const UNAVAILABLE_RETRY_MS = 1000;

/** The limits of `fn`, or undefined when it has none (then no limiter call is made). */
export function limitsOf(fn: FunctionConfig): FunctionLimits | undefined {
  if (fn.rateLimit === undefined && fn.maxConcurrency === undefined) return undefined;
  return {
    ...(fn.rateLimit !== undefined ? { perSecond: fn.rateLimit.perSecond } : {}),
    ...(fn.maxConcurrency !== undefined ? { maxConcurrency: fn.maxConcurrency } : {}),
  };
}

/** The limiter's key of a function: its space and id, which no other function shares. */
export function limiterKey(fn: FunctionConfig): string {
  return `${fn.space}/${fn.functionId}`;
}

/**
 * The function limits (docs/limits.md) as the delivery workers and the events API apply them: one
 * {@link DeliveryLimiter} (in-process locally, DynamoDB on AWS) behind a call that also counts what it held back.
 */
export class FunctionLimiter {
  constructor(private readonly options: FunctionLimiterOptions) {}

  /**
   * Takes capacity for one call of `fn`, or says how long to hold it back. Functions without limits never reach
   * the limiter: `undefined` means go ahead, nothing to release.
   */
  admit(fn: FunctionConfig, path: LimitedPath): Promise<LimitVerdict> | undefined {
    const limits = limitsOf(fn);
    if (!limits) return undefined;
    return this.ask(fn, limits, path);
  }

  private async ask(fn: FunctionConfig, limits: FunctionLimits, path: LimitedPath): Promise<LimitVerdict> {
    let verdict: LimitVerdict;
    try {
      verdict = await this.options.limiter.acquire(limiterKey(fn), limits);
    } catch (error) {
      this.options.onError?.(fn, error);
      verdict = { admitted: false, reason: 'unavailable', retryAfterMs: UNAVAILABLE_RETRY_MS };
    }
    if (!verdict.admitted) this.options.onHeldBack?.(fn, verdict.reason, path);
    return verdict;
  }
}

/**
 * The release of an admitted call as a function that may be called any number of times (the port wants exactly
 * one release): where the call ends and again in a `finally`. A no-op for no verdict or one that held the call back.
 */
export function releaseOnce(verdict: LimitVerdict | undefined): () => void {
  if (!verdict?.admitted) return () => undefined;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    verdict.release();
  };
}

/**
 * What a sync client gets for a call held back (docs/limits.md): 429 naming the limit, or 503 when the limiter
 * could not answer; both with `Retry-After` in whole seconds, rounded up.
 */
export function heldBackError(fn: FunctionConfig, heldBack: HeldBack): HttpError {
  const seconds = Math.max(1, Math.ceil(heldBack.retryAfterMs / 1000));
  const name = `function "${fn.functionId}"`;
  switch (heldBack.reason) {
    case 'rate':
      return new TooManyRequestsError(`Too Many Requests: ${name} is over its rate limit of ${fn.rateLimit?.perSecond} calls per second. Retry later.`, seconds);
    case 'concurrency':
      return new TooManyRequestsError(`Too Many Requests: ${name} is over its limit of ${fn.maxConcurrency} calls at once. Retry later.`, seconds);
    default:
      return new ServiceUnavailableError(`Service Unavailable: the limits of ${name} cannot be checked now. Retry later.`, seconds);
  }
}
