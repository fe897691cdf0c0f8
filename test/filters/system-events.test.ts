import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { http } from '../helpers/http.js';
import { Sink } from '../helpers/sink.js';

/**
 * A filter on a subscription to a system event: `eventgateway.function.invoked` carries the function's id in
 * `data.functionId`; a subscriber filtering on one function gets that function's events only, and the others are
 * counted as held back.
 */
describe('Content filters on system event subscriptions', () => {
  let gw: RunningGateway;
  let functions: Sink;
  let observer: Sink;
  let subscriptionId: string;

  before(async () => {
    gw = await startTestGateway();
    functions = await Sink.start({ body: '{"statusCode":200,"body":"ok"}' });
    observer = await Sink.start();
    const config = new ConfigClient(gw);
    await config.eventType('http.request');
    await config.eventType('eventgateway.function.invoked');
    await config.httpFunction('wanted', functions.url);
    await config.httpFunction('other', functions.url);
    await config.httpFunction('observer', observer.url);
    await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'wanted', method: 'GET', path: '/wanted' });
    await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'other', method: 'GET', path: '/other' });
    subscriptionId = await config.subscribe({
      type: 'async',
      eventType: 'eventgateway.function.invoked',
      functionId: 'observer',
      filter: { data: { functionId: ['wanted'] } },
    });
  });
  after(async () => {
    await gw?.close();
    await functions?.close();
    await observer?.close();
  });

  it('delivers the system events the filter lets through and counts the others', async () => {
    assert.equal((await http(gw.eventsUrl, '/other')).status, 200);
    assert.equal((await http(gw.eventsUrl, '/wanted')).status, 200);
    assert.equal((await http(gw.eventsUrl, '/other')).status, 200);

    const [delivered] = await observer.waitFor(1);
    assert.equal((delivered!.json as { data: { functionId: string } }).data.functionId, 'wanted');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(observer.received.length, 1);
    const metrics = (await http(gw.configUrl, '/v1/metrics')).text;
    const series = `eventgateway_events_filtered_total{space="default",subscription_id="${subscriptionId}"} 2`;
    assert.ok(metrics.split('\n').includes(series), `${series} in\n${metrics}`);
  });
});
