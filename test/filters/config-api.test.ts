import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { deliveredEvent, INVALID_CASES, MATCH_CASES } from '../core/filter/conformance-cases.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, http } from '../helpers/http.js';

const SUBSCRIPTIONS = '/v1/spaces/default/subscriptions';
const EXPLAIN = '/v1/spaces/default/filters/test';

interface ErrorBody {
  errors: Array<{ message: string; path?: string; limit?: number }>;
}

describe('Content filters in the config API', () => {
  let gw: RunningGateway;

  before(async () => {
    gw = await startTestGateway();
    const config = new ConfigClient(gw);
    await config.eventType('order.created');
    await config.httpFunction('orders', 'http://127.0.0.1:9/');
  });
  after(() => gw?.close());

  it('stores an async subscription\'s filter and returns it as given', async () => {
    const filter = { data: { amount: [{ numeric: ['>', 100] }] } };

    const created = await call(gw.configUrl, 'POST', SUBSCRIPTIONS, { type: 'async', eventType: 'order.created', functionId: 'orders', path: '/big', filter });

    assert.equal(created.status, 201, created.text);
    const body = created.json<{ subscriptionId: string; filter?: unknown }>();
    assert.deepEqual(body.filter, filter);
    const fetched = await call(gw.configUrl, 'GET', `${SUBSCRIPTIONS}/${body.subscriptionId}`);
    assert.deepEqual(fetched.json<{ filter?: unknown }>().filter, filter);
  });

  it('omits the field when no filter is set', async () => {
    const created = await call(gw.configUrl, 'POST', SUBSCRIPTIONS, { type: 'async', eventType: 'order.created', functionId: 'orders', path: '/all' });

    assert.equal(created.status, 201, created.text);
    assert.equal('filter' in created.json<object>(), false);
  });

  it('lets a PUT change the filter, and remove it', async () => {
    const base = { type: 'async', eventType: 'order.created', functionId: 'orders', path: '/put' };
    const id = (await call(gw.configUrl, 'POST', SUBSCRIPTIONS, { ...base, filter: { data: { a: ['1'] } } })).json<{ subscriptionId: string }>().subscriptionId;

    const changed = await call(gw.configUrl, 'PUT', `${SUBSCRIPTIONS}/${id}`, { ...base, filter: { data: { a: ['2'] } } });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.json<{ filter?: unknown }>().filter, { data: { a: ['2'] } });

    const removed = await call(gw.configUrl, 'PUT', `${SUBSCRIPTIONS}/${id}`, base);
    assert.equal(removed.status, 200, removed.text);
    assert.equal('filter' in removed.json<object>(), false);
  });

  it('refuses a filter on a sync subscription with a 400 that says why', async () => {
    const res = await call(gw.configUrl, 'POST', SUBSCRIPTIONS, {
      type: 'sync', eventType: 'order.created', functionId: 'orders', method: 'GET', path: '/sync', filter: { data: { a: ['1'] } },
    });

    assert.equal(res.status, 400);
    assert.match(res.json<ErrorBody>().errors[0]!.message, /filter.*async.*sync subscription must answer every request/);
  });

  for (const c of INVALID_CASES) {
    it(`refuses the subscription, naming "${c.path}": ${c.name}`, async () => {
      const res = await call(gw.configUrl, 'POST', SUBSCRIPTIONS, { type: 'async', eventType: 'order.created', functionId: 'orders', path: '/invalid', filter: c.pattern });

      assert.equal(res.status, 400, res.text);
      const [error] = res.json<ErrorBody>().errors;
      assert.equal(error!.path, c.path);
      if (c.path !== '') assert.ok(error!.message.includes(`"${c.path}"`), error!.message);
      if (c.code !== 'invalid') assert.ok(error!.limit !== undefined && error!.message.includes(String(error!.limit)), error!.message);
    });
  }
});

describe('The explain endpoint: POST /v1/spaces/{space}/filters/test', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startTestGateway();
  });
  after(() => gw?.close());

  it('answers the whole conformance table as the table says', async () => {
    const wrong: string[] = [];
    for (const c of MATCH_CASES) {
      const res = await call(gw.configUrl, 'POST', EXPLAIN, { pattern: c.pattern, event: deliveredEvent(c.event) });
      const body = res.json<{ match: boolean; mismatches?: unknown[] }>();
      if (res.status !== 200 || body.match !== c.match || (!c.match && !(body.mismatches?.length))) {
        wrong.push(`${c.name}: ${res.status} ${res.text}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('names every failing field with what was expected and what the event has', async () => {
    const res = await call(gw.configUrl, 'POST', EXPLAIN, {
      pattern: { data: { amount: [{ numeric: ['>', 100] }], currency: ['EUR'] } },
      event: { specversion: '1.0', id: '1', source: 's', type: 't', data: { amount: 42, currency: 'EUR' } },
    });

    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { match: false, mismatches: [{ path: 'data.amount', expected: [{ numeric: ['>', 100] }], actual: 42 }] });
  });

  it('gives an invalid pattern the same 400 as a subscription would', async () => {
    for (const c of INVALID_CASES) {
      const res = await call(gw.configUrl, 'POST', EXPLAIN, { pattern: c.pattern, event: {} });
      assert.equal(res.status, 400, `${c.name}: ${res.text}`);
      const [error] = res.json<ErrorBody>().errors;
      assert.equal(error!.path, c.path, c.name);
    }
  });

  it('refuses a body without a pattern or an event', async () => {
    for (const body of ['', 'not json', '[]', '{"event": {}}', '{"pattern": {"a": ["x"]}}']) {
      const res = await http(gw.configUrl, EXPLAIN, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 400, body);
      assert.ok(res.json<ErrorBody>().errors[0]!.message.length > 0);
    }
  });
});

describe('The explain endpoint with access keys', () => {
  let gw: RunningGateway;
  const adminKey = `egk_${'A'.repeat(43)}`;
  before(async () => {
    gw = await startTestGateway({ dev: false, adminKey });
  });
  after(() => gw?.close());

  it('needs a key with access to the space, like any config call', async () => {
    const body = JSON.stringify({ pattern: { a: ['x'] }, event: { a: 'x' } });
    const headers = { 'content-type': 'application/json' };

    assert.equal((await http(gw.configUrl, EXPLAIN, { method: 'POST', body, headers })).status, 401);
    const allowed = await http(gw.configUrl, EXPLAIN, { method: 'POST', body, headers: { ...headers, authorization: `bearer ${adminKey}` } });
    assert.equal(allowed.status, 200, allowed.text);
    assert.deepEqual(allowed.json(), { match: true });
  });
});
