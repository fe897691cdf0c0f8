import { DEFAULT_WORKERS } from '../settings/defaults.js';
import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { GatewayEvent, HttpRequestData } from '../core/cloudevents/index.js';
import type { FunctionConfig } from '../core/model/index.js';
import { backoffDelayMs, defaultTimeoutMs, mayRetry, resolveRetryPolicy } from '../core/retry/index.js';
import type { RoutingTable } from '../core/routing/index.js';
import {
  InFlight,
  authorizeForSubscriber,
  releaseOnce,
  type FunctionLimiter,
  type InvokerRegistry,
  type LiveRoutingTable,
  type SystemEvents,
} from '../dispatch/index.js';
import { HookVeto } from '../hooks/index.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import type { DeadLetterStore } from '../ports/dead-letter-store.js';
import type { DeliveryError, DeliveryItem, DeliveryQueue } from '../ports/delivery-queue.js';
import { deliveryHeaders } from './headers.js';

export interface DeliveryWorkersOptions {
  queue: DeliveryQueue;
  routing: LiveRoutingTable;
  invokers: InvokerRegistry;
  systemEvents: SystemEvents;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Where exhausted and permanently failed items go. Without one they are logged and removed. */
  deadLetters?: DeadLetterStore;
  /**
   * The functions' rate and concurrency limits (docs/limits.md): an item held back by one is postponed, not
   * attempted. Without one, limits are not applied.
   */
  limiter?: FunctionLimiter;
  /** Deliveries in flight at once. @default 64 */
  concurrency?: number;
  /**
   * Deliveries in flight at once while events API requests saturate the process: accepting events comes first, and
   * the backlog is delivered at full `concurrency` once intake eases (bench/README.md).
   * @default 1
   */
  yieldConcurrency?: number;
  /**
   * Deliveries started per second at most while yielding to intake. One delivery in flight back to back still
   * costs thousands of round trips a second (and the function's CPU, often on the same machine); a trickle keeps
   * delivery alive without taking the CPU that accepting events needs.
   * @default 100
   */
  yieldDeliveriesPerSecond?: number;
  /**
   * Deliveries yield to intake only while fewer items than this wait (the `eventgateway_events_backlog` gauge), and
   * no request found the queue full, so that a long burst cannot fill the queue and delay deliveries without bound.
   * @default 50000 (local mode passes 90% of `--max-pending`)
   */
  yieldBacklog?: number;
  /** How long a received item stays leased; must exceed the longest invocation. @default 60000 */
  leaseMs?: number;
  now?: () => number;
}

/** Whether deliveries yield to intake is decided over windows this long. */
const YIELD_WINDOW_MS = 100;
/** A window this busy (of 1) counts as saturated. */
const SATURATED_UTILIZATION = 0.9;

/** How a delivery ended; `postponed` is not a settlement: a limit held the item back, and it comes again later. */
export type SettledAs = 'delivered' | 'retried' | 'dead-lettered' | 'skipped' | 'vetoed' | 'postponed';

/**
 * The delivery loop (docs/compatibility.md#durable-delivery, #retries-and-timeouts, #dead-letters): receives leased
 * items, authorizes, invokes, and settles each one as delivered, retried later with backoff, dead-lettered, skipped
 * (authorizer denied) or vetoed (a hook). The same loop serves local mode; on AWS the SQS-triggered Lambda drives
 * {@link DeliveryWorkers.deliver} directly.
 */
