import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { errorMessage, http } from '../helpers/http.js';
import { Sink, eventually } from '../helpers/sink.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/hooks/enrich-and-guard.ts', import.meta.url));
const VETO_RECEIVED = fileURLToPath(new URL('./fixtures/veto-received.ts', import.meta.url));

describe('hooks (docs/compatibility.md#hooks): the README example', () => {
  let gw: RunningGateway;
  let sink: Sink;
  before(async () => {
    gw = await startTestGateway({ hooks: [EXAMPLE] });
    sink = await Sink.start({ body: '{"statusCode":200,"body":"ok"}' });
    const config = new ConfigClient(gw);
    await config.eventType('http.request');
    await config.httpFunction('fn', sink.url);
    await config.httpFunction('disabled-fn', sink.url);
    await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'fn', method: 'GET', path: '/admin/users' });
    await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'disabled-fn', method: 'GET', path: '/off' });
  });
  after(async () => {
    await gw.close();
    await sink.close();
  });

  it('lets beforeRoute reject a request with its own status and message', async () => {
    const res = await http(gw.eventsUrl, '/admin/users');
    assert.equal(res.status, 401);
    assert.equal(errorMessage(res), 'x-tenant header required');
    assert.equal(sink.received.length, 0);
  });

  it('lets beforeRoute transform the event the function receives', async () => {
    const res = await http(gw.eventsUrl, '/admin/users', { headers: { 'x-tenant': 'acme' } });
    assert.equal(res.status, 200);
    const event = sink.received.at(-1)!.json as { extensions: { tenant: string; eventgateway: unknown } };
    assert.equal(event.extensions.tenant, 'acme');
    assert.ok(event.extensions.eventgateway);
  });

  it('lets a sync function.invoking hook veto an invocation (500 for a sync request)', async () => {
    const before = sink.received.length;
    const res = await http(gw.eventsUrl, '/off');
    assert.equal(res.status, 500);
    assert.equal(errorMessage(res), 'Function call failed. Please check logs.');
    assert.equal(sink.received.length, before);
  });

  it('runs async hooks without blocking', async () => {
    const { invokedCount } = (await import(EXAMPLE)) as { invokedCount(): number };
    const start = invokedCount();
    await http(gw.eventsUrl, '/admin/users', { headers: { 'x-tenant': 'acme' } });
    await eventually(() => invokedCount() > start, 2000, 'async hook ran');
  });
});

describe('hooks: a sync event.received veto', () => {
  let gw: RunningGateway;
  let sink: Sink;
  before(async () => {
    gw = await startTestGateway({ hooks: [VETO_RECEIVED] });
    sink = await Sink.start();
    const config = new ConfigClient(gw);
    await config.eventType('http.request');
    await config.httpFunction('fn', sink.url);
    await config.subscribe({ type: 'async', eventType: 'http.request', functionId: 'fn', path: '/' });
  });
  after(async () => {
    await gw.close();
    await sink.close();
  });

  it('answers 200 with an empty body and routes nothing (docs/compatibility.md#status-codes)', async () => {
    const res = await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'x-veto': 'yes' } });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.equal((await http(gw.eventsUrl, '/', { method: 'POST' })).status, 202);
    await sink.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sink.received.length, 1);
  });
});
