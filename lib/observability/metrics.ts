import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type CounterConfiguration } from 'prom-client';
import type { Kind } from '../core/model/types.js';

/** Items of one kind per space, as the routing table holds them now. */
export type ConfigCounts = (kind: Kind) => ReadonlyMap<string, number>;

/**
 * prom-client's default metrics that are gauges named like counters (`promtool check metrics` rejects them). Each is
 * the sum of a labelled gauge it also exports (`nodejs_active_handles` and so on), so nothing is lost.
 */
const COUNTER_NAMED_DEFAULT_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Distinct event types counted per space by the unrouted counter; beyond, they share one series (clients choose them). */
const MAX_UNROUTED_TYPES_PER_SPACE = 1000;
/** The `event_type` of unrouted events beyond {@link MAX_UNROUTED_TYPES_PER_SPACE}. */
export const OTHER_EVENT_TYPES = '(other)';

/** Buckets `start × 2^k` for k = 0…count-1, as Prometheus' Go client `ExponentialBuckets` makes them. */
function exponentialBuckets(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => start * 2 ** k);
}

/**
 * Intake as the events API sees it, for the delivery workers, which yield to it while it saturates the process and
 * the queue still accepts events (bench/README.md). Plain numbers, updated per request.
 */
export class IntakeLoad {
  /** Events API requests being handled now. */
  requestsInFlight = 0;
  /** Events API requests started, since start. */
  requestsStarted = 0;
  /** Requests refused because the delivery queue was full (429), since start. */
  refusedByFullQueue = 0;
}

interface BufferedSeries {
  readonly labels: Record<string, string>;
  count: number;
}

/**
 * Hot path: a labelled counter whose series are counted as plain numbers per request and added to the prom-client
 * counter when it is collected (at every scrape, so readers always see exact totals). prom-client's own
 * `inc(labels)` builds, hashes and validates the label set on every call. For counters with one or two labels.
 */
class BufferedCounter<L extends string> {
  readonly counter: Counter<L>;
  private readonly series = new Map<string, Map<string, BufferedSeries>>();

  /**
   * `maxSecond` caps the distinct second label values per first label value, for labels a client chooses: the
   * values beyond it are counted as `otherSecond`.
   */
  constructor(
    config: Omit<CounterConfiguration<L>, 'collect'>,
    private readonly names: readonly [L] | readonly [L, L],
    private readonly cap: { maxSecond: number; otherSecond: string } = { maxSecond: Infinity, otherSecond: '' },
  ) {
    this.counter = new Counter<L>({ ...config, labelNames: names, collect: () => this.flush() });
  }

  /** Counts one for the series (first label value, second label value). */
  inc(first: string, second = ''): void {
    let inner = this.series.get(first);
    if (inner === undefined) this.series.set(first, (inner = new Map()));
    let series = inner.get(second);
    if (series === undefined && inner.size >= this.cap.maxSecond) {
      second = this.cap.otherSecond;
      series = inner.get(second);
    }
    if (series === undefined) {
      const [firstName, secondName] = this.names;
      const labels: Record<string, string> = { [firstName]: first };
      if (secondName !== undefined) labels[secondName] = second;
      inner.set(second, (series = { labels, count: 0 }));
    }
    series.count++;
  }

  private flush(): void {
    for (const inner of this.series.values()) {
      for (const series of inner.values()) {
        if (series.count === 0) continue;
        this.counter.inc(series.labels as Partial<Record<L, string>>, series.count);
        series.count = 0;
      }
    }
  }
}

/**
 * The gateway's Prometheus metrics, with the exact names and labels of docs/compatibility.md#metrics. One instance per
 * gateway (its own prom-client registry, with the Node process collectors), so several gateways can live in one process
 * (tests).
 */
export class GatewayMetrics {
  readonly registry = new Registry();

