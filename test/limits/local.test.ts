import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, errorMessage, http } from '../helpers/http.js';
import { Sink, eventually } from '../helpers/sink.js';

/** The value of one Prometheus sample whose labels include `labels` (0 when absent). */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text
    .split('\n')
    .find((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function metrics(gw: RunningGateway): Promise<string> {
  return (await http(gw.configUrl, '/v1/metrics')).text;
}

/** Emits `count` events of `type` as CloudEvents batches of 100. */
async function emitBacklog(gw: RunningGateway, type: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${type}-${i}`);
  for (let start = 0; start < count; start += 100) {
    const batch = ids.slice(start, start + 100).map((id) => ({ specversion: '1.0', id, source: '/limits', type, data: {} }));
    const res = await http(gw.eventsUrl, '/', {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(batch),
    });
    assert.equal(res.status, 202, res.text);
  }
  return ids;
}

/** A target that answers after `delayMs`, recording arrival times and the most requests it ever had at once. */
async function slowSink(delayMs: number) {
  const sink = await Sink.start();
  const state = { active: 0, maxActive: 0, arrivals: [] as number[] };
  sink.respond = (_req, res) => {
    state.arrivals.push(performance.now());
    state.active += 1;
    state.maxActive = Math.max(state.maxActive, state.active);
    setTimeout(() => {
      state.active -= 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    }, delayMs);
  };
  return { sink, state };
}

function idsOf(sink: Sink): string[] {
  return sink.events<{ id: string }>().map((e) => e.id);
}

describe('function limits in a local gateway (docs/limits.md)', () => {
  let gw: RunningGateway;
  let config: ConfigClient;
  const sinks: Sink[] = [];
  before(async () => {
    gw = await startTestGateway();
    config = new ConfigClient(gw);
  });
  after(async () => {
    await gw.close();
    for (const sink of sinks) await sink.close();
  });

  it('delivers a backlog of 2,000 items to a function limited to 100/s at about 100/s, losing or dead-lettering none', async () => {
    const { sink, state } = await slowSink(0);
    sinks.push(sink);
    await config.eventType('rate.test');
    await config.post('functions', { functionId: 'rated', type: 'http', provider: { url: sink.url }, rateLimit: { perSecond: 100 } });
    await config.subscribe({ type: 'async', eventType: 'rate.test', functionId: 'rated' });
    const ids = await emitBacklog(gw, 'rate.test', 2000);

    await eventually(() => sink.received.length === 2000, 28_000, 'all 2,000 delivered');
    const t0 = state.arrivals[0]!;
    const within = (from: number, to: number) => state.arrivals.filter((t) => t >= t0 + from && t < t0 + to).length;
    // From the first arrival on, and after the bucket's first burst (10 calls).
    const firstTen = within(0, 10_000) / 10;
    const sustained = within(1000, 11_000) / 10;
    const overall = (2000 - 1) / ((state.arrivals[1999]! - t0) / 1000);
    let busiest = 0;
    for (let start = 0; start < 18_000; start += 100) busiest = Math.max(busiest, within(start, start + 1000));
    console.log(`limits: ${firstTen}/s over the first 10 s, ${sustained}/s over t0+1..11 s, ${overall.toFixed(1)}/s overall, busiest second ${busiest}`);
    assert.ok(firstTen >= 80 && firstTen <= 110, `first 10 s: ${firstTen}/s`);
    assert.ok(sustained >= 80 && sustained <= 110, `t0+1..11 s: ${sustained}/s`);
    assert.ok(overall <= 110, `overall ${overall}/s`);
    // At most the burst (10) over the rate in any second, plus some slack for the network's jitter.
    assert.ok(busiest <= 115, `${busiest} calls in one second`);

    assert.deepEqual([...new Set(idsOf(sink))].sort(), [...ids].sort());
    assert.equal(sink.received.length, 2000, 'each item delivered once');
    const text = await metrics(gw);
    assert.ok(metric(text, 'eventgateway_deliveries_delayed_total', { function: 'rated', reason: 'rate' }) > 0);
    assert.equal(metric(text, 'eventgateway_delivery_retries_total'), 0);
    assert.equal(metric(text, 'eventgateway_dead_letters_total', { space: 'default' }), 0);
    const dead = (await call(gw.configUrl, 'GET', '/v1/spaces/default/deadletters')).json<{ deadLetters: unknown[] }>();
    assert.deepEqual(dead.deadLetters, []);
  });

  it('never has more than maxConcurrency deliveries in flight to a slow target', async () => {
    const { sink, state } = await slowSink(200);
    sinks.push(sink);
    await config.eventType('concurrency.test');
    await config.post('functions', { functionId: 'narrow', type: 'http', provider: { url: sink.url }, maxConcurrency: 3 });
    await config.subscribe({ type: 'async', eventType: 'concurrency.test', functionId: 'narrow' });
    const ids = await emitBacklog(gw, 'concurrency.test', 40);
    await eventually(() => sink.received.length >= 40 && state.active === 0, 15_000, 'all 40 delivered');
    assert.equal(state.maxActive, 3, `at most ${state.maxActive} at once`);
    assert.deepEqual([...idsOf(sink)].sort(), [...ids].sort());
    const text = await metrics(gw);
    assert.ok(metric(text, 'eventgateway_deliveries_delayed_total', { function: 'narrow', reason: 'concurrency' }) > 0);
    assert.equal(metric(text, 'eventgateway_delivery_retries_total'), 0);
  });

  it('answers a sync call over maxConcurrency with 429, Retry-After and the error envelope, at once', async () => {
    const { sink, state } = await slowSink(500);
    sinks.push(sink);
    await config.eventType('http.request');
    await config.post('functions', { functionId: 'single', type: 'http', provider: { url: sink.url }, maxConcurrency: 1 });
    await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'single', method: 'GET', path: '/single' });
    const first = http(gw.eventsUrl, '/single');
    await eventually(() => state.active === 1, 3000, 'the first call at the target');
    const started = performance.now();
    const second = await http(gw.eventsUrl, '/single');
    assert.ok(performance.now() - started < 250, 'refused at once, not queued');
    assert.equal(second.status, 429);
    assert.equal(second.headers['retry-after'], '1');
    assert.match(String(second.headers['content-type']), /^application\/json/);
    assert.equal(errorMessage(second), 'Too Many Requests: function "single" is over its limit of 1 calls at once. Retry later.');
    assert.equal((await first).status, 200);
    assert.equal(sink.received.length, 1);
    // The slot is free again once the call ended.
    assert.equal((await http(gw.eventsUrl, '/single')).status, 200);
    const text = await metrics(gw);
    assert.equal(metric(text, 'eventgateway_sync_calls_limited_total', { function: 'single', reason: 'concurrency' }), 1);
  });

  it('answers a sync call over the rate with 429 and a Retry-After of the seconds until the next token', async () => {
    const sink = await Sink.start();
    sinks.push(sink);
    await config.post('functions', { functionId: 'slowrate', type: 'http', provider: { url: sink.url }, rateLimit: { perSecond: 0.25 } });
    await config.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'slowrate', method: 'GET', path: '/slowrate' });
    assert.equal((await http(gw.eventsUrl, '/slowrate')).status, 200);
    const refused = await http(gw.eventsUrl, '/slowrate');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '4');
    assert.equal(errorMessage(refused), 'Too Many Requests: function "slowrate" is over its rate limit of 0.25 calls per second. Retry later.');
    assert.equal(sink.received.length, 1);
    const text = await metrics(gw);
    assert.equal(metric(text, 'eventgateway_sync_calls_limited_total', { function: 'slowrate', reason: 'rate' }), 1);
  });
});
