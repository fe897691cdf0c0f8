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
import { newItemId } from './item-id.js';

export interface SystemEventsOptions {
  queue: DeliveryQueue;
  hooks: HookRunner;
  metrics: GatewayMetrics;
  logger?: Logger;
  /** Spec version of gateway-made events (`--cloudevents-version`). */
  version: CloudEventsVersion;
}

/**
 * The four system events of docs/compatibility.md#system-events, with our decisions
 * (docs/compatibility.md#quirk-decisions): Q6 (`result` is the function's response as UTF-8 text, base64 when it is not
 * valid UTF-8), Q7 (`error` is `{message}`), Q13 (scoped by space). They go to hooks and to async subscriptions on
 * `POST /` of the system event's type. An event is only built when someone listens.
 *
 * Hot path: the `function.*` methods return `undefined` when nobody listens, so that callers await nothing then.
 */
export class SystemEvents {
  constructor(private readonly options: SystemEventsOptions) {}

  /** Whether a hook, or a subscriber in any space, listens for `type`: when not, callers can skip it altogether. */
  listens(table: RoutingTable, type: SystemEventType): boolean {
    return table.hasSystemSubscribers(type) || this.options.hooks.listens(type);
  }

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
    return this.items(table, subscribers, type, event);
  }

  /** `eventgateway.function.invoking`, before every invocation of a non-system event. A sync hook may veto. */
  functionInvoking(table: RoutingTable, space: string, functionId: string, event: () => GatewayEvent): Promise<void> | undefined {
    const type = SystemEventTypes.functionInvoking;
    return this.emit(table, type, space, () => ({ space, functionId, event: event() }), true);
  }

  functionInvoked(
    table: RoutingTable,
    space: string,
    functionId: string,
    event: () => GatewayEvent,
    result: Buffer,
  ): Promise<void> | undefined {
    const type = SystemEventTypes.functionInvoked;
    return this.emit(table, type, space, () => ({ space, functionId, event: event(), result: resultText(result) }), false);
  }

  functionInvocationFailed(
    table: RoutingTable,
    space: string,
    functionId: string,
    event: () => GatewayEvent,
    message: string,
  ): Promise<void> | undefined {
    const type = SystemEventTypes.functionInvocationFailed;
    return this.emit(table, type, space, () => ({ space, functionId, event: event(), error: { message } }), false);
  }

  /** Counts the event, and when someone listens in `space` builds it and returns its delivery. */
  private emit(
    table: RoutingTable,
    type: SystemEventType,
    space: string,
    data: () => Record<string, unknown>,
    vetoable: boolean,
  ): Promise<void> | undefined {
    this.options.metrics.countReceived(space, type);
    const subscribers = table.systemSubscribersIn(type, space);
    if (subscribers.length === 0 && !this.options.hooks.listens(type)) return undefined;
    return this.deliver(table, type, space, subscribers, data(), vetoable);
  }

  private async deliver(
    table: RoutingTable,
    type: SystemEventType,
    space: string,
    subscribers: readonly Subscription[],
    data: Record<string, unknown>,
    vetoable: boolean,
  ): Promise<void> {
    const event = systemEvent(type, data as unknown as JsonValue, this.options.version);
    await this.options.hooks.systemEvent(type, event, vetoable);
    const items = this.items(table, subscribers, type, event);
    if (items.length === 0) return;
    try {
      await this.options.queue.enqueue(items);
    } catch (error) {
      // Back-pressure applies to clients' events; a system event that finds the queue full is logged, not retried.
      if (!(error instanceof QueueFullError)) throw error;
      this.options.logger?.warn({ type, space, pending: error.pending }, 'system event not queued: delivery queue full');
    }
  }

  /** The queue items of the subscribers whose content filter (docs/filters.md), if any, lets the event through. */
  private items(table: RoutingTable, subscribers: readonly Subscription[], type: string, event: GatewayEvent): NewDeliveryItem[] {
    if (subscribers.length === 0) return [];
    const json = JSON.stringify(event);
    const acceptedAt = Date.now();
    const items: NewDeliveryItem[] = [];
    for (const s of subscribers) {
      if (!table.admits(s, event)) {
        this.options.metrics.countFiltered(s.space, s.subscriptionId);
        continue;
      }
      items.push({
        id: newItemId(acceptedAt),
        space: s.space,
        subscriptionId: s.subscriptionId,
        functionId: s.functionId,
        eventType: type,
        event: json,
        system: true,
        acceptedAt,
      });
    }
    return items;
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
