import { DEFAULT_METRICS_NAMESPACE, EmfMetrics } from '../lambda/metrics.js';
import type { InvocationRequest } from '../ports/invoker.js';
import type { DeliveryQueue, NewDeliveryItem } from '../ports/delivery-queue.js';
import type { FunctionConfig } from '../core/model/types.js';
import { ROUTER_EMF_METRICS, ROUTER_EMF_SERVICE } from './emf-names.js';
import type { GatewayMetrics } from './metrics.js';

/** @default one EMF document per interval */
export const DEFAULT_EMF_INTERVAL_MS = 60_000;
/** EMF takes at most 100 values per metric: a distribution is sent as that many representative values. */
const MAX_VALUES = 100;
/** Upper bounds (ms) of the latency buckets: 1 ms doubling to about 65 s; slower calls share the last bucket. */
const BUCKET_BOUNDS_MS = Array.from({ length: 17 }, (_, k) => 2 ** k);

/**
 * A latency distribution in fixed buckets: recording is an increment (no allocation per request); the interval's
 * values go out as at most 100 representative values (one per call up to 100 calls), each bucket's upper bound
 * repeated in proportion to its count, so CloudWatch's percentiles come out within a factor of two (the bucket width).
 */
export class LatencyBuckets {
  private readonly counts = new Array<number>(BUCKET_BOUNDS_MS.length + 1).fill(0);
  private total = 0;
  private max = 0;

  record(ms: number): void {
    let index = 0;
    while (index < BUCKET_BOUNDS_MS.length && ms > BUCKET_BOUNDS_MS[index]!) index++;
    this.counts[index]!++;
    this.total++;
    if (ms > this.max) this.max = ms;
  }

  /** The representative values of what was recorded since the last call (empty when nothing was), and resets. */
  drainValues(): number[] {
    if (this.total === 0) return [];
    // One value per call up to 100 calls; beyond that, each bucket's share of 100.
    const scale = this.total <= MAX_VALUES ? 1 : MAX_VALUES / this.total;
    const share = this.counts.map((count) => (count === 0 ? 0 : Math.max(1, Math.round(count * scale))));
    while (share.reduce((a, b) => a + b, 0) > MAX_VALUES) share[share.indexOf(Math.max(...share))]!--;
    const values: number[] = [];
    share.forEach((repeat, index) => {
      // The overflow bucket has no bound: its values stand at the slowest call seen.
      const value = index < BUCKET_BOUNDS_MS.length ? Math.min(BUCKET_BOUNDS_MS[index]!, this.max) : this.max;
      for (let i = 0; i < repeat; i++) values.push(value);
    });
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
    return values;
  }
}

export interface RouterEmfOptions {
  /** The gateway's Prometheus metrics: received, rejected, unrouted and propagation are read from them. */
  metrics: GatewayMetrics;
  /** The change-log version of the routing table. */
  routingVersion: () => number;
  /** @default 'EventGateway' */
  namespace?: string;
  /** @default {@link DEFAULT_EMF_INTERVAL_MS} */
  intervalMs?: number;
  /** Receives each EMF document. @default a line on stdout */
  write?: (document: string) => void;
  /** @default Date.now */
  now?: () => number;
}

/** The invoker registry's sync call (lib/dispatch), as far as the metrics need it. */
type CallSync = (fn: FunctionConfig, request: InvocationRequest) => Promise<{ ok: boolean }>;

/** The Prometheus counters whose growth becomes EMF counts. */
const COUNTERS = {
  [ROUTER_EMF_METRICS.received]: 'eventgateway_events_received_total',
  [ROUTER_EMF_METRICS.rejected]: 'eventgateway_events_rejected_total',
  [ROUTER_EMF_METRICS.unrouted]: 'eventgateway_events_unrouted_total',
  [ROUTER_EMF_METRICS.syncCallsLimited]: 'eventgateway_sync_calls_limited_total',
} as const;
const PROPAGATION_HISTOGRAM = 'eventgateway_config_propagation_seconds';

/**
 * The router's CloudWatch metrics: one Embedded Metric Format document per interval (per task on AWS), with the
 * interval's counts and latency distributions, under the single dimension `Service=router` (names in
 * emf-names.ts). Per request it only counts numbers: sync calls and queue sends are timed by wrapping the events
 * API's invokers and queue ({@link measureInvokers}, {@link measureQueue}); everything else is read from the
 * Prometheus registry once per interval, as differences from the previous reading.
 */
export class RouterEmf {
  private readonly syncLatency = new LatencyBuckets();
  private readonly sendLatency = new LatencyBuckets();
  private syncSucceeded = 0;
  private syncFailed = 0;
  private queueSends = 0;
  private readonly lastCounters = new Map<string, number>();
  private lastPropagation = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly namespace: string;
  private readonly write: (document: string) => void;
  private readonly now: () => number;

  constructor(private readonly options: RouterEmfOptions) {
    this.namespace = options.namespace ?? DEFAULT_METRICS_NAMESPACE;
    this.write = options.write ?? ((document: string) => void process.stdout.write(`${document}\n`));
    this.now = options.now ?? Date.now;
  }

