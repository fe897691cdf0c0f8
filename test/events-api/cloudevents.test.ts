import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { errorMessage, http } from '../helpers/http.js';
import { Sink } from '../helpers/sink.js';

type Json = Record<string, unknown>;

describe('request → event over HTTP (docs/compatibility.md#request-to-event to #http-request-events, #cloudevents-10)', () => {
  let gw: RunningGateway;
  let sink: Sink;
  before(async () => {
    gw = await startTestGateway();
    sink = await Sink.start();
    const config = new ConfigClient(gw);
    await config.httpFunction('sink', sink.url);
    for (const type of ['myevent', 'user.created', 'http.request', 'order.placed']) {
      await config.eventType(type);
      await config.subscribe({ type: 'async', eventType: type, functionId: 'sink', path: '/' });
    }
  });
  after(async () => {
    await gw.close();
    await sink.close();
  });
  beforeEach(() => {
    sink.received.length = 0;
  });

  async function emit(headers: Record<string, string>, body?: string): Promise<Json> {
    const res = await http(gw.eventsUrl, '/', { method: 'POST', headers, body });
    assert.equal(res.status, 202, res.text);
    const [delivered] = await sink.waitFor(1);
    return delivered!.json as Json;
  }

  it('rejects a structured event with a bad eventTime (item 37)', async () => {
    const res = await http(gw.eventsUrl, '/', {
      method: 'POST', headers: { 'content-type': 'application/cloudevents+json' },
      body: '{"eventType":"myevent","cloudEventsVersion":"0.1","source":"/x","eventID":"1","eventTime":"nottime"}',
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(errorMessage(res), 'parsing time "\\"nottime\\"" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse "nottime\\"" as "2006"');
  });

  it('lists the three missing rules of a structured event with only eventType (item 37)', async () => {
    const res = await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: '{"eventType":"invalid"}' });
    assert.equal(res.status, 400);
    const message = errorMessage(res);
    assert.match(message, /^CloudEvent doesn't validate: /);
    assert.match(message, /CloudEventsVersion/);
    assert.match(message, /'Source'.*'uri' tag/);
    assert.match(message, /EventID/);
    assert.equal(message.split('\n').length, 3);
  });

  it('builds a binary-mode event from CE- headers (item 38)', async () => {
    const event = await emit({
      'CE-EventType': 'myevent', 'CE-EventTypeVersion': '0.1beta', 'CE-CloudEventsVersion': '0.1', 'CE-Source': 'https://example.com',
      'CE-EventID': '778d495b-a29e-46e9-a174-cb4d5a5ec6da', 'CE-SchemaURL': 'https://example.com', 'CE-X-MyExtension': 'ding', 'Content-Type': 'text/plain',
    }, 'hey there');
    assert.deepEqual(event, {
      eventType: 'myevent', eventTypeVersion: '0.1beta', cloudEventsVersion: '0.1', source: 'https://example.com',
      eventID: '778d495b-a29e-46e9-a174-cb4d5a5ec6da', schemaURL: 'https://example.com', extensions: { myextension: 'ding' },
      contentType: 'text/plain', data: Buffer.from('hey there').toString('base64'),
    });
  });

  it('rejects bad binary-mode values (item 38)', async () => {
    const base = { 'CE-EventType': 'myevent', 'CE-CloudEventsVersion': '0.1', 'CE-Source': 'https://example.com', 'CE-EventID': '1' };
    const time = await http(gw.eventsUrl, '/', { method: 'POST', headers: { ...base, 'CE-EventTime': 'nottime' } });
    assert.equal(time.status, 400);
    const source = await http(gw.eventsUrl, '/', { method: 'POST', headers: { ...base, 'CE-Source': 'NOT URI' } });
    assert.equal(source.status, 400);
    assert.match(errorMessage(source), /^CloudEvent doesn't validate: .*'uri' tag/s);
  });

  it('builds a legacy event from the Event header (item 39)', async () => {
    const event = await emit({ event: 'myevent' }, 'hey there');
    assert.equal(event.eventType, 'myevent');
    assert.equal(event.contentType, 'application/octet-stream');
    assert.equal(event.data, Buffer.from('hey there').toString('base64'));
    assert.equal(event.cloudEventsVersion, '0.1');
    assert.equal(event.source, 'https://serverless.com/event-gateway/#transformationVersion=0.1');
    assert.deepEqual(event.extensions, { eventgateway: { transformed: 'true', 'transformation-version': '0.1' } });
    assert.match(String(event.eventID), /^[0-9a-f-]{36}$/);
    assert.match(String(event.eventTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$/);
  });

  it('uses a valid CloudEvent body under a legacy header, and wraps an invalid one (item 40)', async () => {
    const valid = await emit({ event: 'myevent', 'content-type': 'application/json' },
      '{"eventType":"user.created","cloudEventsVersion":"0.1","source":"/users","eventID":"42","data":{"a":1}}');
    assert.equal(valid.eventType, 'user.created');
    assert.equal(valid.eventID, '42');
    sink.received.length = 0;
    const wrapped = await emit({ event: 'user.created', 'content-type': 'application/json' }, '{"eventType":"user.created"}');
    assert.equal(wrapped.eventType, 'user.created');
    assert.deepEqual(wrapped.data, { eventType: 'user.created' });
  });

  it('wraps a plain request as http.request (item 41)', async () => {
    const res = await http(gw.eventsUrl, '/?a=1&a=2&b=x+y', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: '{"key":"value"}' });
    assert.equal(res.status, 202);
    const [delivered] = await sink.waitFor(1);
    const event = delivered!.json as { eventType: string; contentType: string; data: Json };
    assert.equal(event.eventType, 'http.request');
    assert.equal(event.contentType, 'application/json');
    assert.deepEqual(event.data.body, { key: 'value' });
    assert.deepEqual(event.data.query, { a: ['1', '2'], b: ['x y'] });
    const headers = event.data.headers as Record<string, string>;
    assert.equal(headers['Content-Type'], 'application/json');
    assert.equal(headers['X-Api-Key'], 'k');
    assert.equal(headers.Host, undefined);
    assert.match(String(event.data.host), /^127\.0\.0\.1:\d+$/);
    assert.equal(event.data.method, 'POST');
    assert.equal(event.data.path, '/');
    assert.equal(event.data.params, null);
  });

  it('normalises bodies by media type, comparing the parsed type (item 42, Q5 decision)', async () => {
    const cases: Array<[string, string, unknown]> = [
      ['application/octet-stream', 'raw', Buffer.from('raw').toString('base64')],
      ['application/x-www-form-urlencoded', 'a=1&b=2', 'a=1&b=2'],
      ['multipart/form-data; boundary=xyz', '--xyz--', '--xyz--'],
      ['application/json', '{"k":"v"}', { k: 'v' }],
      ['application/json; charset=utf-8', '{"k":"v"}', { k: 'v' }],
      ['application/vnd.api+json', '{"k":"v"}', { k: 'v' }],
      ['application/json', '[1,2]', Buffer.from('[1,2]').toString('base64')],
      ['text/plain', 'hi', Buffer.from('hi').toString('base64')],
    ];
    for (const [contentType, body, expected] of cases) {
      sink.received.length = 0;
      const event = await emit({ event: 'myevent', 'content-type': contentType }, body);
      assert.deepEqual(event.data, expected, contentType);
    }
  });

  it('answers a malformed Content-Type with 400 and the parser message, for plain requests too', async () => {
    const res = await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'text/' }, body: 'x' });
    assert.equal(res.status, 400);
    assert.equal(errorMessage(res), 'mime: expected token after slash');
  });

  describe('CloudEvents 1.0', () => {
    it('delivers a structured 1.0 event as structured 1.0 JSON', async () => {
      const sent = { specversion: '1.0', id: 'a1', source: '/orders', type: 'order.placed', datacontenttype: 'application/json', data: { total: 3 }, tenant: 'acme' };
      const res = await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(sent) });
      assert.equal(res.status, 202);
      const [delivered] = await sink.waitFor(1);
      assert.equal(delivered!.headers['content-type'], 'application/cloudevents+json');
      assert.deepEqual(delivered!.json, sent);
    });

    it('builds a 1.0 event from ce- headers (binary mode)', async () => {
      const event = await emit({ 'ce-specversion': '1.0', 'ce-id': 'b1', 'ce-source': '/orders', 'ce-type': 'order.placed', 'ce-tenant': 'acme', 'content-type': 'application/json' }, '{"total":4}');
      assert.deepEqual(event, { specversion: '1.0', id: 'b1', source: '/orders', type: 'order.placed', datacontenttype: 'application/json', tenant: 'acme', data: { total: 4 } });
    });

    it('fans a batch out to async subscribers and answers 202', async () => {
      const batch = [
        { specversion: '1.0', id: 'c1', source: '/orders', type: 'order.placed', data: 1 },
        { specversion: '1.0', id: 'c2', source: '/orders', type: 'order.placed', data: 2 },
      ];
      const res = await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(batch) });
      assert.equal(res.status, 202);
      await sink.waitFor(2);
      assert.deepEqual(sink.events<{ id: string }>().map((e) => e.id).sort(), ['c1', 'c2']);
    });

    it('rejects a whole batch when one member is invalid, and delivers nothing', async () => {
      const batch = [
        { specversion: '1.0', id: 'd1', source: '/orders', type: 'order.placed' },
        { specversion: '1.0', source: '/orders', type: 'order.placed' },
      ];
      const res = await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(batch) });
      assert.equal(res.status, 400);
      assert.match(errorMessage(res), /batch\[1\]/);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(sink.received.length, 0);
    });

    it('rejects invalid 1.0 events in every mode', async () => {
      const structured = await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: '{"specversion":"1.0","id":"x","type":"t"}' });
      assert.equal(structured.status, 400);
      assert.match(errorMessage(structured), /source/);
      const binary = await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'ce-specversion': '1.0', 'ce-source': '/s', 'ce-type': 't' } });
      assert.equal(binary.status, 400);
      assert.match(errorMessage(binary), /id/);
      const notArray = await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: '{}' });
      assert.equal(notArray.status, 400);
      const tooMany = Array.from({ length: 101 }, (_, i) => ({ specversion: '1.0', id: String(i), source: '/s', type: 'order.placed' }));
      const big = await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify(tooMany) });
      assert.equal(big.status, 413);
    });
  });
});

