import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient, routed } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, errorMessage, http } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { startCli, stopCli } from '../helpers/cli.js';
import { Sink, eventually } from '../helpers/sink.js';

const FAST_RETRY = { maxAttempts: 50, baseDelayMs: 50, maxDelayMs: 300 };

function emit(gw: RunningGateway, id: string, path = '/') {
  return http(gw.eventsUrl, path, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({ eventType: 'order.placed', cloudEventsVersion: '0.1', source: '/test', eventID: id, data: { id } }),
  });
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('durable async delivery (docs/compatibility.md#durable-delivery, #retries-and-timeouts, #dead-letters)', () => {
  let gw: RunningGateway;
  let config: ConfigClient;
  beforeEach(async () => {
    gw = await startTestGateway();
    config = new ConfigClient(gw);
    await config.eventType('order.placed');
  });
  afterEach(() => gw.close());

  it('delivers every accepted event after a target outage of several seconds', async () => {
    const port = await freePort();
    await config.httpFunction('down', `http://127.0.0.1:${port}/`);
    await config.subscribe({ type: 'async', eventType: 'order.placed', functionId: 'down', retry: FAST_RETRY });
    const ids = Array.from({ length: 30 }, (_, i) => `outage-${i}`);
    for (const id of ids) assert.equal((await emit(gw, id)).status, 202);
    await new Promise((r) => setTimeout(r, 2500)); // the target is down: every attempt fails
    const sink = await Sink.start(undefined, port);
    try {
      await eventually(() => new Set(sink.events<{ eventID: string }>().map((e) => e.eventID)).size === ids.length, 10_000, 'all delivered');
      assert.deepEqual([...new Set(sink.events<{ eventID: string }>().map((e) => e.eventID))].sort(), [...ids].sort());
      const metrics = (await http(gw.configUrl, '/v1/metrics')).text;
      assert.ok(metric(metrics, 'eventgateway_delivery_retries_total') > 0);
      assert.equal(metric(metrics, 'eventgateway_events_dropped_total'), 0);
    } finally {
      await sink.close();
    }
  });

  it('dead-letters a permanent failure (400) after one attempt, with its error', async () => {
    const sink = await Sink.start({ status: 400, body: 'bad' });
    try {
      await config.httpFunction('rejects', sink.url);
      const subscriptionId = await config.subscribe({ type: 'async', eventType: 'order.placed', functionId: 'rejects' });
      assert.equal((await emit(gw, 'perm-1')).status, 202);
      let listed: { deadLetters: Array<Record<string, unknown>> } = { deadLetters: [] };
      await eventually(async () => {
        listed = (await call(gw.configUrl, 'GET', '/v1/spaces/default/deadletters')).json();
        return listed.deadLetters.length === 1;
      }, 5000, 'dead letter listed');
      assert.equal(sink.received.length, 1);
      const dead = listed.deadLetters[0]!;
      assert.equal(dead.subscriptionId, subscriptionId);
      assert.equal(dead.functionId, 'rejects');
      assert.equal(dead.attempts, 1);
      assert.deepEqual(dead.lastError, { message: 'HTTP status code: 400', status: 400 });
      assert.equal((dead.event as { eventID: string }).eventID, 'perm-1');
      for (const key of ['firstAttemptAt', 'lastAttemptAt', 'deadAt']) assert.match(String(dead[key]), /^\d{4}-\d\d-\d\dT/);
      const one = await call(gw.configUrl, 'GET', `/v1/spaces/default/deadletters/${String(dead.deadLetterId)}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.json(), dead);
    } finally {
      await sink.close();
    }
  });

  it('honours Retry-After on a 503', async () => {
    let first = 0;
    const sink = await Sink.start((req) => {
      if (first === 0) {
        first = Date.now();
        return { status: 503, headers: { 'retry-after': '1' }, body: '' };
      }
      return { status: 200, body: '' };
      void req;
    });
    try {
      await config.httpFunction('busy', sink.url);
      await config.subscribe({ type: 'async', eventType: 'order.placed', functionId: 'busy', retry: { baseDelayMs: 10, maxDelayMs: 20 } });
      assert.equal((await emit(gw, 'throttled')).status, 202);
      await sink.waitFor(2, 5000);
      const gap = sink.received.length >= 2 ? Date.now() : 0;
      void gap;
      const waited = (sink as unknown as { received: Array<{ at?: number }> }).received.length;
      assert.equal(waited, 2);
      // The second attempt came no earlier than the second the target asked for.
      assert.ok(Date.now() - first >= 950, `retried after ${Date.now() - first} ms`);
      assert.equal(sink.received[0]!.headers['webhook-id'], sink.received[1]!.headers['webhook-id'], 'the same webhook-id on every attempt');
    } finally {
      await sink.close();
    }
  });

  it('redrives a dead letter once the target is fixed, with the same webhook-id', async () => {
    let healthy = false;
    const sink = await Sink.start(() => (healthy ? { status: 200 } : { status: 410, body: 'gone' }));
    try {
      await config.httpFunction('flaky', sink.url);
      const subscriptionId = await config.subscribe({ type: 'async', eventType: 'order.placed', functionId: 'flaky' });
      for (const id of ['r1', 'r2', 'r3']) assert.equal((await emit(gw, id)).status, 202);
      let listed: { deadLetters: Array<{ deadLetterId: string }> } = { deadLetters: [] };
      await eventually(async () => {
        listed = (await call(gw.configUrl, 'GET', '/v1/spaces/default/deadletters')).json();
        return listed.deadLetters.length === 3;
      }, 5000, 'three dead letters');
      healthy = true;
      const firstId = listed.deadLetters[0]!.deadLetterId;
      const one = await call(gw.configUrl, 'POST', `/v1/spaces/default/deadletters/${firstId}/redrive`);
      assert.equal(one.status, 202);
      await eventually(() => sink.received.filter((r) => r.headers['webhook-id'] === firstId).length === 2, 5000, 'redriven one delivered');
      const bulk = await call(gw.configUrl, 'POST', '/v1/spaces/default/deadletters/redrive', { subscriptionId });
      assert.equal(bulk.status, 202);
      assert.deepEqual(bulk.json(), { redriven: 2 });
      await eventually(() => sink.received.length === 6, 5000, 'all redriven delivered');
      const after = await call(gw.configUrl, 'GET', '/v1/spaces/default/deadletters');
      assert.deepEqual(after.json(), { deadLetters: [] });
      const gone = await call(gw.configUrl, 'GET', `/v1/spaces/default/deadletters/${firstId}`);
      assert.equal(gone.status, 404);
      assert.equal(errorMessage(gone), `Dead letter "${firstId}" not found.`);
    } finally {
      await sink.close();
    }
  });

  it('pages, filters and purges dead letters', async () => {
    const sink = await Sink.start({ status: 422 });
    try {
      await config.httpFunction('a', sink.url);
      await config.httpFunction('b', sink.url);
      const subA = await config.subscribe({ type: 'async', eventType: 'order.placed', functionId: 'a' });
      await config.subscribe({ type: 'async', eventType: 'order.placed', functionId: 'b' });
      for (let i = 0; i < 5; i++) await emit(gw, `p${i}`);
      await eventually(async () => (await call(gw.configUrl, 'GET', '/v1/spaces/default/deadletters?limit=1000')).json<{ deadLetters: unknown[] }>().deadLetters.length === 10, 5000, 'ten dead letters');
      const page1 = (await call(gw.configUrl, 'GET', '/v1/spaces/default/deadletters?limit=4')).json<{ deadLetters: unknown[]; nextCursor: string }>();
      assert.equal(page1.deadLetters.length, 4);
      assert.ok(page1.nextCursor);
      const page2 = (await call(gw.configUrl, 'GET', `/v1/spaces/default/deadletters?limit=4&cursor=${encodeURIComponent(page1.nextCursor)}`)).json<{ deadLetters: unknown[]; nextCursor?: string }>();
      assert.equal(page2.deadLetters.length, 4);
      const page3 = (await call(gw.configUrl, 'GET', `/v1/spaces/default/deadletters?limit=4&cursor=${encodeURIComponent(page2.nextCursor!)}`)).json<{ deadLetters: unknown[]; nextCursor?: string }>();
      assert.equal(page3.deadLetters.length, 2);
      assert.equal(page3.nextCursor, undefined);
      const onlyB = (await call(gw.configUrl, 'GET', '/v1/spaces/default/deadletters?functionId=b')).json<{ deadLetters: Array<{ functionId: string }> }>();
      assert.equal(onlyB.deadLetters.length, 5);
      assert.ok(onlyB.deadLetters.every((d) => d.functionId === 'b'));
      assert.equal((await call(gw.configUrl, 'GET', '/v1/spaces/default/deadletters?limit=0')).status, 400);
      assert.equal((await call(gw.configUrl, 'GET', '/v1/spaces/default/deadletters?cursor=garbage')).status, 400);
      assert.equal((await call(gw.configUrl, 'DELETE', '/v1/spaces/default/deadletters')).status, 400);
      const purged = await call(gw.configUrl, 'DELETE', `/v1/spaces/default/deadletters?subscriptionId=${subA}`);
      assert.equal(purged.status, 200);
      assert.deepEqual(purged.json(), { purged: 5 });
      const one = onlyB.deadLetters[0] as unknown as { deadLetterId: string };
      assert.equal((await call(gw.configUrl, 'DELETE', `/v1/spaces/default/deadletters/${one.deadLetterId}`)).status, 204);
      assert.equal((await call(gw.configUrl, 'DELETE', `/v1/spaces/default/deadletters/${one.deadLetterId}`)).status, 404);
    } finally {
      await sink.close();
    }
  });

});

describe('group commit (issue 4)', () => {
  it('commits many concurrent emits in fewer commits than requests', async () => {
    // A gateway of its own process, so the client's and the server's work do not share one event loop.
    const gateway = await startCli(['--data-dir', ':memory:']);
    const sink = await Sink.start();
    try {
      const base = gateway.configUrl;
      assert.equal((await call(base, 'POST', '/v1/spaces/default/eventtypes', { name: 'order.placed' })).status, 201);
      assert.equal((await call(base, 'POST', '/v1/spaces/default/functions', { functionId: 'fast', type: 'http', provider: { url: sink.url } })).status, 201);
      assert.equal((await call(base, 'POST', '/v1/spaces/default/subscriptions', { type: 'async', eventType: 'order.placed', functionId: 'fast' })).status, 201);
      await new Promise((r) => setTimeout(r, 100));
      const n = 200;
      const statuses = await Promise.all(Array.from({ length: n }, (_, i) => fetch(`${gateway.eventsUrl}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({ eventType: 'order.placed', cloudEventsVersion: '0.1', source: '/test', eventID: `gc-${i}`, data: {} }),
      }).then(async (r) => (await r.arrayBuffer(), r.status))));
      assert.ok(statuses.every((s) => s === 202));
      const text = (await http(gateway.configUrl, '/v1/metrics')).text;
      const commits = metric(text, 'eventgateway_queue_commits_total');
      assert.equal(metric(text, 'eventgateway_queue_committed_items_total'), n);
      assert.ok(commits < n, `${n} emits took ${commits} commits`);
      await sink.waitFor(n, 10_000);
    } finally {
      await stopCli(gateway.child);
      await sink.close();
    }
  });
});

