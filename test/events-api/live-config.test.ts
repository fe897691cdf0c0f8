import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient, routed } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, http } from '../helpers/http.js';
import { Sink } from '../helpers/sink.js';

describe('config changes go live on the events API without a restart (docs/architecture.md, Q8, Q15)', () => {
  let gw: RunningGateway;
  let config: ConfigClient;
  let sink: Sink;
  before(async () => {
    gw = await startTestGateway();
    config = new ConfigClient(gw);
    sink = await Sink.start({ body: '{"statusCode":200,"body":"v1"}' });
  });
  after(async () => {
    await gw.close();
    await sink.close();
  });

  it('routes a new sync subscription at once, and stops after it is deleted', async () => {
    await config.eventType('http.request');
    await config.httpFunction('fn', sink.url);
    const id = await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'fn', method: 'GET', path: '/live' });
    assert.equal((await http(gw.eventsUrl, '/live')).text, 'v1');
    assert.equal((await call(gw.configUrl, 'DELETE', `/v1/spaces/default/subscriptions/${id}`)).status, 204);
    await routed(gw);
    assert.equal((await http(gw.eventsUrl, '/live')).status, 202);
  });

  it('follows a function update to its new URL', async () => {
    const second = await Sink.start({ body: '{"statusCode":200,"body":"v2"}' });
    try {
      await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'fn', method: 'GET', path: '/moved' });
      assert.equal((await http(gw.eventsUrl, '/moved')).text, 'v1');
      await call(gw.configUrl, 'PUT', '/v1/spaces/default/functions/fn', { type: 'http', provider: { url: second.url } });
      await routed(gw);
      assert.equal((await http(gw.eventsUrl, '/moved')).text, 'v2');
    } finally {
      await call(gw.configUrl, 'PUT', '/v1/spaces/default/functions/fn', { type: 'http', provider: { url: sink.url } });
      await routed(gw);
      await second.close();
    }
  });

  it('delivers once after an async subscription is updated (Q8: no duplicate fan-out)', async () => {
    await config.eventType('user.created');
    const body = { type: 'async', eventType: 'user.created', functionId: 'fn', path: '/dup' };
    const id = await config.subscribe(body);
    for (let i = 0; i < 3; i++) {
      assert.equal((await call(gw.configUrl, 'PUT', `/v1/spaces/default/subscriptions/${id}`, { ...body, metadata: { n: String(i) } })).status, 200);
    }
    await routed(gw);
    const before = sink.received.length;
    await http(gw.eventsUrl, '/dup', { method: 'POST', headers: { event: 'user.created' }, body: 'x' });
    await sink.waitFor(before + 1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sink.received.length, before + 1);
  });

  it('applies a CORS update at once (Q8)', async () => {
    await config.cors({ method: 'GET', path: '/cors', allowedOrigins: ['http://a.example'] });
    const first = await http(gw.eventsUrl, '/cors', { headers: { origin: 'http://b.example' } });
    assert.equal(first.headers['access-control-allow-origin'], undefined);
    await call(gw.configUrl, 'PUT', '/v1/spaces/default/cors/GET%2Fcors', { method: 'GET', path: '/cors', allowedOrigins: ['http://b.example'] });
    await routed(gw);
    const second = await http(gw.eventsUrl, '/cors', { headers: { origin: 'http://b.example' } });
    assert.equal(second.headers['access-control-allow-origin'], 'http://b.example');
  });
});