  /**
   * The invokers with every sync call timed and counted by outcome: failed is what the events API answers as a failed
   * call (the registry's sync rule, or a throw); any other answer is the function's.
   */
  measureInvokers<T extends { callSync: CallSync }>(invokers: T): T {
    const callSync: CallSync = async (fn, request) => {
      const started = performance.now();
      try {
        const called = await invokers.callSync(fn, request);
        if (called.ok) this.syncSucceeded++;
        else this.syncFailed++;
        return called;
      } catch (error) {
        this.syncFailed++;
        throw error;
      } finally {
        this.syncLatency.record(performance.now() - started);
      }
    };
    return withMethod(invokers, 'callSync', callSync);
  }

  /** The queue with every accepted send timed and its items counted (a refused send is neither). */
  measureQueue<Q extends DeliveryQueue>(queue: Q): Q {
    const enqueue = async (items: readonly NewDeliveryItem[]) => {
      const started = performance.now();
      await queue.enqueue(items);
      this.sendLatency.record(performance.now() - started);
      this.queueSends += items.length;
    };
    return withMethod(queue, 'enqueue', enqueue);
  }

  start(): void {
    if (this.timer) return;
    const intervalMs = this.options.intervalMs ?? DEFAULT_EMF_INTERVAL_MS;
    // The first reading sets the baselines, so the first document covers one interval only.
    void this.read();
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what the last, partial interval recorded. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Writes one document with what happened since the previous one. */
  async flush(): Promise<void> {
    const reading = await this.read();
    const m = new EmfMetrics(this.namespace, { Service: ROUTER_EMF_SERVICE });
    for (const [name, delta] of reading.counters) m.count(name, delta);
    m.count(ROUTER_EMF_METRICS.accepted, this.queueSends + this.syncSucceeded + this.syncFailed);
    m.count(ROUTER_EMF_METRICS.syncCallsSucceeded, this.syncSucceeded);
    m.count(ROUTER_EMF_METRICS.syncCallsFailed, this.syncFailed);
    m.count(ROUTER_EMF_METRICS.queueSends, this.queueSends);
    this.syncSucceeded = this.syncFailed = this.queueSends = 0;
    for (const value of this.syncLatency.drainValues()) m.record(ROUTER_EMF_METRICS.syncCallLatency, value, 'Milliseconds');
    for (const value of this.sendLatency.drainValues()) m.record(ROUTER_EMF_METRICS.queueSendLatency, value, 'Milliseconds');
    for (const value of reading.propagationMs) m.record(ROUTER_EMF_METRICS.configPropagationLag, value, 'Milliseconds');
    m.record(ROUTER_EMF_METRICS.routingTableVersion, this.options.routingVersion(), 'None');
    for (const document of m.drain(this.now())) this.write(document);
  }

  /** The counters' growth and the propagation histogram's new observations since the previous reading. */
  private async read(): Promise<{ counters: Array<[string, number]>; propagationMs: number[] }> {
    const { registry } = this.options.metrics;
    const counters: Array<[string, number]> = [];
    for (const [emfName, promName] of Object.entries(COUNTERS)) {
      const metric = registry.getSingleMetric(promName);
      if (!metric) continue;
      const { values } = await metric.get();
      // The gateway's own system events (eventgateway.*) are not traffic.
      const total = values.reduce((sum, v) => (String(v.labels['type'] ?? '').startsWith('eventgateway.') ? sum : sum + v.value), 0);
      counters.push([emfName, total - (this.lastCounters.get(promName) ?? total)]);
      this.lastCounters.set(promName, total);
    }
    const propagationMs: number[] = [];
    const histogram = registry.getSingleMetric(PROPAGATION_HISTOGRAM);
    if (histogram) {
      const { values } = await histogram.get();
      const cumulative = new Map<string, number>();
      for (const v of values as Array<{ metricName?: string; labels: Record<string, unknown>; value: number }>) {
        if (v.metricName?.endsWith('_bucket')) cumulative.set(String(v.labels['le']), v.value);
      }
      let previousNow = 0;
      let previousBefore = 0;
      let lastBound = 0;
      for (const [le, count] of cumulative) {
        const before = this.lastPropagation.get(le) ?? count;
        const inBucket = count - previousNow - (before - previousBefore);
        const boundMs = le === '+Inf' ? lastBound * 2 : Number(le) * 1000;
        for (let i = 0; i < inBucket && propagationMs.length < MAX_VALUES; i++) propagationMs.push(boundMs);
        previousNow = count;
        previousBefore = before;
        lastBound = boundMs;
      }
      this.lastPropagation = cumulative;
    }
    return { counters, propagationMs };
  }
}

/** `target` with `name` replaced; every other member read from `target` itself (private fields keep working). */
function withMethod<T extends object>(target: T, name: PropertyKey, replacement: unknown): T {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      if (property === name) return replacement;
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      let method = bound.get(property);
      if (method === undefined) bound.set(property, (method = (value as (...args: unknown[]) => unknown).bind(object)));
      return method;
    },
  });
}