  private readonly received = new BufferedCounter(
    { name: 'eventgateway_events_received_total', help: 'Total of events received.', registers: [this.registry] },
    ['space', 'type'],
  );
  private readonly processed = new BufferedCounter(
    { name: 'eventgateway_events_processed_total', help: 'Total of processed events.', registers: [this.registry] },
    ['space', 'type'],
  );
  /** Counted per request through {@link countReceived}. */
  readonly eventsReceived = this.received.counter;
  /** Counted per request through {@link countProcessed}. */
  readonly eventsProcessed = this.processed.counter;
  private readonly unrouted = new BufferedCounter(
    {
      name: 'eventgateway_events_unrouted_total',
      help: 'Events that matched no subscription (answered 202 all the same): by the space defining the event type ("" when none does) and event type.',
      registers: [this.registry],
    },
    ['space', 'event_type'],
    { maxSecond: MAX_UNROUTED_TYPES_PER_SPACE, otherSecond: OTHER_EVENT_TYPES },
  );
  /** Counted per event through {@link countUnrouted}. */
  readonly eventsUnrouted = this.unrouted.counter;
  /**
   * Stays at 0 by construction: nothing accepted is ever dropped (docs/compatibility.md#durable-delivery). Kept for
   * dashboards.
   */
  readonly eventsDropped = new Counter({
    name: 'eventgateway_events_dropped_total',
    help: 'Total of events dropped due to insufficient processing power.',
    labelNames: ['space', 'type'] as const,
    registers: [this.registry],
  });
  readonly eventsBacklog = new Gauge({
    name: 'eventgateway_events_backlog',
    help: 'Gauge of asynchronous events count waiting to be processed.',
    registers: [this.registry],
  });
  readonly customProcessingSeconds = new Histogram({
    name: 'eventgateway_events_custom_processing_seconds',
    help: 'Bucketed histogram of processing duration of an event. From receiving the asynchronous custom event to calling a function.',
    buckets: exponentialBuckets(0.00001, 20),
    registers: [this.registry],
  });

  // Durable delivery (docs/compatibility.md#durable-delivery, #retries-and-timeouts, #dead-letters). Not in the
  // original; named in its style.
  private readonly attempts = new BufferedCounter(
    {
      name: 'eventgateway_delivery_attempts_total',
      help: 'Async delivery attempts by outcome: delivered, retry or permanent.',
      registers: [this.registry],
    },
    ['outcome'],
  );
  private readonly settled = new BufferedCounter(
    {
      name: 'eventgateway_deliveries_total',
      help: 'Async items settled, by how: delivered, dead-lettered, skipped (authorizer denied) or vetoed (hook).',
      registers: [this.registry],
    },
    ['outcome'],
  );
  /** Counted per attempt through {@link countDeliveryAttempt}. */
  readonly deliveryAttempts = this.attempts.counter;
  /** Counted per settled item through {@link countDelivery}. */
  readonly deliveries = this.settled.counter;
  readonly deliveryRetries = new Counter({
    name: 'eventgateway_delivery_retries_total',
    help: 'Async deliveries scheduled for another attempt.',
    registers: [this.registry],
  });
  readonly deadLettersTotal = new Counter({
    name: 'eventgateway_dead_letters_total',
    help: 'Items moved to the dead-letter store.',
    labelNames: ['space'] as const,
    registers: [this.registry],
  });
  /** Token fetches of functions with `provider.auth` (docs/auth.md); rare, so prom-client's own `inc` is fine. */
  readonly tokenFetches = new Counter({
    name: 'eventgateway_token_fetches_total',
    help: 'Token fetches for http functions with provider.auth, by outcome (fetched, failed, refused by the SSRF guard).',
    labelNames: ['space', 'function', 'auth_type', 'outcome'] as const,
    registers: [this.registry],
  });
  /** Async deliveries postponed by a function's limit (docs/limits.md): each time an item is held back. */
  readonly deliveriesDelayed = new Counter({
    name: 'eventgateway_deliveries_delayed_total',
    help: 'Async deliveries postponed by a function limit (not attempts), by reason: rate, concurrency, unavailable (the limiter could not answer).',
    labelNames: ['space', 'function', 'reason'] as const,
    registers: [this.registry],
  });
  /** Sync calls answered 429 (or 503) by a function's limit (docs/limits.md). */
  readonly syncCallsLimited = new Counter({
    name: 'eventgateway_sync_calls_limited_total',
    help: 'Sync calls refused by a function limit (429), or 503 when the limiter could not answer, by reason: rate, concurrency, unavailable.',
    labelNames: ['space', 'function', 'reason'] as const,
    registers: [this.registry],
  });
  private deadLetterCount: () => Promise<number> = async () => 0;
  readonly deadLetters: Gauge = new Gauge({
    name: 'eventgateway_dead_letters',
    help: 'Items in the dead-letter store now.',
    registers: [this.registry],
    collect: async (): Promise<void> => this.deadLetters.set(await this.deadLetterCount()),
  });
  readonly deliveryLatencySeconds = new Histogram({
    name: 'eventgateway_delivery_latency_seconds',
    help: 'From acceptance of an event to its successful delivery, retries included.',
    buckets: exponentialBuckets(0.001, 20),
    registers: [this.registry],
  });
  private queuePending: () => Promise<number> = async () => 0;
  readonly queueDepth: Gauge = new Gauge({
    name: 'eventgateway_queue_depth',
    help: 'Async items stored and not yet settled.',
    registers: [this.registry],
    collect: async (): Promise<void> => this.queueDepth.set(await this.queuePending()),
  });
  readonly queueCommits = new Counter({
    name: 'eventgateway_queue_commits_total',
    help: 'Durable commits of accepted items (group commit: one commit carries many requests).',
    registers: [this.registry],
  });
  readonly queueCommittedItems = new Counter({
    name: 'eventgateway_queue_committed_items_total',
    help: 'Accepted items written by those commits.',
    registers: [this.registry],
  });
  /** What the events API tells the delivery workers about intake; see {@link IntakeLoad}. */
  readonly intake = new IntakeLoad();
  readonly eventsApiInFlight: Gauge = new Gauge({
    name: 'eventgateway_events_api_requests_in_flight',
    help: 'Events API requests being handled now.',
    registers: [this.registry],
    collect: (): void => this.eventsApiInFlight.set(this.intake.requestsInFlight),
  });
  readonly eventsRejected = new Counter({
    name: 'eventgateway_events_rejected_total',
    help: 'Requests refused with 429 because too many items were pending (back-pressure, never a silent drop).',
    registers: [this.registry],
  });

