// The AMQP poller against a real RabbitMQ (Debian's rabbitmq-server, started by test/run.mjs for test/amqp/): manual
// acknowledgement only after the gateway accepted, a bounded prefetch, redelivery of what was not accepted.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { parseConnection, type Connection } from '../../lib/core/connections/index.js';
import { connectorHarness, dataOf, RecordingSink, waitFor } from '../connectors/helpers.js';

const url = process.env['EG_TEST_AMQP_URL'];
const skip = url ? false : `RabbitMQ is not available: ${process.env['EG_TEST_AMQP_SKIP'] ?? 'EG_TEST_AMQP_URL is unset (run through npm test)'}`;
if (skip) console.warn(`*** SKIPPING the AMQP connector tests. ${skip}`);

const PREFETCH = 3;

describe('AMQP poller [rabbitmq-server]', { skip }, () => {
  let model: ChannelModel;
  let channel: Channel;
  const queueName = `eg-conn-${randomBytes(4).toString('hex')}`;

  before(async () => {
    model = await connect(url!);
    channel = await model.createChannel();
    await channel.assertQueue(queueName, { durable: false });
  });
  after(async () => {
    await channel?.deleteQueue(queueName).catch(() => {});
    await model?.close().catch(() => {});
  });

  const ready = async () => (await channel.checkQueue(queueName)).messageCount;

  it('acks only accepted messages, holds at most the prefetch unacked, and the broker redelivers the rest', async () => {
    const total = 10;
    for (let i = 0; i < total; i++) {
      const body = i === total - 1 ? Buffer.from('plain text') : Buffer.from(JSON.stringify({ i }));
      channel.sendToQueue(queueName, body, { messageId: `m-${i}`, timestamp: Math.floor(Date.now() / 1000) });
    }
    await waitFor('the messages queued', async () => (await ready()) === total);

    // The gateway is full: the poller holds its prefetch of messages unacked, offering them again and again.
    let inFlight = 0;
    let mostInFlight = 0;
    const refusing = new RecordingSink(() => ({ kind: 'retry', reason: 'queue full', afterMs: 20 }));
    const refusingSink = {
      accept: async (...args: Parameters<RecordingSink['accept']>) => {
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        try {
          return await refusing.accept(...args);
        } finally {
          inFlight--;
        }
      },
    };
    const h1 = connectorHarness(refusingSink, undefined, '0.1', { amqpPrefetch: PREFETCH, maxBackoffMs: 200 });
    const c: Connection = parseConnection(JSON.stringify({ eventType: 'job.queued', type: 'amqp', source: { url, queueName } }), {
      space: 'default',
      connectionId: 'jobs',
      newId: () => 'jobs',
    });
    await h1.manager.apply(c.space, c.connectionId, c);
    await waitFor('offers refused', () => refusing.calls >= 10);
    assert.equal(await ready(), total - PREFETCH, 'the broker hands out no more than the prefetch');
    assert.ok(mostInFlight <= PREFETCH, `at most ${PREFETCH} messages offered at once, saw ${mostInFlight}`);
    await h1.manager.stop();
    await waitFor('the unacked messages back in the queue', async () => (await ready()) === total);

    // Another poller, with the gateway accepting: every message once (redeliveries keep their message id), all acked.
    const sink = new RecordingSink();
    const h2 = connectorHarness(sink, undefined, '0.1', { amqpPrefetch: PREFETCH });
    await h2.manager.apply(c.space, c.connectionId, c);
    await waitFor('every message accepted', () => new Set(sink.ids()).size >= total);
    await waitFor('the queue drained and acked', async () => (await ready()) === 0);
    await h2.manager.stop();
    assert.equal(await ready(), 0, 'nothing comes back after the stop: every accepted message was acked');

    assert.deepEqual(new Set(sink.ids()), new Set(Array.from({ length: total }, (_, i) => `m-${i}`)), 'the event id is the message id');
    const events = sink.accepted as unknown as Array<Record<string, unknown>>;
    const port = new URL(url!).port;
    for (const e of events) {
      assert.equal(e['eventType'], 'job.queued');
      assert.equal(e['cloudEventsVersion'], '0.1');
      assert.equal(e['source'], `amqp://127.0.0.1:${port}/%2F/${queueName}`, 'the source names the broker, vhost and queue, without credentials');
    }
    const plain = events.find((e) => e['eventID'] === `m-${total - 1}`)!;
    assert.equal(plain['contentType'], 'text/plain');
    assert.equal(plain['data'], 'plain text');
    const json = events.find((e) => e['eventID'] === 'm-0')!;
    assert.equal(json['contentType'], 'application/json');
    assert.deepEqual(dataOf(json as never), { i: 0 });
    const text = await h2.registry.metrics();
    assert.match(text, new RegExp(`^eventgateway_connector_processed_total\\{space="default",connectionID="jobs"\\} ${total}$`, 'm'));
  });
});
