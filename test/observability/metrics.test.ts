import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayMetrics } from '../../lib/observability/index.js';

/** The value of one series in the text exposition, or undefined when it is not there. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GatewayMetrics', () => {
  it('exposes the per-event counts exactly, at every scrape, without counting any twice', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    for (let i = 0; i < 3; i++) metrics.countReceived('default', 'custom');
    metrics.countReceived('other', 'http.request');
    metrics.countProcessed('default', 'custom');
    metrics.countDeliveryAttempt('retry');
    metrics.countDelivery('dead-lettered');

    const first = await metrics.expose();
    assert.equal(sample(first, 'eventgateway_events_received_total{space="default",type="custom"}'), 3);
    assert.equal(sample(first, 'eventgateway_events_received_total{space="other",type="http.request"}'), 1);
    assert.equal(sample(first, 'eventgateway_events_processed_total{space="default",type="custom"}'), 1);
    assert.equal(sample(first, 'eventgateway_delivery_attempts_total{outcome="retry"}'), 1);
    assert.equal(sample(first, 'eventgateway_deliveries_total{outcome="dead-lettered"}'), 1);

    assert.equal(sample(await metrics.expose(), 'eventgateway_events_received_total{space="default",type="custom"}'), 3);
    metrics.countReceived('default', 'custom');
    assert.equal(sample(await metrics.expose(), 'eventgateway_events_received_total{space="default",type="custom"}'), 4);
  });

  it('adds the buffered counts to what the counters were given directly', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    metrics.eventsReceived.inc({ space: 'default', type: 'custom' }, 2);
    metrics.countReceived('default', 'custom');
    const values = (await metrics.eventsReceived.get()).values;
    assert.deepEqual(values.map((v) => [v.labels, v.value]), [[{ space: 'default', type: 'custom' }, 3]]);
  });

  it('exposes the events API requests in flight', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    metrics.intake.requestsInFlight = 5;
    assert.equal(sample(await metrics.expose(), 'eventgateway_events_api_requests_in_flight'), 5);
  });

  it('counts unrouted events per space and event type, at most 1000 types per space, the rest as (other)', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    for (let i = 0; i < 1000; i++) metrics.countUnrouted('', `type-${i}`);
    metrics.countUnrouted('', 'type-0');
    metrics.countUnrouted('', 'one-too-many');
    metrics.countUnrouted('', 'and-another');
    metrics.countUnrouted('default', 'user.created');
    const text = await metrics.expose();
    assert.equal(sample(text, 'eventgateway_events_unrouted_total{space="",event_type="type-0"}'), 2);
    assert.equal(sample(text, 'eventgateway_events_unrouted_total{space="",event_type="one-too-many"}'), undefined);
    assert.equal(sample(text, 'eventgateway_events_unrouted_total{space="",event_type="(other)"}'), 2);
    assert.equal(sample(text, 'eventgateway_events_unrouted_total{space="default",event_type="user.created"}'), 1);
  });

  it('leaves out the process gauges named like counters, and keeps their labelled versions', async () => {
    const text = await new GatewayMetrics().expose();
    for (const name of ['nodejs_active_handles', 'nodejs_active_requests', 'nodejs_active_resources']) {
      assert.doesNotMatch(text, new RegExp(`^# TYPE ${name}_total `, 'm'));
      assert.match(text, new RegExp(`^# TYPE ${name} gauge$`, 'm'));
    }
  });
});