  readonly configPropagationSeconds = new Histogram({
    name: 'eventgateway_config_propagation_seconds',
    help: 'From a config write to the change reaching this process\'s routing table (DynamoDB registry).',
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30],
    registers: [this.registry],
  });

  // The config gauges: the items stored, per space (see observeConfig).
  readonly eventTypesTotal = this.configGauge('eventtype', 'eventgateway_eventtypes_total', 'Gauge of event types count.');
  readonly functionsTotal = this.configGauge('function', 'eventgateway_functions_total', 'Gauge of functions count.');
  readonly subscriptionsTotal = this.configGauge('subscription', 'eventgateway_subscriptions_total', 'Gauge of subscriptions count.');
  readonly corsTotal = this.configGauge('cors', 'eventgateway_cors_total', 'Gauge of CORS configurations count.');

  readonly configRequests = new Counter({
    name: 'eventgateway_config_requests_total',
    help: 'Total of Config API requests.',
    labelNames: ['space', 'resource', 'operation'] as const,
    registers: [this.registry],
  });
  readonly configRequestDuration = new Histogram({
    name: 'eventgateway_config_request_duration_seconds',
    help: 'Bucketed histogram of request duration of Config API requests.',
    buckets: exponentialBuckets(0.0005, 16),
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      for (const name of COUNTER_NAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
    }
  }

  // Hot path: the per-event counts (see BufferedCounter).

  countReceived(space: string, type: string): void {
    this.received.inc(space, type);
  }

  countProcessed(space: string, type: string): void {
    this.processed.inc(space, type);
  }

  countUnrouted(space: string, eventType: string): void {
    this.unrouted.inc(space, eventType);
  }

  countDeliveryAttempt(outcome: 'delivered' | 'retry' | 'permanent'): void {
    this.attempts.inc(outcome);
  }

  countDelivery(outcome: 'delivered' | 'dead-lettered' | 'skipped' | 'vetoed'): void {
    this.settled.inc(outcome);
  }

  /** Where the scrape-time gauges read from: the queue's pending count and the dead-letter store's size. */
  observeStores(sources: { queuePending?: () => Promise<number>; deadLetters?: () => Promise<number> }): void {
    if (sources.queuePending) this.queuePending = sources.queuePending;
    if (sources.deadLetters) this.deadLetterCount = sources.deadLetters;
  }

  /**
   * Where the config gauges read from at each scrape: the items the routing table holds, which it loaded from the
   * store at start and keeps up to date from the registry's change feed (a full reload included). A space whose
   * last item went reads 0.
   */
  observeConfig(counts: ConfigCounts): void {
    this.configCounts = counts;
  }

  /** The text exposition format for `GET /v1/metrics`. */
  expose(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private configCounts: ConfigCounts | undefined;

  private configGauge(kind: Kind, name: string, help: string): Gauge<'space'> {
    const seen = new Set<string>();
    const gauge: Gauge<'space'> = new Gauge({
      name,
      help,
      labelNames: ['space'] as const,
      registers: [this.registry],
      collect: (): void => {
        if (!this.configCounts) return;
        const counts = this.configCounts(kind);
        // A space whose last item went keeps its series, at 0.
        for (const space of seen) if (!counts.has(space)) gauge.set({ space }, 0);
        for (const [space, count] of counts) {
          gauge.set({ space }, count);
          seen.add(space);
        }
      },
    });
    return gauge;
  }
}