describe('CloudEvents 1.0 for gateway-made events and authorization (docs/compatibility.md#cloudevents-10)', () => {
  let gw: RunningGateway;
  let sink: Sink;
  let authorizer: Sink;
  before(async () => {
    gw = await startTestGateway({ cloudEventsVersion: '1.0' });
    sink = await Sink.start();
    authorizer = await Sink.start({ body: '{"authorization":{"principalId":"p1","context":{"role":"admin"}}}' });
    const config = new ConfigClient(gw);
    await config.httpFunction('sink', sink.url);
    await config.httpFunction('auth', authorizer.url);
    await config.eventType('http.request');
    await config.eventType('order.placed', { authorizerId: 'auth' });
    await config.subscribe({ type: 'async', eventType: 'http.request', functionId: 'sink', path: '/' });
    await config.subscribe({ type: 'async', eventType: 'order.placed', functionId: 'sink', path: '/' });
  });
  after(async () => {
    await gw.close();
    await sink.close();
    await authorizer.close();
  });

  it('makes http.request a 1.0 event with the eg* extensions under --cloudevents-version 1.0', async () => {
    assert.equal((await http(gw.eventsUrl, '/?q=1', { method: 'POST', body: 'x' })).status, 202);
    const [delivered] = await sink.waitFor(1);
    const event = delivered!.json as Json;
    assert.equal(event.specversion, '1.0');
    assert.equal(event.type, 'http.request');
    assert.equal(event.egtransformed, 'true');
    assert.equal(event.egtransformversion, '0.1');
    assert.equal((event.data as Json).method, 'POST');
  });

  it('adds the authorizer\'s answer as the egauthorization extension', async () => {
    sink.received.length = 0;
    const body = JSON.stringify({ specversion: '1.0', id: 'o1', source: '/orders', type: 'order.placed', data: {} });
    assert.equal((await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body })).status, 202);
    const [delivered] = await sink.waitFor(1);
    const event = delivered!.json as Json;
    assert.deepEqual(JSON.parse(String(event.egauthorization)), { principalId: 'p1', context: { role: 'admin' } });
  });
});
