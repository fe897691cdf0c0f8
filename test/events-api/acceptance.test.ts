import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { errorMessage, http } from '../helpers/http.js';
import { Sink } from '../helpers/sink.js';

interface Event01 {
  eventType: string;
  eventID: string;
  cloudEventsVersion: string;
  source: string;
  contentType?: string;
  data: unknown;
  extensions?: { eventgateway?: Record<string, unknown> };
}

describe('events API acceptance (docs/compatibility.md#conformance-scenarios)', () => {
  let gw: RunningGateway;
  let config: ConfigClient;
  let sink: Sink;
  beforeEach(async () => {
    gw = await startTestGateway();
    config = new ConfigClient(gw);
    sink = await Sink.start();
  });
  afterEach(async () => {
    await gw.close();
    await sink.close();
  });

  it('delivers an async legacy event to its subscriber (item 1)', async () => {
    await config.eventType('smileys');
    await config.httpFunction('smileysubscriber', sink.url);
    await config.subscribe({ type: 'async', eventType: 'smileys', functionId: 'smileysubscriber', path: '/' });
    const res = await http(gw.eventsUrl, '/', { method: 'POST', headers: { event: 'smileys' }, body: '😸' });
    assert.equal(res.status, 202);
    assert.equal(res.text, '');
    const [received] = await sink.waitFor(1, 3000);
    assert.equal(received!.method, 'POST');
    assert.equal(received!.headers['content-type'], 'application/cloudevents+json');
    const event = received!.json as Event01;
    assert.equal(event.eventType, 'smileys');
    assert.equal(event.data, '8J+YuA==');
    assert.equal(typeof received!.headers['webhook-id'], 'string');
  });

  it('answers a sync http.request with the function\'s status, headers and body (item 2)', async () => {
    sink.reply = { body: JSON.stringify({ statusCode: 201, headers: { 'content-type': 'text/html' }, body: '<head></head>' }) };
    await config.eventType('http.request');
    await config.httpFunction('httpresponse', sink.url);
    await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'httpresponse', method: 'GET', path: '/httpresponse' });
    const res = await http(gw.eventsUrl, '/httpresponse');
    assert.equal(res.status, 201);
    assert.equal(res.headers['content-type'], 'text/html');
    assert.equal(res.text, '<head></head>');
    const event = sink.received[0]!.json as Event01 & { data: { path: string; method: string; params: unknown; query: unknown } };
    assert.equal(event.eventType, 'http.request');
    assert.equal(event.data.method, 'GET');
    assert.equal(event.data.path, '/httpresponse');
    assert.deepEqual(event.data.params, {});
  });

  it('answers 503 with the envelope while draining (item 3)', async () => {
    gw.drain();
    const res = await http(gw.eventsUrl, '/');
    assert.equal(res.status, 503);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.text, '{"errors":[{"message":"Service Unavailable"}]}\n');
  });

  it('answers a CORS preflight with exactly the configured headers (item 4)', async () => {
    await config.cors({ method: 'PUT', path: '/', allowedOrigins: ['http://example.com'], allowedMethods: ['PUT'], allowedHeaders: ['*'] });
    const res = await http(gw.eventsUrl, '/', {
      method: 'OPTIONS',
      headers: { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-api-key', origin: 'http://example.com' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    assert.equal(res.headers['access-control-allow-origin'], 'http://example.com');
    assert.equal(res.headers['access-control-allow-methods'], 'PUT');
    assert.equal(res.headers['access-control-allow-headers'], 'X-Api-Key');
    assert.equal(res.headers['access-control-allow-credentials'], undefined);
    assert.equal(res.headers.vary, 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
    assert.equal(sink.received.length, 0);
  });

  it('treats a preflight without a CORS config as an ordinary event', async () => {
    const res = await http(gw.eventsUrl, '/', { method: 'OPTIONS', headers: { 'access-control-request-method': 'PUT', origin: 'http://example.com' } });
    assert.equal(res.status, 202);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });

  it('adds CORS headers to an actual request and lets the function override them', async () => {
    sink.reply = { body: JSON.stringify({ statusCode: 200, headers: { 'x-from': 'fn' }, body: 'hi' }) };
    await config.cors({ method: 'GET', path: '/c', allowedOrigins: ['http://*.example.com'], allowedMethods: ['GET'] });
    await config.eventType('http.request');
    await config.httpFunction('fn', sink.url);
    await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'fn', method: 'GET', path: '/c' });
    const res = await http(gw.eventsUrl, '/c', { headers: { origin: 'http://app.example.com' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['access-control-allow-origin'], 'http://app.example.com');
    assert.equal(res.headers.vary, 'Origin');
    assert.equal(res.headers['x-from'], 'fn');
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.text, 'hi');
  });

  it('refuses client-sent system events with 400 and an empty body (item 5)', async () => {
    const res = await http(gw.eventsUrl, '/', { method: 'POST', headers: { event: 'eventgateway.something' } });
    assert.equal(res.status, 400);
    assert.equal(res.text, '');
  });

  describe('sync response mapping', () => {
    beforeEach(async () => {
      await config.eventType('http.request');
      await config.httpFunction('fn', sink.url);
      await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'fn', method: 'POST', path: '/' });
    });

    it('maps {} to 200 with an empty body (item 6)', async () => {
      sink.reply = { body: '{}' };
      const res = await http(gw.eventsUrl, '/', { method: 'POST' });
      assert.equal(res.status, 200);
      assert.equal(res.text, '');
    });

    it('applies statusCode and headers (item 7)', async () => {
      sink.reply = { body: '{"statusCode": 206, "headers": {"x-custom": "custom value"}}' };
      const res = await http(gw.eventsUrl, '/', { method: 'POST' });
      assert.equal(res.status, 206);
      assert.equal(res.headers['x-custom'], 'custom value');
    });

    it('answers a result that is not JSON with 500 malformed (item 8, Q10)', async () => {
      sink.reply = { body: 'not JSON' };
      const res = await http(gw.eventsUrl, '/', { method: 'POST' });
      assert.equal(res.status, 500);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.equal(errorMessage(res), 'HTTP response object malformed');
    });

    it('answers a statusCode out of range with 500 malformed (Q11)', async () => {
      sink.reply = { body: '{"statusCode": 1000}' };
      const res = await http(gw.eventsUrl, '/', { method: 'POST' });
      assert.equal(res.status, 500);
      assert.equal(errorMessage(res), 'HTTP response object malformed');
    });

    it('answers a function that fails with 500 (docs/compatibility.md#function-types: HTTP 500 is a failure)', async () => {
      sink.reply = { status: 500, body: '{"statusCode": 200}' };
      const res = await http(gw.eventsUrl, '/', { method: 'POST' });
      assert.equal(res.status, 500);
      assert.equal(errorMessage(res), 'Function call failed. Please check logs.');
    });

    it('passes the body of any other status through the mapping', async () => {
      sink.reply = { status: 404, body: '{"statusCode": 418, "body": "teapot"}' };
      const res = await http(gw.eventsUrl, '/', { method: 'POST' });
      assert.equal(res.status, 418);
      assert.equal(res.text, 'teapot');
    });

    it('bounds the call with the subscription\'s timeoutMs', async () => {
      await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'fn', method: 'GET', path: '/slow', timeoutMs: 200 });
      sink.reply = () => ({ body: '{}' });
      const slow = await Sink.start();
      try {
        // A target that never answers.
        const hang = await import('node:http').then(({ createServer }) => createServer(() => {}));
        await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
        const port = (hang.address() as { port: number }).port;
        await config.httpFunction('hanging', `http://127.0.0.1:${port}/`);
        await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'hanging', method: 'GET', path: '/hang', timeoutMs: 200 });
        const started = Date.now();
        const res = await http(gw.eventsUrl, '/hang');
        assert.equal(res.status, 500);
        assert.ok(Date.now() - started < 3000, 'the subscription timeout, not the 5 s default, ended the call');
        hang.closeAllConnections();
        hang.close();
      } finally {
        await slow.close();
      }
    });
  });

  describe('authorizers', () => {
    let authorizer: Sink;
    beforeEach(async () => {
      authorizer = await Sink.start();
      await config.httpFunction('authorizer', authorizer.url);
      await config.httpFunction('target', sink.url);
    });
    afterEach(() => authorizer.close());

    it('denies a sync request when the authorizer answers an empty body (item 9)', async () => {
      authorizer.reply = { body: '' };
      await config.eventType('http.request', { authorizerId: 'authorizer' });
      await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'target', method: 'POST', path: '/' });
      const res = await http(gw.eventsUrl, '/', { method: 'POST' });
      assert.equal(res.status, 403);
      assert.equal(res.text, '');
      assert.equal(sink.received.length, 0);
      const payload = authorizer.received[0]!.json as { event: Event01; request: { body: unknown; params: unknown; method: string } };
      assert.equal(payload.event.eventType, 'http.request');
      assert.equal(payload.request.body, null);
      assert.equal(payload.request.params, null);
      assert.equal(payload.request.method, 'POST');
    });

    it('denies when the authorizer answers an error (item 10)', async () => {
      authorizer.reply = { body: '{"error":{"message": "failed"}}' };
      await config.eventType('http.request', { authorizerId: 'authorizer' });
      await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'target', method: 'POST', path: '/' });
      assert.equal((await http(gw.eventsUrl, '/', { method: 'POST' })).status, 403);
    });

    it('adds the authorization to a plain request (item 11)', async () => {
      authorizer.reply = { body: '{"authorization":{"principalId": "testid"}}' };
      await config.eventType('http.request', { authorizerId: 'authorizer' });
      await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'target', method: 'POST', path: '/' });
      await http(gw.eventsUrl, '/', { method: 'POST' });
      const event = sink.received[0]!.json as Event01;
      assert.deepEqual((event.extensions?.eventgateway?.authorization as { principalId: string }).principalId, 'testid');
      assert.equal(event.extensions?.eventgateway?.transformed, 'true');
    });

    it('adds the authorization to a structured CloudEvent sent with a lower-case eventId key (item 12)', async () => {
      authorizer.reply = { body: '{"authorization":{"principalId": "testid"}}' };
      await config.eventType('test.event', { authorizerId: 'authorizer' });
      await config.subscribe({ type: 'sync', eventType: 'test.event', functionId: 'target', method: 'POST', path: '/' });
      await http(gw.eventsUrl, '/', {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: '{"eventId":"test","eventType":"test.event","eventTypeVersion":"0.1","cloudEventsVersion":"0.1","source":"/"}',
      });
      const event = sink.received[0]!.json as Event01;
      assert.equal(event.eventID, 'test');
      assert.equal((event.extensions?.eventgateway?.authorization as { principalId: string }).principalId, 'testid');
    });

    it('skips a denied async subscriber silently and delivers to an allowed one', async () => {
      authorizer.reply = (req) => ({ body: req.body.includes('"deny-me"') ? '{"error":{"message":"no"}}' : '{"authorization":{"principalId":"p","context":{"k":"v"}}}' });
      await config.eventType('user.created', { authorizerId: 'authorizer' });
      await config.subscribe({ type: 'async', eventType: 'user.created', functionId: 'target', path: '/' });
      const structured = (id: string) => http(gw.eventsUrl, '/', {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({ eventType: 'user.created', cloudEventsVersion: '0.1', source: '/test', eventID: id, data: { who: id } }),
      });
      assert.equal((await structured('deny-me')).status, 202);
      assert.equal((await structured('allow-me')).status, 202);
      await sink.waitFor(1);
      await authorizer.waitFor(2);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(sink.received.length, 1);
      const event = sink.received[0]!.json as Event01;
      assert.equal(event.eventID, 'allow-me');
      assert.deepEqual(event.extensions?.eventgateway?.authorization, { principalId: 'p', context: { k: 'v' } });
    });
  });

  it('answers 202 with an empty body when nothing is subscribed (item 44)', async () => {
    const res = await http(gw.eventsUrl, '/nothing-here', { method: 'POST', body: 'anything' });
    assert.equal(res.status, 202);
    assert.equal(res.text, '');
  });

  it('gives the client the sync response and also calls the async subscriber (item 45)', async () => {
    const asyncSink = await Sink.start();
    try {
      sink.reply = { body: '{"statusCode":200,"body":"sync"}' };
      await config.eventType('http.request');
      await config.httpFunction('syncfn', sink.url);
      await config.httpFunction('asyncfn', asyncSink.url);
      await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'syncfn', method: 'POST', path: '/both' });
      await config.subscribe({ type: 'async', eventType: 'http.request', functionId: 'asyncfn', method: 'POST', path: '/both' });
      const res = await http(gw.eventsUrl, '/both', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 200);
      assert.equal(res.text, 'sync');
      const [delivered] = await asyncSink.waitFor(1);
      const data = (delivered!.json as { data: { body: unknown; params: unknown } }).data;
      assert.deepEqual(data.body, { a: 1 });
      assert.equal(data.params, null);
    } finally {
      await asyncSink.close();
    }
  });

  it('matches async paths literally: /users/:id does not receive /users/1 (item 46)', async () => {
    await config.eventType('http.request');
    await config.httpFunction('fn', sink.url);
    await config.subscribe({ type: 'async', eventType: 'http.request', functionId: 'fn', method: 'POST', path: '/users/:id' });
    assert.equal((await http(gw.eventsUrl, '/users/1', { method: 'POST' })).status, 202);
    assert.equal((await http(gw.eventsUrl, '/users/:id', { method: 'POST' })).status, 202);
    await sink.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(sink.received.length, 1);
    assert.equal((sink.received[0]!.json as { data: { path: string } }).data.path, '/users/:id');
  });

  it('treats GET /v1/status on the events port as an event (item 47)', async () => {
    const res = await http(gw.eventsUrl, '/v1/status');
    assert.equal(res.status, 202);
  });

  it('delivers function.invoked system events to POST / subscribers (item 48, Q6)', async () => {
    const observer = await Sink.start();
    try {
      sink.reply = { body: '{"statusCode":200,"body":"done"}' };
      await config.eventType('http.request');
      await config.eventType('eventgateway.function.invoked');
      await config.httpFunction('fn', sink.url);
      await config.httpFunction('observer', observer.url);
      await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'fn', method: 'GET', path: '/work' });
      await config.subscribe({ type: 'async', eventType: 'eventgateway.function.invoked', functionId: 'observer' });
      assert.equal((await http(gw.eventsUrl, '/work')).status, 200);
      const [delivered] = await observer.waitFor(1);
      const event = delivered!.json as Event01 & { data: { space: string; functionId: string; event: Event01; result: string } };
      assert.equal(event.eventType, 'eventgateway.function.invoked');
      assert.equal(event.data.space, 'default');
      assert.equal(event.data.functionId, 'fn');
      assert.equal(event.data.event.eventType, 'http.request');
      assert.equal(event.data.result, '{"statusCode":200,"body":"done"}');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(observer.received.length, 1, 'delivering a system event emits no further system events');
    } finally {
      await observer.close();
    }
  });

  it('scopes function system events to the function\'s space (Q13)', async () => {
    const observer = await Sink.start();
    try {
      const other = new ConfigClient(gw, 'other');
      await other.eventType('eventgateway.function.invocationFailed');
      await other.httpFunction('observer', observer.url);
      await other.subscribe({ type: 'async', eventType: 'eventgateway.function.invocationFailed', functionId: 'observer' });
      await config.eventType('eventgateway.function.invocationFailed');
      await config.httpFunction('observer', observer.url);
      await config.subscribe({ type: 'async', eventType: 'eventgateway.function.invocationFailed', functionId: 'observer' });
      sink.reply = { status: 500, body: '' };
      await config.eventType('http.request');
      await config.httpFunction('fn', sink.url);
      await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'fn', method: 'GET', path: '/fail' });
      assert.equal((await http(gw.eventsUrl, '/fail')).status, 500);
      const [delivered] = await observer.waitFor(1);
      const event = delivered!.json as { data: { space: string; error: unknown } };
      assert.equal(event.data.space, 'default');
      assert.deepEqual(event.data.error, { message: 'Function call failed because of runtime error. Error: HTTP status code: 500' });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(observer.received.length, 1, 'the other space\'s subscriber got nothing');
    } finally {
      await observer.close();
    }
  });

  it('refuses a second sync subscription on the same route with 409 (item 49)', async () => {
    await config.eventType('http.request');
    await config.httpFunction('a', sink.url);
    await config.httpFunction('b', sink.url);
    await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'a', method: 'GET', path: '/x' });
    const res = await http(gw.configUrl, '/v1/spaces/default/subscriptions', {
      method: 'POST', body: JSON.stringify({ type: 'sync', eventType: 'http.request', functionId: 'b', method: 'GET', path: '/x' }),
    });
    assert.equal(res.status, 409);
  });
});
