import type { GatewayEvent } from '../core/cloudevents/model.js';
import { connectionItemId, type Connection, type SourceRecord } from '../core/connections/index.js';
import type { RoutingTable } from '../core/routing/index.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { QueueFullError, type DeliveryQueue, type NewDeliveryItem } from '../ports/delivery-queue.js';
import type { EventSink, SinkResult } from './sink.js';

export interface RoutingSinkOptions {
  /** The live routing table (`LiveRoutingTable`): read at every event, so a swap applies at once. */
  routing: { readonly current: RoutingTable };
  queue: DeliveryQueue;
  metrics: GatewayMetrics;
  /** Seconds a caller waits after a full queue. @default 1 */
  retryAfterSeconds?: number;
}

/**
 * Takes an event into the async path in-process, as the events API does for `POST <path>` of the connection's event
 * type, but only for the subscriptions of the connection's space: one delivery item per subscription, committed to
 * the queue before it counts as accepted. Item ids are derived from the record's position
 * ({@link connectionItemId}), so a record read again is enqueued under the same ids (the same `webhook-id`). The path
 * is the `target` URL's when it names this gateway, else `/`. An event no subscription matches is accepted and
 * counted as unrouted, as the events API does.
 */
export class RoutingSink implements EventSink {
  private readonly retryAfterMs: number;

  constructor(private readonly options: RoutingSinkOptions) {
    this.retryAfterMs = (options.retryAfterSeconds ?? 1) * 1000;
  }

  async accept(connection: Connection, record: SourceRecord, event: GatewayEvent): Promise<SinkResult> {
    const { routing, queue, metrics } = this.options;
    const { space, connectionId, eventType } = connection;
    const subscribers = routing.current.matchAsync('POST', targetPath(connection.target), eventType).filter((s) => s.space === space);
    if (subscribers.length === 0) {
      metrics.countUnrouted(space, eventType);
      return { kind: 'accepted' };
    }
    const json = JSON.stringify(event);
    const acceptedAt = Date.now();
    const items: NewDeliveryItem[] = subscribers.map((s) => ({
      id: connectionItemId(space, connectionId, record.eventId, s.subscriptionId),
      space,
      subscriptionId: s.subscriptionId,
      functionId: s.functionId,
      eventType,
      event: json,
      system: false,
      acceptedAt,
    }));
    try {
      await queue.enqueue(items);
    } catch (error) {
      if (error instanceof QueueFullError) {
        metrics.eventsRejected.inc();
        return { kind: 'retry', reason: error.message, afterMs: this.retryAfterMs };
      }
      // The queue refuses an item it can never hold (larger than a message): no retry makes it fit.
      if (error instanceof RangeError) return { kind: 'rejected', status: 413, message: error.message };
      throw error;
    }
    for (const s of subscribers) metrics.countReceived(s.space, 'custom');
    metrics.eventsBacklog.inc(items.length);
    return { kind: 'accepted' };
  }
}

/** The path of the `target` URL (the events API path the original connector posted to), `/` when there is none. */
export function targetPath(target: string | undefined): string {
  if (!target) return '/';
  try {
    return new URL(target).pathname || '/';
  } catch {
    return '/';
  }
}
