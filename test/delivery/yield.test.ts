import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryDeliveryQueue } from '../../lib/adapters/queue/memory/index.js';
import { SqliteRegistry } from '../../lib/adapters/registry/sqlite/index.js';
import { openDatabase, type SqliteDatabase } from '../../lib/adapters/sqlite/index.js';
import { ConfigService } from '../../lib/config-api/index.js';
import { DeliveryWorkers } from '../../lib/delivery/worker.js';
import { HookRunner } from '../../lib/hooks/index.js';
import { HttpInvoker } from '../../lib/invokers/index.js';
import { createLogger } from '../../lib/observability/index.js';
import { GatewayMetrics } from '../../lib/observability/metrics.js';
import type { NewDeliveryItem } from '../../lib/ports/delivery-queue.js';
import { InvokerRegistry, LiveRoutingTable, SystemEvents } from '../../lib/dispatch/index.js';
import { Sink } from '../helpers/sink.js';

/** Keeps the event loop about 95% busy (as a saturating burst of requests would) until `until`, letting I/O in between. */
async function saturate(until: number): Promise<void> {
  while (performance.now() < until) {
    const spinUntil = Math.min(until, performance.now() + 9.5);
    while (performance.now() < spinUntil) {
      // busy, like request handling
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('delivery workers under saturating intake (bench/README.md)', () => {
  const ITEMS = 200;
  let db: SqliteDatabase;
  let sink: Sink;
  let routing: LiveRoutingTable;
  let queue: MemoryDeliveryQueue;
  let metrics: GatewayMetrics;
  let workers: DeliveryWorkers;

  before(async () => {
    sink = await Sink.start();
    db = openDatabase({ filename: ':memory:' });
    const registry = new SqliteRegistry(db);
    const config = new ConfigService(registry);
    await config.createEventType('default', JSON.stringify({ name: 'order.placed' }));
    await config.createFunction('default', JSON.stringify({ functionId: 'target', type: 'http', provider: { url: sink.url } }));
    const subscription = await config.createSubscription(
      'default',
      JSON.stringify({ type: 'async', eventType: 'order.placed', functionId: 'target', path: '/' }),
    );
    const logger = createLogger({ level: 'silent' });
    routing = await LiveRoutingTable.start(registry, logger);
    queue = new MemoryDeliveryQueue();
    metrics = new GatewayMetrics({ processMetrics: false });
    const systemEvents = new SystemEvents({ queue, hooks: new HookRunner([], logger), metrics, logger, version: '0.1' });
    const items: NewDeliveryItem[] = [];
    for (let i = 0; i < ITEMS; i++) {
      items.push({
        id: `item-${i}`,
        space: 'default',
        subscriptionId: subscription.subscriptionId,
        functionId: 'target',
        eventType: 'order.placed',
        event: JSON.stringify({ eventType: 'order.placed', cloudEventsVersion: '0.1', source: '/test', eventID: String(i), data: null }),
        system: false,
        acceptedAt: Date.now(),
      });
    }
    await queue.enqueue(items);
    metrics.eventsBacklog.inc(ITEMS);
    workers = new DeliveryWorkers({
      queue,
      routing,
      invokers: new InvokerRegistry([new HttpInvoker()]),
      systemEvents,
      metrics,
      logger,
      yieldDeliveriesPerSecond: 10,
    });
  });

  after(async () => {
    await workers.stop();
    await queue.close();
    routing.close();
    db.close();
    await sink.close();
  });

  it('trickles deliveries at yieldDeliveriesPerSecond while intake saturates the process, then delivers the backlog', async () => {
    // An events API request in flight, as during a burst (the workers read the intake gauge).
    metrics.intake.requestsInFlight = 1;
    const busyUntil = performance.now() + 1_700;
    // A first saturated window before the workers look, so that they start out yielding.
    const warm = performance.now() + 150;
    while (performance.now() < warm) {
      // busy
    }
    workers.start();
    await saturate(busyUntil);
    const duringBurst = sink.received.length;
    // 10/s for ~1.6 s is ~16; without the trickle, one delivery in flight back to back reaches far more.
    assert.ok(duringBurst >= 1, 'delivery never stops, even while yielding');
    assert.ok(duringBurst <= 30, `at most about 10 deliveries a second while yielding; got ${duringBurst}`);

    metrics.intake.requestsInFlight = 0;
    await sink.waitFor(ITEMS, 10_000);
    assert.equal(sink.received.length, ITEMS);
  });
});