describe('back-pressure instead of loss (docs/compatibility.md#durable-delivery)', () => {
  let gw: RunningGateway;
  after(() => gw?.close());

  it('answers a burst far beyond --max-pending with 202s that are all delivered and 429s, nothing else', async () => {
    gw = await startTestGateway({ maxPending: 20 });
    const config = new ConfigClient(gw);
    await config.eventType('order.placed');
    let open = false;
    const sink = await Sink.start(() => (open ? { status: 200 } : { status: 503 }));
    try {
      await config.httpFunction('slow', sink.url);
      await config.subscribe({ type: 'async', eventType: 'order.placed', functionId: 'slow', retry: FAST_RETRY });
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => emit(gw, `bp-${i}`).then((r) => ({ id: `bp-${i}`, r }))));
      const accepted = results.filter((x) => x.r.status === 202).map((x) => x.id);
      const refused = results.filter((x) => x.r.status === 429);
      assert.equal(accepted.length + refused.length, 200, 'only 202 and 429');
      assert.ok(refused.length > 0, 'some were refused');
      assert.ok(accepted.length <= 20 + 5, `${accepted.length} accepted`);
      for (const { r } of refused) {
        assert.equal(r.headers['retry-after'], '1');
        assert.match(errorMessage(r), /Too Many Requests/);
      }
      open = true;
      await eventually(() => accepted.every((id) => sink.events<{ eventID?: string }>().some((e) => e?.eventID === id)), 10_000, 'every accepted event delivered');
      const text = (await http(gw.configUrl, '/v1/metrics')).text;
      assert.equal(metric(text, 'eventgateway_events_rejected_total'), refused.length);
      await routed(gw);
    } finally {
      await sink.close();
    }
  });
});
