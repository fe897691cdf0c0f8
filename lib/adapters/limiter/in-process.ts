import { burstCapacity, type Admission, type DeliveryLimiter, type FunctionLimits } from '../../ports/delivery-limiter.js';

export interface InProcessLimiterOptions {
  /** The clock, in milliseconds (tests pass a fake one). @default Date.now */
  now?: () => number;
  /**
   * How long a call is assumed to take before any has ended, for the hint given to a caller refused by
   * `maxConcurrency`; after that the hint follows the calls' measured durations. @default 100
   */
  initialCallMs?: number;
}

/** The shortest and longest hint a refused caller gets. */
const MIN_RETRY_MS = 1;
const MAX_RETRY_MS = 60_000;
/** Weight of the newest call duration in the running average. */
const DURATION_WEIGHT = 0.2;
/** Token counts this close to a whole token count as one (floating-point drift of the refill). */
const EPSILON = 1e-9;

/**
 * One function's token bucket. It holds up to {@link burstCapacity} tokens (a tenth of a second's worth, at least
 * one) and starts full; tokens flow back continuously. A refused caller is given a place in line: `retryAfterMs` is the time of the
 * next token not yet promised to an earlier refused caller, so that a backlog postponed by its workers comes back
 * spread at the rate, in its order of arrival, instead of every item retrying at the next token.
 */
interface Bucket {
  perSecond: number;
  capacity: number;
  tokens: number;
  updatedAt: number;
  /** When the last place in line given to a refused caller falls due. */
  promisedUntil: number;
}

/** One function's calls in flight, kept across limit changes (the calls are still running). */
interface Slots {
  inFlight: number;
  maxConcurrency: number | undefined;
  /** Running average of call durations, for the hint given to a caller refused by `maxConcurrency`. */
  averageCallMs: number;
  /** As for {@link Bucket.promisedUntil}. */
  promisedUntil: number;
}

/**
 * The limiter of a local gateway: every delivery worker and the sync path run in one process, so the buckets and
 * counters are plain memory. A bucket whose `perSecond` changed (the function was updated) starts afresh; the count
 * of calls in flight is kept.
 */
export class InProcessLimiter implements DeliveryLimiter {
  private readonly now: () => number;
  private readonly initialCallMs: number;
  private readonly buckets = new Map<string, Bucket>();
  private readonly slots = new Map<string, Slots>();

  constructor(options: InProcessLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.initialCallMs = Math.max(MIN_RETRY_MS, options.initialCallMs ?? 100);
  }

  acquire(key: string, limits: FunctionLimits): Promise<Admission> {
    return Promise.resolve(this.tryAcquire(key, limits));
  }

  /** {@link acquire} without the promise, for callers that want the answer in the same turn. */
  tryAcquire(key: string, limits: FunctionLimits): Admission {
    const now = this.now();
    const slots = this.slotsFor(key, limits.maxConcurrency);
    if (slots && slots.inFlight >= (slots.maxConcurrency ?? Infinity)) {
      return { admitted: false, reason: 'concurrency', retryAfterMs: this.concurrencyPlace(slots, now) };
    }
    const bucket = this.bucketFor(key, limits.perSecond, now);
    if (bucket) {
      refill(bucket, now);
      if (bucket.tokens < 1 - EPSILON) return { admitted: false, reason: 'rate', retryAfterMs: ratePlace(bucket, now) };
      bucket.tokens = Math.max(0, bucket.tokens - 1);
    }
    if (!slots) return { admitted: true, release: () => undefined };
    slots.inFlight += 1;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        slots.inFlight -= 1;
        const took = Math.max(0, this.now() - now);
        slots.averageCallMs += (took - slots.averageCallMs) * DURATION_WEIGHT;
        if (slots.inFlight === 0 && slots.maxConcurrency === undefined) this.slots.delete(key);
      },
    };
  }

  close(): Promise<void> {
    this.buckets.clear();
    this.slots.clear();
    return Promise.resolve();
  }

  private bucketFor(key: string, perSecond: number | undefined, now: number): Bucket | undefined {
    if (perSecond === undefined || !(perSecond > 0)) {
      this.buckets.delete(key);
      return undefined;
    }
    const existing = this.buckets.get(key);
    if (existing?.perSecond === perSecond) return existing;
    const capacity = burstCapacity(perSecond);
    const bucket: Bucket = { perSecond, capacity, tokens: capacity, updatedAt: now, promisedUntil: -Infinity };
    this.buckets.set(key, bucket);
    return bucket;
  }

  /** The key's slots; kept while calls are in flight even when the limit is gone, so that releases still count. */
  private slotsFor(key: string, maxConcurrency: number | undefined): Slots | undefined {
    const limit = maxConcurrency !== undefined && maxConcurrency > 0 ? maxConcurrency : undefined;
    let slots = this.slots.get(key);
    if (!slots) {
      if (limit === undefined) return undefined;
      slots = { inFlight: 0, maxConcurrency: limit, averageCallMs: this.initialCallMs, promisedUntil: -Infinity };
      this.slots.set(key, slots);
    }
    slots.maxConcurrency = limit;
    return slots;
  }

  /** A refused caller's place in line for a slot: a slot frees about every average call / maxConcurrency. */
  private concurrencyPlace(slots: Slots, now: number): number {
    const interval = slots.averageCallMs / (slots.maxConcurrency ?? 1);
    const at = Math.max(now + interval, slots.promisedUntil + interval);
    slots.promisedUntil = Math.min(at, now + MAX_RETRY_MS);
    return clampRetry(at - now);
  }
}

function refill(bucket: Bucket, now: number): void {
  const elapsed = now - bucket.updatedAt;
  if (elapsed > 0) bucket.tokens = Math.min(bucket.capacity, bucket.tokens + (elapsed * bucket.perSecond) / 1000);
  bucket.updatedAt = Math.max(bucket.updatedAt, now);
}

/** The next token not yet promised: the first after the current deficit, then one token interval per caller. */
function ratePlace(bucket: Bucket, now: number): number {
  const interval = 1000 / bucket.perSecond;
  const nextToken = now + ((1 - bucket.tokens) * 1000) / bucket.perSecond;
  const at = Math.max(nextToken, bucket.promisedUntil + interval);
  bucket.promisedUntil = Math.min(at, now + MAX_RETRY_MS);
  return clampRetry(at - now);
}

function clampRetry(ms: number): number {
  return Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, Math.ceil(ms)));
}
