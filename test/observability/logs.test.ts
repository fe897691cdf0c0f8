import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, http } from '../helpers/http.js';
import { Sink } from '../helpers/sink.js';
import { sample, scrape } from './scrape.js';

type LogLine = Record<string, unknown> & { level: number; msg: string };
const DEBUG = 20;
const INFO = 30;
const WARN = 40;

/** The gateway's real pino JSON lines, at debug, as they would reach stdout. */
function capturedLogger() {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('logs a person can use at info', () => {
  let gw: RunningGateway;
  let lines: LogLine[];
  let flaky: Sink;
  let broken: Sink;

  before(async () => {
    const captured = capturedLogger();
    lines = captured.lines;
    // Fails twice, then delivers.
    flaky = await Sink.start(() => (flaky.received.length <= 2 ? { status: 503, body: 'busy' } : { status: 200, body: '{}' }));
    broken = await Sink.start({ status: 500, body: 'boom' });
    gw = await startTestGateway({ logger: captured.logger });
  });
  after(async () => {
    await gw.close();
    await flaky.close();
    await broken.close();
  });

  const post = async (resource: string, body: object) => {
    const res = await call(gw.configUrl, 'POST', `/v1/spaces/default/${resource}`, body);
    assert.equal(res.status, 201, res.text);
    return res.json<Record<string, string>>();
  };
  const emit = (path: string, type: string) => http(gw.eventsUrl, path, { method: 'POST', headers: { event: type }, body: '{}' });
  const retry = { baseDelayMs: 20, maxDelayMs: 40 };

  it('logs every config change once at info: created, updated or deleted, with space, kind and id', async () => {
    await post('functions', { functionId: 'temp', type: 'http', provider: { url: flaky.url } });
    assert.equal((await call(gw.configUrl, 'PUT', '/v1/spaces/default/functions/temp', { type: 'http', provider: { url: broken.url } })).status, 200);
    assert.equal((await call(gw.configUrl, 'DELETE', '/v1/spaces/default/functions/temp')).status, 204);
    assert.equal((await call(gw.configUrl, 'GET', '/v1/spaces/default/functions')).status, 200);

    const changes = lines.filter((l) => l.kind === 'function' && l.id === 'temp');
    assert.deepEqual(changes.map((l) => [l.level, l.change, l.space]), [
      [INFO, 'created', 'default'],
      [INFO, 'updated', 'default'],
      [INFO, 'deleted', 'default'],
    ]);
    for (const line of changes) assert.match(line.msg, /function (created|updated|deleted): default\/temp/);
  });

  it('warns once at the first failed attempt of an item, names the function, and sends the later ones to debug', async () => {
    await post('eventtypes', { name: 'order.placed' });
    await post('functions', { functionId: 'orders-flaky', type: 'http', provider: { url: flaky.url } });
    await post('subscriptions', { type: 'async', eventType: 'order.placed', functionId: 'orders-flaky', path: '/orders', retry });
    const before = Date.now();
    assert.equal((await emit('/orders', 'order.placed')).status, 202);
    await flaky.waitFor(3, 10_000);

    const failures = lines.filter((l) => l.functionId === 'orders-flaky' && /failed/.test(l.msg));
    assert.equal(failures.length, 2, JSON.stringify(failures));
    const [first, second] = failures as [LogLine, LogLine];
    assert.equal(first.level, WARN);
    assert.equal(first.space, 'default');
    assert.equal(first.path, '/orders');
    assert.equal(first.eventType, 'order.placed');
    assert.equal(first.status, 503);
    assert.equal(first.attempt, 1);
    assert.match(first.msg, /function default\/orders-flaky/);
    const next = Date.parse(String(first.nextAttemptAt));
    assert.ok(next >= before && next <= Date.now() + 1000, `nextAttemptAt ${String(first.nextAttemptAt)}`);
    assert.equal(second.level, DEBUG);
    assert.equal(second.attempt, 2);
  });

  it('warns once when an item is dead-lettered: function, path, event type, attempts and last error', async () => {
    await post('eventtypes', { name: 'invoice.sent' });
    await post('functions', { functionId: 'invoices-broken', type: 'http', provider: { url: broken.url } });
    await post('subscriptions', { type: 'async', eventType: 'invoice.sent', functionId: 'invoices-broken', path: '/invoices', retry: { ...retry, maxAttempts: 2 } });
    assert.equal((await emit('/invoices', 'invoice.sent')).status, 202);
    await until('the dead letter', () => lines.some((l) => l.functionId === 'invoices-broken' && /dead-lettered/.test(l.msg)));

    const warnings = lines.filter((l) => l.functionId === 'invoices-broken' && l.level >= WARN);
    assert.equal(warnings.length, 2, JSON.stringify(warnings)); // the first failure, then the dead letter
    const dead = warnings[1]!;
    assert.match(dead.msg, /function default\/invoices-broken dead-lettered after 2 attempt/);
    assert.equal(dead.path, '/invoices');
    assert.equal(dead.eventType, 'invoice.sent');
    assert.equal(dead.attempts, 2);
    assert.equal(dead.error, 'HTTP status code: 500');
    assert.equal(dead.status, 500);
  });

  it('answers an event that matched no subscription with 202, counts it per space and event type, and logs it at debug', async () => {
    await post('eventtypes', { name: 'user.created' });
    assert.equal((await emit('/users', 'user.craeted')).status, 202); // a typo in the type: no space defines it
    assert.equal((await emit('/users', 'user.craeted')).status, 202);
    assert.equal((await emit('/userz', 'user.created')).status, 202); // a type of space default, on no subscribed path

    const text = await scrape(gw.configUrl);
    assert.equal(sample(text, 'eventgateway_events_unrouted_total{space="",event_type="user.craeted"}'), 2);
    assert.equal(sample(text, 'eventgateway_events_unrouted_total{space="default",event_type="user.created"}'), 1);
    // Routed events are not counted.
    assert.equal(sample(text, 'eventgateway_events_unrouted_total{space="default",event_type="order.placed"}'), undefined);

    const unrouted = lines.filter((l) => l.msg === 'event matched no subscription');
    assert.deepEqual(unrouted.map((l) => [l.level, l.path, l.eventType]), [
      [DEBUG, '/users', 'user.craeted'],
      [DEBUG, '/users', 'user.craeted'],
      [DEBUG, '/userz', 'user.created'],
    ]);
  });
});
