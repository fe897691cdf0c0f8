import { setTimeout as sleep } from 'node:timers/promises';
import type { CloudEventsVersion, GatewayEvent } from '../core/cloudevents/model.js';
import { connectionEvent, type Connection, type SourceRecord } from '../core/connections/index.js';
import type { Logger } from '../observability/logger.js';
import type { ConnectorMetrics } from './metrics.js';
import type { EventSink } from './sink.js';

/** Keeps a record the gateway refused for good, with its connection's id (visible through the dead-letter API). */
export interface ConnectionDeadLetters {
  put(connection: Connection, record: SourceRecord, event: GatewayEvent, error: { message: string; status?: number }): Promise<void>;
}

export interface IntakeOptions {
  sink: EventSink;
  deadLetters: ConnectionDeadLetters;
  metrics: ConnectorMetrics;
  logger: Logger;
  /** Spec version of the events made from records (`--cloudevents-version`). @default '0.1' */
  cloudEventsVersion?: CloudEventsVersion;
  /** First wait before offering an event again; doubles up to {@link IntakeOptions.maxBackoffMs}. @default 200 */
  minBackoffMs?: number;
  /** @default 30000 */
  maxBackoffMs?: number;
}

/**
 * Turns records into events and has each durably accepted, or kept as a dead letter, before resolving: only then may
 * a poller acknowledge, checkpoint or delete the records. A refusal to retry (429 and the like) is waited out,
 * however long it lasts; no record is ever skipped. Rejects only when `signal` aborts (the poller is stopping), and
 * then the poller must acknowledge nothing of the batch.
 */
export class RecordIntake {
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(private readonly options: IntakeOptions) {
    this.minBackoffMs = options.minBackoffMs ?? 200;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
  }

  /** Every record accepted or dead-lettered, in parallel. */
  async handle(connection: Connection, records: readonly SourceRecord[], signal: AbortSignal): Promise<void> {
    await Promise.all(records.map((record) => this.handleOne(connection, record, signal)));
  }

  private async handleOne(connection: Connection, record: SourceRecord, signal: AbortSignal): Promise<void> {
    const { sink, deadLetters, metrics, logger } = this.options;
    const labels = { space: connection.space, connectionID: connection.connectionId };
    const event = connectionEvent(connection.eventType, record, this.options.cloudEventsVersion ?? '0.1');
    let backoff = this.minBackoffMs;
    for (;;) {
      signal.throwIfAborted();
      let waitMs: number;
      try {
        const result = await sink.accept(connection, record, event, signal);
        if (result.kind === 'accepted') {
          metrics.processed.inc(labels);
          metrics.processedBytes.inc(labels, record.data.byteLength);
          return;
        }
        if (result.kind === 'rejected') {
          await deadLetters.put(connection, record, event, { message: result.message, status: result.status });
          metrics.deadLetters.inc(labels);
          logger.warn({ ...labels, eventId: record.eventId, status: result.status, err: result.message }, 'record refused by the gateway; kept as a dead letter');
          return;
        }
        metrics.error(connection.space, connection.connectionId, 'gateway');
        if (logger.isLevelEnabled('debug')) logger.debug({ ...labels, eventId: record.eventId, reason: result.reason }, 'gateway busy; offering the record again');
        // A Retry-After of 0 still waits the shortest back-off: never a busy loop against a full gateway.
        waitMs = Math.max(result.afterMs ?? backoff, this.minBackoffMs);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        metrics.error(connection.space, connection.connectionId, 'gateway');
        logger.warn({ ...labels, eventId: record.eventId, err: error }, 'taking a record in failed; retrying');
        waitMs = backoff;
      }
      backoff = Math.min(backoff * 2, this.maxBackoffMs);
      await sleep(Math.min(waitMs, this.maxBackoffMs), undefined, { signal });
    }
  }
}
