import { randomUUID } from 'node:crypto';
import {
  SystemEventTypes,
  systemEvent,
  type CloudEventsVersion,
  type GatewayEvent,
  type JsonValue,
  type SystemEventType,
} from '../core/cloudevents/index.js';
import type { Subscription } from '../core/model/types.js';
import type { RoutingTable } from '../core/routing/index.js';
import type { HookRunner } from '../hooks/index.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { QueueFullError, type DeliveryQueue, type NewDeliveryItem } from '../ports/delivery-queue.js';

export interface SystemEventsOptions {
  queue: DeliveryQueue;
  hooks: HookRunner;
  metrics: GatewayMetrics;
  logger?: Logger;
  /** Spec version of gateway-made events (`--cloudevents-version`). */
  version: CloudEventsVersion;
}

/**
 * The four system events of spec §9, with design §1's decisions: Q6 (`result` is the function's response as UTF-8
 * text, base64 when it is not valid UTF-8), Q7 (`error` is `{message}`), Q13 (scoped by space). They go to hooks
 * and to async subscriptions on `POST /` of the system event's type. An event is only built when someone listens.
 */
export class SystemEvents {
  constructor(private readonly options: SystemEventsOptions) {}

  /**
   * `eventgateway.event.received`, before routing. Runs the hooks (a sync hook may veto: throws `HookVeto`) and
   * returns the queue items for its subscribers, which the caller commits together with the request's own items.
   * Q13: subscribers in `default` and in every space that has a subscription matching the request.
   */
  async eventReceived(
    table: RoutingTable,
    matchedSpaces: ReadonlySet<string>,
    /** Built only when someone listens. */
    data: () => { path: string; event: GatewayEvent; headers: Readonly<Record<string, string>> },
  ): Promise<NewDeliveryItem[]> {
    const type = SystemEventTypes.eventReceived;
    const subscribers = table
      .matchAsync('POST', '/', type)
      .filter((s) => s.space === 'default' || matchedSpaces.has(s.space));
    if (subscribers.length === 0 && !this.options.hooks.listens(type)) return [];
    const event = systemEvent(type, data() as unknown as JsonValue, this.options.version);
    await this.options.hooks.systemEvent(type, event, true);
    return this.items(subscribers, type, event);
  }

  /** `eventgateway.function.invoking`, before every invocation of a non-system event. A sync hook may veto. */
  functionInvoking(table: RoutingTable, space: string, functionId: string, event: GatewayEvent): Promise<void> {
    return this.emit(table, SystemEventTypes.functionInvoking, space, { space, functionId, event }, true);
  }

  functionInvoked(table: RoutingTable, space: string, functionId: string, event: GatewayEvent, result: Buffer): Promise<void> {
    return this.emit(table, SystemEventTypes.functionInvoked, space, { space, functionId, event, result: resultText(result) }, false);
  }

  functionInvocationFailed(table: RoutingTable, space: string, functionId: string, event: GatewayEvent, message: string): Promise<void> {
    return this.emit(table, SystemEventTypes.functionInvocationFailed, space, { space, functionId, event, error: { message } }, false);
  }

  private async emit(
    table: RoutingTable,
    type: SystemEventType,
    space: string,
    data: Record<string, unknown>,
    vetoable: boolean,
  ): Promise<void> {
    this.options.metrics.eventsReceived.inc({ space, type });
    const subscribers = table.matchAsync('POST', '/', type).filter((s) => s.space === space);
    if (subscribers.length === 0 && !this.options.hooks.listens(type)) return;
    const event = systemEvent(type, data as unknown as JsonValue, this.options.version);
    await this.options.hooks.systemEvent(type, event, vetoable);
    const items = this.items(subscribers, type, event);
    if (items.length === 0) return;
    try {
      await this.options.queue.enqueue(items);
    } catch (error) {
      // Back-pressure applies to clients' events; a system event that finds the queue full is logged, not retried.
      if (!(error instanceof QueueFullError)) throw error;
      this.options.logger?.warn({ type, space, pending: error.pending }, 'system event not queued: delivery queue full');
    }
  }

  private items(subscribers: readonly Subscription[], type: string, event: GatewayEvent): NewDeliveryItem[] {
    if (subscribers.length === 0) return [];
    const json = JSON.stringify(event);
    const acceptedAt = Date.now();
    return subscribers.map((s) => ({
      id: randomUUID(),
      space: s.space,
      subscriptionId: s.subscriptionId,
      functionId: s.functionId,
      eventType: type,
      event: json,
      system: true,
      acceptedAt,
    }));
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Q6: the function's response as text, or base64 when it is not valid UTF-8. */
function resultText(result: Buffer): string {
  try {
    return utf8.decode(result);
  } catch {
    return result.toString('base64');
  }
}
