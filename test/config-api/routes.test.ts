import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ConfigService, createConfigApi } from '../../lib/config-api/index.js';
import { nodeConfigListener } from '../../lib/config-api/adapters/index.js';
import { GatewayMetrics } from '../../lib/observability/index.js';
import type { Registry } from '../../lib/ports/registry.js';
import { gatewayForSuite } from '../helpers/gateway-suite.js';
import { call, errorMessage, http } from '../helpers/http.js';

describe('config API: routes, health, metrics and bad input (docs/compatibility.md#routes, #conventions, #metrics)', () => {
  const api = gatewayForSuite();

  it('answers GET /v1/status with 200 and an empty body', async () => {
    const res = await http(api.url, '/v1/status');
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
  });

  it('answers unknown paths with the plain-text 404', async () => {
    const res = await http(api.url, '/v1/nothing');
    assert.equal(res.status, 404);
    assert.equal(res.text, '404 page not found\n');
    assert.match(String(res.headers['content-type']), /^text\/plain/);
  });

  it('answers a known path with another method with the plain-text 405 and no Allow header', async () => {
    for (const method of ['PATCH', 'POST', 'OPTIONS']) {
      const res = await http(api.url, '/v1/status', { method });
      assert.equal(res.status, 405, method);
      assert.equal(res.text, 'Method Not Allowed\n');
      assert.equal(res.headers.allow, undefined);
    }
  });

  it('redirects a trailing slash, wrong letter case and unclean paths to the registered route', async () => {
    const slash = await http(api.url, '/v1/status/');
    assert.equal(slash.status, 301);
    assert.equal(slash.headers.location, '/v1/status');
    const upper = await http(api.url, '/V1/Spaces/default/EventTypes?metadata.a=b');
    assert.equal(upper.status, 301);
    assert.equal(upper.headers.location, '/v1/spaces/default/eventtypes?metadata.a=b');
    const unclean = await http(api.url, '/v1//status');
    assert.equal(unclean.status, 301);
    assert.equal(unclean.headers.location, '/v1/status');
    const dots = await http(api.url, '/v1/spaces/../status');
    assert.equal(dots.status, 301);
    assert.equal(dots.headers.location, '/v1/status');
    const post = await http(api.url, '/v1/spaces/default/eventtypes/', { method: 'POST', body: '{"name":"x.y"}' });
    assert.equal(post.status, 307);
    assert.equal(post.headers.location, '/v1/spaces/default/eventtypes');
  });

  it('serves Prometheus metrics with the config metrics of docs/compatibility.md#metrics and process metrics', async () => {
    await call(api.url, 'POST', '/v1/spaces/metrics-space/eventtypes', { name: 'm.one' });
    await call(api.url, 'POST', '/v1/spaces/metrics-space/eventtypes', { name: 'm.two' });
    await call(api.url, 'DELETE', '/v1/spaces/metrics-space/eventtypes/m.two');
    await call(api.url, 'GET', '/v1/spaces/metrics-space/eventtypes');
    await call(api.url, 'POST', '/v1/spaces/metrics-space/eventtypes', '{'); // a body that does not decode is not counted
    const res = await http(api.url, '/v1/metrics');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(res.text, /^eventgateway_eventtypes_total\{space="metrics-space"\} 1$/m);
    assert.match(res.text, /^eventgateway_config_requests_total\{space="metrics-space",resource="eventtype",operation="create"\} 2$/m);
    assert.match(res.text, /^eventgateway_config_requests_total\{space="metrics-space",resource="eventtype",operation="delete"\} 1$/m);
    assert.match(res.text, /^eventgateway_config_requests_total\{space="metrics-space",resource="eventtype",operation="list"\} 1$/m);
    assert.match(res.text, /^eventgateway_config_request_duration_seconds_bucket\{le="0\.0005"\} \d+$/m);
    assert.match(res.text, /^eventgateway_config_request_duration_seconds_bucket\{le="8\.192"\} \d+$/m);
    assert.match(res.text, /^process_resident_memory_bytes \d+/m);
    for (const name of ['eventgateway_functions_total', 'eventgateway_subscriptions_total', 'eventgateway_cors_total']) {
      assert.match(res.text, new RegExp(`^# TYPE ${name} gauge$`, 'm'));
    }
  });

  it('answers every kind of bad input with a 4xx envelope, never a 500 or a dropped connection', async () => {
    const bodies = [
      '', '   ', '{', '[]', '"text"', '123', 'null', 'nul', '{"name":', '{"name":1}', '{"name":"x","metadata":{"k":1}}',
      '{"name":"x","metadata":"no"}', '\u0000\u0001\u0002', `${'['.repeat(10000)}`, `{"name":"${'x'.repeat(300)}"}`,
      '{"functionId":"f","type":"http","provider":"no"}', '{"functionId":"f","type":"http","provider":{"url":5}}',
      '{"type":"sync","eventType":"a","functionId":"f","path":5}', '{"method":["GET"],"path":"/"}',
      Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString('latin1'),
    ];
    for (const resource of ['eventtypes', 'functions', 'subscriptions', 'cors']) {
      for (const body of bodies) {
        const res = await http(api.url, `/v1/spaces/default/${resource}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        assert.ok(res.status >= 400 && res.status < 500, `${resource} ${JSON.stringify(body).slice(0, 40)} → ${res.status} ${res.text}`);
        assert.equal(typeof errorMessage(res), 'string');
      }
    }
  });

  it('rejects invalid ids and spaces with 400', async () => {
    const badSpace = await call(api.url, 'POST', '/v1/spaces/a%20b/functions', { functionId: 'f', type: 'http', provider: { url: 'http://example.com' } });
    assert.equal(badSpace.status, 400);
    const badId = await call(api.url, 'POST', '/v1/spaces/default/functions', { functionId: 'a b', type: 'http', provider: { url: 'http://example.com' } });
    assert.equal(badId.status, 400);
    assert.match(errorMessage(badId), /Function\.ID/);
    const longId = await call(api.url, 'POST', '/v1/spaces/default/functions', { functionId: 'x'.repeat(300), type: 'http', provider: { url: 'http://example.com' } });
    assert.equal(longId.status, 400);
    const badEventType = await call(api.url, 'POST', '/v1/spaces/default/subscriptions', { type: 'async', eventType: 'no spaces', functionId: 'f' });
    assert.equal(badEventType.status, 400);
  });

  it('answers a body over the limit with 413 and the envelope', async () => {
    const res = await http(api.url, '/v1/spaces/default/eventtypes', { method: 'POST', body: `{"name":"${'x'.repeat(2 * 1024 * 1024)}"}` });
    assert.equal(res.status, 413);
    assert.match(errorMessage(res), /too large/);
    assert.equal((await http(api.url, '/v1/status')).status, 200);
  });

  it('answers a malformed percent-escape with 400', async () => {
    const res = await http(api.url, '/v1/spaces/%zz/eventtypes');
    assert.equal(res.status, 400);
  });
});

describe('config API: storage failures (conformance item 17)', () => {
  let server: Server;
  let url: string;
  before(async () => {
    const failing = new Proxy({} as Registry, {
      get: () => () => Promise.reject(new Error('etcd: request timed out')),
    });
    const api = createConfigApi({ service: new ConfigService(failing), metrics: new GatewayMetrics({ processMetrics: false }) });
    server = createServer(nodeConfigListener(api));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('answers an unexpected storage error with 500 and its raw text', async () => {
    const res = await call(url, 'GET', '/v1/spaces/default/eventtypes/test.event');
    assert.equal(res.status, 500);
    assert.equal(errorMessage(res), 'etcd: request timed out');
    const list = await call(url, 'GET', '/v1/spaces/default/functions');
    assert.equal(list.status, 500);
  });
});
