import { Counter, Gauge, Registry } from 'prom-client';

type Labels = 'space' | 'connectionID';

/**
 * Metrics of the source connectors. The first two keep the original connector's names and labels
 * (`eventgateway_connector_processed_total` and `eventgateway_connector_processed_bytes`, labelled `space` and
 * `connectionID`); the others are ours.
 */
export class ConnectorMetrics {
  /** Records the gateway durably accepted (the original's counter). */
  readonly processed: Counter<Labels>;
  /** Payload bytes of those records (the original's counter; it has no `_total` suffix there either). */
  readonly processedBytes: Counter<Labels>;
  /** Failures: `source` (reading or acknowledging), `gateway` (an answer to retry: 429, 5xx, unreachable). */
  readonly errors: Counter<Labels | 'reason'>;
  /** Records the gateway refused for good, kept as dead letters of the connection. */
  readonly deadLetters: Counter<Labels>;
  /** How far a shard or queue is behind, where the source says (Kinesis `MillisBehindLatest`, record ages). */
  readonly lagSeconds: Gauge<Labels | 'shard'>;
  /** Pollers running now. */
  readonly pollers: Gauge;
  private readonly lagShards = new Map<string, Set<string>>();

  constructor(registry: Registry) {
    const registers = [registry];
    const perConnection = (name: string, help: string) => new Counter({ name, help, labelNames: ['space', 'connectionID'] as const, registers });
    this.processed = perConnection('eventgateway_connector_processed_total', 'Total of processed messages.');
    this.processedBytes = perConnection('eventgateway_connector_processed_bytes', 'Total of processed bytes.');
    this.errors = new Counter({
      name: 'eventgateway_connector_errors_total',
      help: 'Errors of source connectors, by reason (source: reading or acknowledging; gateway: an answer to retry).',
      labelNames: ['space', 'connectionID', 'reason'],
      registers,
    });
    this.deadLetters = perConnection('eventgateway_connector_dead_letters_total', 'Records the gateway refused for good, kept as dead letters of their connection.');
    this.lagSeconds = new Gauge({
      name: 'eventgateway_connector_lag_seconds',
      help: 'How far behind the newest record a shard or queue is read, where the source reports it.',
      labelNames: ['space', 'connectionID', 'shard'],
      registers,
    });
    this.pollers = new Gauge({ name: 'eventgateway_connector_pollers', help: 'Source pollers running.', registers });
  }

  /** Counts one failure of a connection. */
  error(space: string, connectionId: string, reason: 'source' | 'gateway'): void {
    this.errors.inc({ space, connectionID: connectionId, reason });
  }

  /** Sets how far behind a shard (or queue) is read. */
  lag(space: string, connectionId: string, shard: string, seconds: number): void {
    const key = `${space}\n${connectionId}`;
    let shards = this.lagShards.get(key);
    if (!shards) this.lagShards.set(key, (shards = new Set()));
    shards.add(shard);
    this.lagSeconds.set({ space, connectionID: connectionId, shard }, Math.max(0, seconds));
  }

  /** Drops the series of a connection that was deleted. */
  forget(space: string, connectionId: string): void {
    const labels = { space, connectionID: connectionId };
    for (const metric of [this.processed, this.processedBytes, this.deadLetters]) metric.remove(labels);
    for (const reason of ['source', 'gateway']) this.errors.remove({ ...labels, reason });
    const key = `${space}\n${connectionId}`;
    for (const shard of this.lagShards.get(key) ?? []) this.lagSeconds.remove({ ...labels, shard });
    this.lagShards.delete(key);
  }
}