export class DeliveryWorkers {
  private readonly concurrency: number;
  private readonly yieldConcurrency: number;
  private readonly yieldBacklog: number;
  private readonly yieldDeliveriesPerWindow: number;
  /** Deliveries started in the current window. */
  private windowDeliveries = 0;
  /** The current window (see {@link currentLimit}): its start, and what it has seen of intake so far. */
  private windowStart = performance.now();
  private windowUtilization = performance.eventLoopUtilization();
  private windowRefused = 0;
  private windowRequestsStarted = 0;
  /** Whether deliveries yield to intake, as decided at the end of the last window. */
  private yielding = false;
  private readonly leaseMs: number;
  private readonly now: () => number;
  /** Ends the receive loop: no new items are taken (the first step of a graceful shutdown). */
  private readonly receiving = new AbortController();
  /** Cancels the calls in flight (a shutdown whose time ran out): their items stay in the queue. */
  private readonly cancelling = new AbortController();
  private readonly inFlight = new InFlight();
  private loop: Promise<void> | undefined;
  private slotFreed: (() => void) | undefined;
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly options: DeliveryWorkersOptions) {
    this.concurrency = options.concurrency ?? DEFAULT_WORKERS;
    this.yieldConcurrency = Math.max(1, Math.min(this.concurrency, options.yieldConcurrency ?? 1));
    this.yieldBacklog = options.yieldBacklog ?? 50_000;
    this.yieldDeliveriesPerWindow = Math.max(1, Math.round(((options.yieldDeliveriesPerSecond ?? 100) * YIELD_WINDOW_MS) / 1000));
    this.leaseMs = options.leaseMs ?? 60_000;
    this.now = options.now ?? Date.now;
    setMaxListeners(0, this.receiving.signal);
    setMaxListeners(0, this.cancelling.signal);
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Deliveries started and not yet settled. */
  get deliveriesInFlight(): number {
    return this.inFlight.size;
  }

  /** Takes no new items from now on; resolves once the receive loop has ended (every item it took is in flight). */
  async stopReceiving(): Promise<void> {
    this.receiving.abort();
    this.slotFreed?.();
    await this.loop;
  }

  /** Resolves once no delivery is in flight. */
  idle(): Promise<void> {
    return this.inFlight.idle();
  }

  /**
   * Cancels the calls in flight and waits for their deliveries to end. A cancelled item is not settled: it stays in
   * the queue (released at once where the queue can) and is delivered again after the next start.
   */
  async cancel(): Promise<void> {
    this.cancelling.abort();
    await Promise.allSettled([...this.running]);
  }

  /** Stops receiving, cancels the deliveries in flight and waits for them to end (a shutdown with no time to drain). */
  async stop(): Promise<void> {
    await this.stopReceiving();
    await this.cancel();
  }

  private async run(): Promise<void> {
    const { signal } = this.receiving;
    while (!signal.aborted) {
      const limit = await this.currentLimit();
      if (this.inFlight.size >= limit) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      let room = limit - this.inFlight.size;
      if (this.yielding) {
        room = Math.min(room, this.yieldDeliveriesPerWindow - this.windowDeliveries);
        if (room <= 0) {
          // Until the window ends; stop() aborts the wait.
          await delay(Math.max(0, this.windowStart + YIELD_WINDOW_MS - performance.now()), undefined, { signal }).catch(() => undefined);
          continue;
        }
      }
      let items: DeliveryItem[];
      try {
        items = await this.options.queue.receive(room, { leaseMs: this.leaseMs, waitMs: 1000, signal });
      } catch (error) {
        if (signal.aborted) break;
        this.options.logger.error({ err: error }, 'delivery queue receive failed');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      this.windowDeliveries += items.length;
      for (const item of items) {
        this.inFlight.enter();
        const task = this.deliver(item)
          .catch((error: unknown) => this.options.logger.error({ err: error, itemId: item.id }, 'delivery failed unexpectedly'))
          .finally(() => {
            this.running.delete(task);
            this.inFlight.leave();
            const wake = this.slotFreed;
            this.slotFreed = undefined;
            wake?.();
          });
        this.running.add(task);
      }
    }
  }

  /**
   * How many deliveries may be in flight now: `yieldConcurrency` if, over the last window, the event loop was
   * saturated while events API requests came in, the backlog stayed under `yieldBacklog` and no request found
   * the queue full (and then at most `yieldDeliveriesPerSecond` start); else `concurrency`. Delivery slows under a
   * burst of intake, so that more events are accepted (durably: none is lost), and never stops; once the backlog is
   * large, delivering comes first again.
   */
  private async currentLimit(): Promise<number> {
    const { intake, eventsBacklog } = this.options.metrics;
    const now = performance.now();
    if (now - this.windowStart >= YIELD_WINDOW_MS) {
      const utilization = performance.eventLoopUtilization();
      const saturated = performance.eventLoopUtilization(utilization, this.windowUtilization).utilization >= SATURATED_UTILIZATION;
      const refused = intake.refusedByFullQueue !== this.windowRefused;
      // Requests started in the window, not just in flight when sampled: the workers run between requests' turns.
      const intakeSeen = intake.requestsStarted !== this.windowRequestsStarted || intake.requestsInFlight > 0;
      this.yielding = saturated && intakeSeen && !refused && (await backlogOf(eventsBacklog)) < this.yieldBacklog;
      this.windowStart = now;
      this.windowUtilization = utilization;
      this.windowRefused = intake.refusedByFullQueue;
      this.windowDeliveries = 0;
      this.windowRequestsStarted = intake.requestsStarted;
    }
    return this.yielding ? this.yieldConcurrency : this.concurrency;
  }

  /** Delivers one item and settles it. Exposed for the Lambda delivery handler and for tests. */
  async deliver(item: DeliveryItem): Promise<SettledAs> {
    const table = this.options.routing.current;
    const fn = table.function(item.space, item.functionId);
    // Before anything else: an item held back by a limit is not processed yet (no hook, authorizer or metric).
    const verdict = fn && this.options.limiter?.admit(fn, 'async');
    if (verdict === undefined) return this.process(item, table, fn);
    const admission = await verdict;
    if (!admission.admitted) return this.postpone(item, admission.retryAfterMs, admission.reason);
    const release = releaseOnce(admission);
    try {
      return await this.process(item, table, fn, release);
    } finally {
      release();
    }
  }

  /**
   * The delivery proper. `callEnded` is told as soon as the function's call has ended (its concurrency slot is
   * free again), before the item is settled.
   */
  private async process(
    item: DeliveryItem,
    table: RoutingTable,
    fn: FunctionConfig | undefined,
    callEnded?: () => void,
  ): Promise<SettledAs> {
    const { metrics, queue, invokers, systemEvents, logger } = this.options;
    metrics.countProcessed(item.space, 'custom');
    if (item.attempts === 0) metrics.customProcessingSeconds.observe(Math.max(0, this.now() - item.acceptedAt) / 1000);

    const subscription = table.subscription(item.space, item.subscriptionId);
    if (!fn) return this.deadLetter(item, { message: `Function "${item.functionId}" not found.` }, this.now(), subscription?.path);
    // Hot path: the stored JSON is the payload; it is parsed only for a system event or an authorizer.
    let parsed: GatewayEvent | undefined;
    const event = () => (parsed ??= JSON.parse(item.event) as GatewayEvent);
    let payload = item.event;

    if (!item.system) {
      const invoking = systemEvents.functionInvoking(table, item.space, item.functionId, event);
      if (invoking) {
        try {
          await invoking;
        } catch (error) {
          if (!(error instanceof HookVeto)) throw error;
          logger.info({ itemId: item.id, space: item.space, functionId: item.functionId, reason: error.message }, 'delivery vetoed by a hook');
          metrics.countDelivery('vetoed');
          await this.settle(item);
          return 'vetoed';
        }
      }
      if (table.hasAuthorizer(item.space, item.eventType)) {
        const request = item.authorizerRequest ? (JSON.parse(item.authorizerRequest) as HttpRequestData) : null;
        const auth = await authorizeForSubscriber(table, invokers, item.space, event(), request, this.cancelling.signal);
        if (!auth.allow && this.cancelling.signal.aborted) return this.leaveInQueue(item);
        if (!auth.allow) {
          logger.info({ itemId: item.id, space: item.space, reason: auth.reason }, 'delivery skipped: authorizer denied');
          metrics.countDelivery('skipped');
          await this.settle(item);
          return 'skipped';
        }
        if (auth.event !== parsed) {
          parsed = auth.event;
          payload = JSON.stringify(parsed);
        }
      }
    }

    const attemptAt = this.now();
    const attempt = await invokers.deliver(fn, {
      payload,
      timeoutMs: subscription?.timeoutMs ?? defaultTimeoutMs(fn.type),
      headers: deliveryHeaders(fn, item, payload, attemptAt),
      signal: this.cancelling.signal,
    });
    callEnded?.();
    const { outcome } = attempt;
    if (outcome !== 'delivered' && this.cancelling.signal.aborted) return this.leaveInQueue(item);
    metrics.countDeliveryAttempt(outcome);

    if (outcome === 'delivered') {
      await this.settle(item);
      metrics.countDelivery('delivered');
      metrics.deliveryLatencySeconds.observe(Math.max(0, this.now() - item.acceptedAt) / 1000);
      if (!item.system) await systemEvents.functionInvoked(table, item.space, item.functionId, event, attempt.body);
      return 'delivered';
    }
    const { error, retryAfterMs } = attempt;

    if (!item.system) await systemEvents.functionInvocationFailed(table, item.space, item.functionId, event, error.message);
    const policy = resolveRetryPolicy(subscription?.retry);
    if (outcome === 'retry' && mayRetry(policy, item.attempts + 1, item.acceptedAt, this.now())) {
      const delay = backoffDelayMs(policy, item.attempts, retryAfterMs);
      await queue.retry(item, delay, error);
      metrics.deliveryRetries.inc();
      // One warn line per item: its first failure. The later ones of the same item are debug.
      const fields = {
        ...describeItem(item, subscription?.path), attempt: item.attempts + 1, ...describeError(error),
        nextAttemptAt: new Date(this.now() + delay).toISOString(),
      };
      if (item.attempts === 0) logger.warn(fields, `delivery to function ${item.space}/${item.functionId} failed; will retry`);
      else logger.debug(fields, `delivery to function ${item.space}/${item.functionId} failed again; will retry`);
      return 'retried';
    }
    return this.deadLetter(item, error, attemptAt, subscription?.path);
  }

  /** Held back by a limit: due again later, not an attempt, never dead-lettered (docs/limits.md). */
  private async postpone(item: DeliveryItem, delayMs: number, reason: string): Promise<SettledAs> {
    await this.options.queue.postpone(item, delayMs);
    if (this.options.logger.isLevelEnabled('debug')) {
      this.options.logger.debug({ itemId: item.id, space: item.space, functionId: item.functionId, reason, delayMs }, 'delivery postponed by a limit');
    }
    return 'postponed';
  }

  /**
   * A delivery cancelled by shutdown is not an attempt: the item is not settled, and is released where the queue
   * can (SQS: visible again at once); SQLite releases every lease at the next start.
   */
  private async leaveInQueue(item: DeliveryItem): Promise<SettledAs> {
    try {
      await this.options.queue.release?.(item);
    } catch (error) {
      this.options.logger.warn({ err: error, itemId: item.id }, 'a cancelled delivery was not released; it comes back after its lease');
    }
    return 'retried';
  }

  private async deadLetter(item: DeliveryItem, error: DeliveryError, attemptAt = this.now(), path?: string): Promise<SettledAs> {
    const { deadLetters, metrics, logger } = this.options;
    const deadAt = this.now();
    if (deadLetters) {
      await deadLetters.put({
        item: stripDeliveryState(item),
        attempts: item.attempts + 1,
        firstAttemptAt: item.firstAttemptAt ?? attemptAt,
        lastAttemptAt: attemptAt,
        deadAt,
        lastError: error,
      });
    }
    logger.warn(
      { ...describeItem(item, path), attempts: item.attempts + 1, ...describeError(error) },
      `delivery to function ${item.space}/${item.functionId} dead-lettered after ${item.attempts + 1} attempt(s): ${error.message}`,
    );
    await this.settle(item);
    metrics.countDelivery('dead-lettered');
    metrics.deadLettersTotal.inc({ space: item.space });
    return 'dead-lettered';
  }

  private async settle(item: DeliveryItem): Promise<void> {
    await this.options.queue.ack(item);
    this.options.metrics.eventsBacklog.dec();
  }
}

/** What a person needs to find a delivery in the config: the function by name, the path and event type. */
function describeItem(item: DeliveryItem, path: string | undefined) {
  return {
    itemId: item.id, space: item.space, functionId: item.functionId, subscriptionId: item.subscriptionId,
    ...(path !== undefined ? { path } : {}), eventType: item.eventType,
  };
}

function describeError(error: DeliveryError) {
  return { error: error.message, ...(error.status !== undefined ? { status: error.status } : {}) };
}

/** The value of the backlog gauge (no labels). */
async function backlogOf(gauge: GatewayMetrics['eventsBacklog']): Promise<number> {
  return (await gauge.get()).values[0]?.value ?? 0;
}

function stripDeliveryState(item: DeliveryItem) {
  const { attempts: _attempts, firstAttemptAt: _first, lastError: _last, ...rest } = item;
  return rest;
}
