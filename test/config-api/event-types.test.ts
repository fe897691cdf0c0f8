import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayForSuite } from '../helpers/gateway-suite.js';
import { call, errorMessage } from '../helpers/http.js';

describe('config API: event types (docs/compatibility.md#event-types)', () => {
  const api = gatewayForSuite();

  it('creates an event type with the space from the URL, not the body (item 19)', async () => {
    const res = await call(api.url, 'POST', '/v1/spaces/default/eventtypes', { name: 'test.event', space: 'test1' });
    assert.equal(res.status, 201);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.equal(res.text, '{"space":"default","name":"test.event"}\n');
  });

  it('refuses a second create with 409 (item 19)', async () => {
    const res = await call(api.url, 'POST', '/v1/spaces/default/eventtypes', { name: 'test.event' });
    assert.equal(res.status, 409);
    assert.equal(errorMessage(res), 'Event Type "test.event" already exists.');
  });

  it('answers a truncated body with the decoder message (item 19)', async () => {
    const res = await call(api.url, 'POST', '/v1/spaces/default/eventtypes', '{');
    assert.equal(res.status, 400);
    assert.equal(errorMessage(res), 'Event Type doesn\'t validate. Validation error: unexpected EOF');
  });

  it('answers an empty body with EOF', async () => {
    const res = await call(api.url, 'POST', '/v1/spaces/default/eventtypes', '');
    assert.equal(res.status, 400);
    assert.equal(errorMessage(res), 'Event Type doesn\'t validate. Validation error: EOF');
  });

  it('requires a name (item 33)', async () => {
    const res = await call(api.url, 'POST', '/v1/spaces/default/eventtypes', {});
    assert.equal(res.status, 400);
    assert.match(errorMessage(res), /^Event Type doesn't validate\. Validation error: .*Key: 'Type\.Name' Error:Field validation for 'Name' failed on the 'required' tag/s);
  });

  it('gets an event type, and 404s a missing one (item 17)', async () => {
    const ok = await call(api.url, 'GET', '/v1/spaces/default/eventtypes/test.event');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json(), { space: 'default', name: 'test.event' });
    const missing = await call(api.url, 'GET', '/v1/spaces/default/eventtypes/nope.event');
    assert.equal(missing.status, 404);
    assert.equal(errorMessage(missing), 'Event Type "nope.event" not found.');
  });

  it('refuses an unknown authorizer with 400 on create (Q1 fixed) and on update (item 20)', async () => {
    const created = await call(api.url, 'POST', '/v1/spaces/default/eventtypes', { name: 'guarded', authorizerId: 'nope' });
    assert.equal(created.status, 400);
    assert.equal(errorMessage(created), "Authorizer function doesn't exists.");
    const updated = await call(api.url, 'PUT', '/v1/spaces/default/eventtypes/test.event', { authorizerId: 'nope' });
    assert.equal(updated.status, 400);
    assert.equal(errorMessage(updated), "Authorizer function doesn't exists.");
  });

  it('treats an empty authorizerId as present and a null one as absent', async () => {
    const empty = await call(api.url, 'POST', '/v1/spaces/default/eventtypes', { name: 'e1', authorizerId: '' });
    assert.equal(empty.status, 400);
    const nulled = await call(api.url, 'POST', '/v1/spaces/default/eventtypes', { name: 'e1', authorizerId: null });
    assert.equal(nulled.status, 201);
    assert.deepEqual(nulled.json(), { space: 'default', name: 'e1' });
  });

  it('updates with the name from the URL, replacing metadata and authorizer (item 20)', async () => {
    await call(api.url, 'POST', '/v1/spaces/default/functions', { functionId: 'auth', type: 'http', provider: { url: 'http://127.0.0.1:9/' } });
    const withAuth = await call(api.url, 'PUT', '/v1/spaces/default/eventtypes/test.event', { name: 'ignored', authorizerId: 'auth', metadata: { k: 'v' } });
    assert.equal(withAuth.status, 200);
    assert.equal(withAuth.text, '{"space":"default","name":"test.event","authorizerId":"auth","metadata":{"k":"v"}}\n');
    const cleared = await call(api.url, 'PUT', '/v1/spaces/default/eventtypes/test.event', {});
    assert.equal(cleared.status, 200);
    assert.deepEqual(cleared.json(), { space: 'default', name: 'test.event' });
  });

  it('404s an update of a missing event type and 400s a malformed one (item 20)', async () => {
    const missing = await call(api.url, 'PUT', '/v1/spaces/default/eventtypes/missing.event', {});
    assert.equal(missing.status, 404);
    assert.equal(errorMessage(missing), 'Event Type "missing.event" not found.');
    const malformed = await call(api.url, 'PUT', '/v1/spaces/default/eventtypes/test.event', '{');
    assert.equal(malformed.status, 400);
    assert.equal(errorMessage(malformed), "Event Type doesn't validate. Validation error: unexpected EOF");
  });

  it('refuses to delete an event type in use, deletes it once free, then 404s (item 21)', async () => {
    await call(api.url, 'POST', '/v1/spaces/default/functions', { functionId: 'sink', type: 'http', provider: { url: 'http://127.0.0.1:9/' } });
    const sub = await call(api.url, 'POST', '/v1/spaces/default/subscriptions', { type: 'async', eventType: 'test.event', functionId: 'sink' });
    assert.equal(sub.status, 201);
    const refused = await call(api.url, 'DELETE', '/v1/spaces/default/eventtypes/test.event');
    assert.equal(refused.status, 400);
    assert.equal(errorMessage(refused), 'Event type cannot be deleted because there are subscriptions using it.');
    const { subscriptionId } = sub.json<{ subscriptionId: string }>();
    assert.equal((await call(api.url, 'DELETE', `/v1/spaces/default/subscriptions/${subscriptionId}`)).status, 204);
    const deleted = await call(api.url, 'DELETE', '/v1/spaces/default/eventtypes/test.event');
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    const again = await call(api.url, 'DELETE', '/v1/spaces/default/eventtypes/test.event');
    assert.equal(again.status, 404);
    assert.equal(errorMessage(again), 'Event Type "test.event" not found.');
  });

  it('lists in descending name order and filters on metadata (item 18)', async () => {
    for (const [name, metadata] of [['a.one', { key1: 'val1' }], ['c.three', { key1: 'val1', key2: 'x' }], ['b.two', { key1: 'other' }]] as const) {
      assert.equal((await call(api.url, 'POST', '/v1/spaces/listing/eventtypes', { name, metadata })).status, 201);
    }
    const all = await call(api.url, 'GET', '/v1/spaces/listing/eventtypes');
    assert.equal(all.status, 200);
    assert.deepEqual(all.json<{ eventTypes: Array<{ name: string }> }>().eventTypes.map((t) => t.name), ['c.three', 'b.two', 'a.one']);
    const filtered = await call(api.url, 'GET', '/v1/spaces/listing/eventtypes?metadata.key1=val1&other=ignored');
    assert.deepEqual(filtered.json<{ eventTypes: Array<{ name: string }> }>().eventTypes.map((t) => t.name), ['c.three', 'a.one']);
    const both = await call(api.url, 'GET', '/v1/spaces/listing/eventtypes?metadata.key1=val1&metadata.key2=x&metadata.key1=zzz');
    assert.deepEqual(both.json<{ eventTypes: Array<{ name: string }> }>().eventTypes.map((t) => t.name), ['c.three']);
    const empty = await call(api.url, 'GET', '/v1/spaces/nothing-here/eventtypes');
    assert.equal(empty.text, '{"eventTypes":[]}\n');
  });

  it('enforces the space rules on create only', async () => {
    const short = await call(api.url, 'POST', '/v1/spaces/ab/eventtypes', { name: 'x' });
    assert.equal(short.status, 400);
    assert.match(errorMessage(short), /^Event Type doesn't validate\. Validation error: Key: 'Type\.Space'/);
    const list = await call(api.url, 'GET', '/v1/spaces/ab/eventtypes');
    assert.equal(list.status, 200);
    const get = await call(api.url, 'GET', '/v1/spaces/ab/eventtypes/x');
    assert.equal(get.status, 404);
  });
});
