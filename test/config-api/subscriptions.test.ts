import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayForSuite } from '../helpers/gateway-suite.js';
import { call, errorMessage } from '../helpers/http.js';

const SUBS = '/v1/spaces/default/subscriptions';

describe('config API: subscriptions (docs/compatibility.md#subscriptions, #path-conflicts)', () => {
  const api = gatewayForSuite(async ({ url }) => {
    for (const space of ['default', 'other']) {
      for (const name of ['http.request', 'user.created']) await call(url, 'POST', `/v1/spaces/${space}/eventtypes`, { name });
      for (const functionId of ['func', 'func2']) {
        await call(url, 'POST', `/v1/spaces/${space}/functions`, { functionId, type: 'http', provider: { url: 'http://127.0.0.1:9/' } });
      }
    }
  });

  it('creates a sync subscription with every field and the derived id (item 25)', async () => {
    const res = await call(api.url, 'POST', SUBS, { type: 'sync', eventType: 'http.request', functionId: 'func', method: 'GET', path: '/' });
    assert.equal(res.status, 201);
    assert.deepEqual(res.json(), {
      space: 'default', subscriptionId: 'c3luYyxodHRwLnJlcXVlc3QsJTJGLEdFVA', type: 'sync', eventType: 'http.request', functionId: 'func', path: '/', method: 'GET',
    });
  });

  it('stores an async subscription exactly as the original did', async () => {
    const res = await call(api.url, 'POST', SUBS, { type: 'async', eventType: 'user.created', functionId: 'func', path: '/', method: 'get' });
    assert.equal(res.status, 201);
    assert.equal(res.text,
      '{"space":"default","subscriptionId":"YXN5bmMsdXNlci5jcmVhdGVkLGZ1bmMsJTJGLEdFVA","type":"async","eventType":"user.created","functionId":"func","path":"/","method":"GET"}\n');
  });

  it('derives the documented example ids byte for byte and defaults path and method', async () => {
    const a = await call(api.url, 'POST', SUBS, { type: 'sync', eventType: 'http.request', functionId: 'func' });
    assert.equal(a.json<{ subscriptionId: string; path: string; method: string }>().subscriptionId, 'c3luYyxodHRwLnJlcXVlc3QsJTJGLFBPU1Q');
    assert.equal(a.json<{ path: string }>().path, '/');
    assert.equal(a.json<{ method: string }>().method, 'POST');
    const b = await call(api.url, 'POST', SUBS, { type: 'sync', eventType: 'http.request', functionId: 'func', method: 'GET', path: 'httpresponse' });
    assert.equal(b.json<{ subscriptionId: string }>().subscriptionId, 'c3luYyxodHRwLnJlcXVlc3QsJTJGaHR0cHJlc3BvbnNlLEdFVA');
    assert.equal(b.json<{ path: string }>().path, '/httpresponse');
    const c = await call(api.url, 'POST', SUBS, { type: 'sync', eventType: 'http.request', functionId: 'func', method: 'GET', path: '/users/:id' });
    assert.equal(c.json<{ subscriptionId: string }>().subscriptionId, 'c3luYyxodHRwLnJlcXVlc3QsJTJGdXNlcnMlMkY6aWQsR0VU');
  });

  it('answers duplicates with 409, also for a second sync function on the same route (items 25, 49)', async () => {
    const dup = await call(api.url, 'POST', SUBS, { type: 'sync', eventType: 'http.request', functionId: 'func', method: 'GET', path: '/' });
    assert.equal(dup.status, 409);
    assert.equal(errorMessage(dup), 'Subscription "c3luYyxodHRwLnJlcXVlc3QsJTJGLEdFVA" already exists.');
    const otherFunction = await call(api.url, 'POST', SUBS, { type: 'sync', eventType: 'http.request', functionId: 'func2', method: 'GET', path: '/' });
    assert.equal(otherFunction.status, 409);
  });

  it('checks the event type before the function (item 25)', async () => {
    const noType = await call(api.url, 'POST', SUBS, { type: 'async', eventType: 'missing.type', functionId: 'missing' });
    assert.equal(noType.status, 400);
    assert.equal(errorMessage(noType), 'Event Type "missing.type" not found.');
    const noFunction = await call(api.url, 'POST', SUBS, { type: 'async', eventType: 'user.created', functionId: 'missing' });
    assert.equal(noFunction.status, 400);
    assert.equal(errorMessage(noFunction), 'Function "missing" not found.');
  });

  it('reports sync path conflicts with the tree message (items 25, 31)', async () => {
    const root = await call(api.url, 'POST', SUBS, { type: 'sync', eventType: 'http.request', functionId: 'func', method: 'PATCH', path: '/:name' });
    assert.equal(root.status, 201);
    const conflict = await call(api.url, 'POST', SUBS, { type: 'sync', eventType: 'http.request', functionId: 'func', method: 'PATCH', path: '/:id' });
    assert.equal(conflict.status, 400);
    assert.equal(errorMessage(conflict), 'Subscription path conflict: parameter with different name ("name") already defined: for route: /:id');
    // Async subscriptions and other methods or event types do not take part.
    assert.equal((await call(api.url, 'POST', SUBS, { type: 'async', eventType: 'http.request', functionId: 'func', method: 'PATCH', path: '/:id' })).status, 201);
    assert.equal((await call(api.url, 'POST', SUBS, { type: 'sync', eventType: 'user.created', functionId: 'func', method: 'PATCH', path: '/:id' })).status, 201);
  });

  it('reproduces every conflict row of docs/compatibility.md#path-conflicts through the API (item 43)', async () => {
    const rows: Array<[string, string, string]> = [
      ['/a', '/a', 'route /a conflicts with existing route'],
      ['/:foo', '/bar', 'parameter with different name ("foo") already defined: for route: /bar'],
      ['/a', '/:id', 'static route already defined for route: /:id'],
      ['/*foo', '/*bar', 'wildcard with different name ("foo") already defined: for route: /*bar'],
      ['/*foo', '/bar', 'wildcard with different name ("foo") already defined: for route: /bar'],
      ['/*foo', '/:bar', 'wildcard with different name ("foo") already defined: for route: /:bar'],
      ['/:foo', '/*bar', 'wildcard with different name ("foo") already defined: for route: /*bar'],
      ['/a', '/*x', 'wildcard with different name ("") already defined: for route: /*x'],
    ];
    let n = 0;
    for (const [existing, added, message] of rows) {
      const eventType = `conflict.${n++}`;
      await call(api.url, 'POST', '/v1/spaces/default/eventtypes', { name: eventType });
      const first = await call(api.url, 'POST', SUBS, { type: 'sync', eventType, functionId: 'func', method: 'GET', path: existing });
      assert.equal(first.status, 201, existing);
      // The same route in the same space is a duplicate id (409), so the identical row goes through another function's async twin.
      const second = await call(api.url, 'POST', SUBS, { type: 'sync', eventType, functionId: 'func2', method: 'GET', path: added });
      if (existing === added) {
        assert.equal(second.status, 409);
        continue;
      }
      assert.equal(second.status, 400, `${existing} + ${added}`);
      assert.equal(errorMessage(second), `Subscription path conflict: ${message}`);
    }
    await call(api.url, 'POST', '/v1/spaces/default/eventtypes', { name: 'conflict.last' });
    const bad = await call(api.url, 'POST', SUBS, { type: 'sync', eventType: 'conflict.last', functionId: 'func', method: 'GET', path: '/*foo/bar' });
    assert.equal(bad.status, 400);
    assert.equal(errorMessage(bad), 'Subscription path conflict: wildcard must be the last parameter');
  });

  it('rejects a sync route that conflicts with one in another space (Q9 fixed)', async () => {
    const same = await call(api.url, 'POST', '/v1/spaces/other/subscriptions', { type: 'sync', eventType: 'http.request', functionId: 'func', method: 'GET', path: '/' });
    assert.equal(same.status, 400);
    assert.equal(errorMessage(same), 'Subscription path conflict: route / conflicts with existing route');
    const param = await call(api.url, 'POST', '/v1/spaces/other/subscriptions', { type: 'sync', eventType: 'http.request', functionId: 'func', method: 'PATCH', path: '/:other' });
    assert.equal(param.status, 400);
    assert.equal(errorMessage(param), 'Subscription path conflict: parameter with different name ("name") already defined: for route: /:other');
    const fine = await call(api.url, 'POST', '/v1/spaces/other/subscriptions', { type: 'sync', eventType: 'http.request', functionId: 'func', method: 'GET', path: '/other-space' });
    assert.equal(fine.status, 201);
  });

  it('validates the body: three required lines for {}, a method rule, and the decoder messages (item 25)', async () => {
    const empty = await call(api.url, 'POST', SUBS, {});
    assert.equal(empty.status, 400);
    const lines = errorMessage(empty).replace("Subscription doesn't validate. Validation error: ", '').split('\n');
    assert.deepEqual(lines, [
      "Key: 'Subscription.Type' Error:Field validation for 'Type' failed on the 'required' tag",
      "Key: 'Subscription.EventType' Error:Field validation for 'EventType' failed on the 'required' tag",
      "Key: 'Subscription.FunctionID' Error:Field validation for 'FunctionID' failed on the 'required' tag",
    ]);
    const truncated = await call(api.url, 'POST', SUBS, '{"name":"te');
    assert.equal(truncated.status, 400);
    assert.equal(errorMessage(truncated), "Subscription doesn't validate. Validation error: unexpected EOF");
    const method = await call(api.url, 'POST', SUBS, { type: 'async', eventType: 'user.created', functionId: 'func', method: 'CONNECT' });
    assert.equal(method.status, 400);
    assert.match(errorMessage(method), /Subscription\.Method/);
    const type = await call(api.url, 'POST', SUBS, { type: 'maybe', eventType: 'user.created', functionId: 'func' });
    assert.equal(type.status, 400);
    assert.match(errorMessage(type), /Subscription\.Type/);
  });

  it('updates only metadata and explains what cannot change (item 26)', async () => {
    const base = { type: 'async', eventType: 'user.created', functionId: 'func', path: '/', method: 'GET' };
    const id = 'YXN5bmMsdXNlci5jcmVhdGVkLGZ1bmMsJTJGLEdFVA';
    const same = await call(api.url, 'PUT', `${SUBS}/${id}`, { ...base, metadata: { team: 'a' } });
    assert.equal(same.status, 200);
    assert.deepEqual(same.json<{ metadata: unknown }>().metadata, { team: 'a' });
    const changed = await call(api.url, 'PUT', `${SUBS}/${id}`, { ...base, functionId: 'func2' });
    assert.equal(changed.status, 400);
    assert.equal(errorMessage(changed), "Invalid update. 'FunctionID' of existing subscription cannot be updated.");
    const path = await call(api.url, 'PUT', `${SUBS}/${id}`, { ...base, path: '/x' });
    assert.equal(errorMessage(path), "Invalid update. 'Path' of existing subscription cannot be updated.");
    const missing = await call(api.url, 'PUT', `${SUBS}/testid`, base);
    assert.equal(missing.status, 404);
    assert.equal(errorMessage(missing), 'Subscription "testid" not found.');
    const malformed = await call(api.url, 'PUT', `${SUBS}/${id}`, '{');
    assert.equal(malformed.status, 400);
  });

  it('accepts the retry and timeoutMs extensions, omits them when unset, and lets a PUT change them', async () => {
    const created = await call(api.url, 'POST', SUBS, { type: 'async', eventType: 'user.created', functionId: 'func2', retry: { maxAttempts: 3 }, timeoutMs: 1000 });
    assert.equal(created.status, 201);
    const body = created.json<{ subscriptionId: string; retry: unknown; timeoutMs: number }>();
    assert.deepEqual(body.retry, { maxAttempts: 3 });
    assert.equal(body.timeoutMs, 1000);
    const updated = await call(api.url, 'PUT', `${SUBS}/${body.subscriptionId}`, { type: 'async', eventType: 'user.created', functionId: 'func2' });
    assert.equal(updated.status, 200);
    assert.equal('retry' in updated.json<object>(), false);
    assert.equal('timeoutMs' in updated.json<object>(), false);
  });

  it('deletes a subscription, then 404s (item 27)', async () => {
    const id = 'YXN5bmMsdXNlci5jcmVhdGVkLGZ1bmMsJTJGLEdFVA';
    assert.equal((await call(api.url, 'GET', `${SUBS}/${id}`)).status, 200);
    assert.equal((await call(api.url, 'DELETE', `${SUBS}/${id}`)).status, 204);
    const missing = await call(api.url, 'DELETE', `${SUBS}/${id}`);
    assert.equal(missing.status, 404);
    assert.equal(errorMessage(missing), `Subscription "${id}" not found.`);
  });
});
