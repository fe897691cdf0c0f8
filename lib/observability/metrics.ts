import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Buckets `start × 2^k` for k = 0…count-1, as Prometheus' Go client `ExponentialBuckets` makes them. */
function exponentialBuckets(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => start * 2 ** k);
}

/**
 * The gateway's Prometheus metrics, with the exact names and labels of spec §10. One instance per gateway (its own
 * prom-client registry, with the Node process collectors), so several gateways can live in one process (tests).
 */
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly eventsReceived = new Counter({
    name: 'eventgateway_events_received_total',
    help: 'Total of events received.',
    labelNames: ['space', 'type'] as const,
    registers: [this.registry],
  });
  readonly eventsProcessed = new Counter({
    name: 'eventgateway_events_processed_total',
    help: 'Total of processed events.',
    labelNames: ['space', 'type'] as const,
    registers: [this.registry],
  });
  /** Stays at 0 by construction: nothing accepted is ever dropped (design §2.1). Kept for dashboards. */
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

  // Durable delivery (design §2.1–§2.3). Not in the original; named in its style.
  readonly deliveryAttempts = new Counter({
    name: 'eventgateway_delivery_attempts_total',
    help: 'Async delivery attempts by outcome: delivered, retry or permanent.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'eventgateway_deliveries_total',
    help: 'Async items settled, by how: delivered, dead-lettered, skipped (authorizer denied) or vetoed (hook).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
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

  readonly eventTypesTotal = this.configGauge('eventgateway_eventtypes_total', 'Gauge of event types count.');
  readonly functionsTotal = this.configGauge('eventgateway_functions_total', 'Gauge of functions count.');
  readonly subscriptionsTotal = this.configGauge('eventgateway_subscriptions_total', 'Gauge of subscriptions count.');
  readonly corsTotal = this.configGauge('eventgateway_cors_total', 'Gauge of CORS configurations count.');

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
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Where the scrape-time gauges read from: the queue's pending count and the dead-letter store's size. */
  observeStores(sources: { queuePending?: () => Promise<number>; deadLetters?: () => Promise<number> }): void {
    if (sources.queuePending) this.queuePending = sources.queuePending;
    if (sources.deadLetters) this.deadLetterCount = sources.deadLetters;
  }

  /** The text exposition format for `GET /v1/metrics`. */
  expose(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private configGauge(name: string, help: string) {
    return new Gauge({ name, help, labelNames: ['space'] as const, registers: [this.registry] });
  }
}
