// The router's CloudWatch metrics: the real CLI (as the container starts it, here on SQLite) writes Embedded Metric
// Format documents on stdout; the counts in them must match the traffic this test sends.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROUTER_EMF_METRICS as M } from '../../lib/observability/emf-names.js';
import { LatencyBuckets } from '../../lib/observability/router-emf.js';
import { startCli, stopCli, type CliGateway } from '../helpers/cli.js';
import { call, http } from '../helpers/http.js';
import { Sink } from '../helpers/sink.js';

interface EmfDocument {
  _aws: { Timestamp: number; CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [name: string]: unknown;
}

function emfDocuments(output: string): EmfDocument[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfDocument);
}

const sum = (docs: EmfDocument[], name: string) => docs.reduce((total, doc) => total + (typeof doc[name] === 'number' ? (doc[name] as number) : 0), 0);
const values = (docs: EmfDocument[], name: string) => docs.flatMap((doc) => (doc[name] === undefined ? [] : ([] as number[]).concat(doc[name] as number | number[])));

describe('router EMF metrics (a real CLI, real traffic)', { timeout: 60_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eg-emf-'));
  let sink: Sink;
  let stuck: Server;
  let gw: CliGateway;
  let docs: EmfDocument[];
  const sent = { queued: 0, rejected: 0, syncOk: 0, syncFailed: 0, unrouted: 0 };

  before(async () => {
    sink = await Sink.start();
    // A target that never answers: its deliveries stay in flight, so the queue fills and answers 429.
    stuck = createServer(() => {});
    await new Promise<void>((resolve) => stuck.listen(0, '127.0.0.1', resolve));
    gw = await startCli(['--data-dir', dataDir, '--emf-interval', '1', '--metrics-namespace', 'EmfTest', '--max-pending', '3']);

    const post = async (resource: string, body: unknown) => {
      const res = await call(gw.configUrl, 'POST', `/v1/spaces/default/${resource}`, body);
      assert.equal(res.status, 201, res.text);
    };
    await post('eventtypes', { name: 'user.created' });
    await post('eventtypes', { name: 'http.request' });
    await post('functions', { functionId: 'stuck', type: 'http', provider: { url: `http://127.0.0.1:${(stuck.address() as AddressInfo).port}/` } });
    await post('functions', { functionId: 'hello', type: 'http', provider: { url: sink.url } });
    await post('subscriptions', { type: 'async', eventType: 'user.created', functionId: 'stuck', path: '/' });
    await post('subscriptions', { type: 'sync', eventType: 'http.request', functionId: 'hello', method: 'GET', path: '/hello' });
    // The sync route is the last change: once it answers, the async subscription is routed too.
    for (let deadline = Date.now() + 5000; ; ) {
      const res = await http(gw.eventsUrl, '/hello');
      if (res.status === 200) {
        sent.syncOk++;
        break;
      }
      assert.ok(Date.now() < deadline, 'the sync route never came up');
      sent.unrouted++;
      await new Promise((r) => setTimeout(r, 20));
    }

    for (let i = 0; i < 5; i++) {
      const res = await http(gw.eventsUrl, '/', { method: 'POST', headers: { event: 'user.created' }, body: '{}' });
      if (res.status === 202) sent.queued++;
      else if (res.status === 429) sent.rejected++;
      else assert.fail(`emit answered ${res.status}`);
    }
    for (let i = 0; i < 4; i++) assert.equal((await http(gw.eventsUrl, '/hello')).status, 200);
    sent.syncOk += 4;
    sink.reply = { status: 500, body: 'no' };
    for (let i = 0; i < 2; i++) await http(gw.eventsUrl, '/hello');
    sent.syncFailed += 2;
    // A path no subscription serves: received by the events API, routed nowhere.
    for (let i = 0; i < 2; i++) await http(gw.eventsUrl, '/nowhere');
    sent.unrouted += 2;

    // At least one more interval passes, then SIGTERM: the router writes the last interval's document on the way out.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await stopCli(gw.child), 0);
    docs = emfDocuments(gw.output());
  });

  after(async () => {
    if (gw.child.exitCode === null) gw.child.kill('SIGKILL');
    await sink.close();
    stuck.closeAllConnections();
    stuck.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes one document per interval, in the namespace, under the single dimension Service=router', () => {
    assert.ok(docs.length >= 2, `${docs.length} documents:\n${gw.output()}`);
    for (const doc of docs) {
      const [directive] = doc._aws.CloudWatchMetrics;
      assert.equal(directive!.Namespace, 'EmfTest');
      assert.deepEqual(directive!.Dimensions, [['Service']]);
      assert.equal(doc['Service'], 'router');
      for (const { Name } of directive!.Metrics) assert.ok(Name in doc, Name);
    }
    const stamps = docs.map((d) => d._aws.Timestamp);
    assert.deepEqual(stamps, [...stamps].sort((a, b) => a - b));
  });

  it('counts the queue sends, the 429s and the sync calls by outcome that were sent', () => {
    assert.equal(sent.queued, 3, 'the queue holds --max-pending 3 items');
    assert.equal(sent.rejected, 2);
    assert.equal(sum(docs, M.queueSends), sent.queued);
    assert.equal(sum(docs, M.rejected), sent.rejected);
    assert.equal(sum(docs, M.syncCallsSucceeded), sent.syncOk);
    assert.equal(sum(docs, M.syncCallsFailed), sent.syncFailed);
    assert.equal(sum(docs, M.accepted), sent.queued + sent.syncOk + sent.syncFailed);
    // Received counts every async item (accepted or refused) and every routed sync request.
    assert.equal(sum(docs, M.received), sent.queued + sent.rejected + sent.syncOk + sent.syncFailed);
  });

  it('sends latency distributions: one value per call while there are fewer than 100', () => {
    const sync = values(docs, M.syncCallLatency);
    assert.equal(sync.length, sent.syncOk + sent.syncFailed);
    for (const ms of sync) assert.ok(ms >= 0 && ms < 5000, String(ms));
    assert.equal(values(docs, M.queueSendLatency).length, sent.queued);
  });

  it('reports the routing table version, which the six config writes moved', () => {
    const versions = values(docs, M.routingTableVersion);
    assert.ok(versions.length === docs.length);
    assert.ok(versions.at(-1)! >= 6, String(versions));
  });

  it('counts unrouted events when the gateway counts them', (t) => {
    if (!docs.some((d) => M.unrouted in d)) {
      t.skip('no eventgateway_events_unrouted_total counter in this build: EventsUnrouted is not written');
      return;
    }
    assert.equal(sum(docs, M.unrouted), sent.unrouted);
  });
});

describe('LatencyBuckets', () => {
  it('sends at most 100 values, in proportion to the buckets, and nothing after a drain', () => {
    const buckets = new LatencyBuckets();
    for (let i = 0; i < 900; i++) buckets.record(3);
    for (let i = 0; i < 100; i++) buckets.record(100);
    const drained = buckets.drainValues();
    assert.equal(drained.length, 100);
    assert.equal(drained.filter((v) => v === 4).length, 90);
    assert.equal(drained.filter((v) => v === 100).length, 10, 'capped at the slowest call seen');
    assert.deepEqual(buckets.drainValues(), []);
  });
});
