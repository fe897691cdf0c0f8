import assert from 'node:assert/strict';
import type { LookupFunction } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpSink } from '../../lib/connectors/sink.js';
import { connectionEvent, type Connection, type SourceRecord } from '../../lib/core/connections/index.js';
import { STRICT_TARGET_POLICY } from '../../lib/invokers/http/ssrf-guard.js';
import { Sink } from '../helpers/sink.js';

const record: SourceRecord = { eventId: 'shard-1:1', source: 'arn:aws:kinesis:us-east-1:123456789012:stream/s', data: new TextEncoder().encode('{"a":1}') };
const event = connectionEvent('order.placed', record, '1.0');
const connectionTo = (target: string): Connection =>
  ({ space: 'default', connectionId: 'c1', target, eventType: 'order.placed', type: 'awskinesis', source: { streamName: 's', region: 'us-east-1' } }) as Connection;

/** Resolves every name to 127.0.0.1 (tests resolve no real host names). */
const toLoopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all) (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

describe('HttpSink: emitting a connection\'s events to another events API', () => {
  let sink: Sink;
  before(async () => {
    sink = await Sink.start();
  });
  after(() => sink.close());

  it('refuses, as a dead letter, a target whose name resolves to an address the SSRF guard refuses (checked at connect)', async () => {
    const guarded = new HttpSink({ targetPolicy: STRICT_TARGET_POLICY, lookup: toLoopback });
    const result = await guarded.accept(connectionTo(`http://events.test:${sink.port}/`), record, event, new AbortController().signal);
    assert.equal(result.kind, 'rejected');
    assert.ok(result.kind === 'rejected' && result.status === 403 && /refused by the SSRF guard \(127\.0\.0\.1: /.test(result.message), JSON.stringify(result));
    assert.equal(sink.received.length, 0);
  });

  it('refuses a refused address literal without connecting', async () => {
    const guarded = new HttpSink({ targetPolicy: STRICT_TARGET_POLICY });
    const result = await guarded.accept(connectionTo(`http://127.0.0.1:${sink.port}/`), record, event, new AbortController().signal);
    assert.ok(result.kind === 'rejected' && result.status === 403, JSON.stringify(result));
    assert.equal(sink.received.length, 0);
  });

  it('posts the event in structured mode; a 429 is retried after its Retry-After', async () => {
    const open = new HttpSink({ targetPolicy: { allowLoopback: true, allow: [] }, lookup: toLoopback });
    sink.respond = (_req, res) => res.writeHead(429, { 'retry-after': '2' }).end();
    assert.deepEqual(await open.accept(connectionTo(`http://events.test:${sink.port}/`), record, event, new AbortController().signal), {
      kind: 'retry',
      reason: `http://events.test:${sink.port}/ answered 429`,
      afterMs: 2000,
    });
    sink.respond = (_req, res) => res.writeHead(202).end();
    assert.deepEqual(await open.accept(connectionTo(`http://events.test:${sink.port}/`), record, event, new AbortController().signal), { kind: 'accepted' });
    const last = sink.received.at(-1)!;
    assert.equal(last.headers['content-type'], 'application/cloudevents+json');
    assert.equal(JSON.parse(last.body).id, 'shard-1:1');
  });
});
