// Crash test of the AMQP poller: the real CLI as a child process on its own data dir, an amqp connection created
// through the connections API, messages published while the gateway is SIGKILLed mid-stream and started again on the
// same data dir. The broker gives the unacknowledged messages back; every message reaches the subscribed http
// function at least once, and one delivered twice carries the same webhook-id both times. Against rabbitmq-server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { eventually, type ReceivedRequest } from '../helpers/sink.js';
import { assertOneIdPerKey, startCrashGateway, type CrashGateway } from '../connectors/crash-gateway.js';

const url = process.env['EG_TEST_AMQP_URL'];
const skip = url ? false : `RabbitMQ is not available: ${process.env['EG_TEST_AMQP_SKIP'] ?? 'EG_TEST_AMQP_URL is unset (run through npm test)'}`;
if (skip) console.warn(`*** SKIPPING the AMQP crash test. ${skip}`);

const MESSAGES = 60;

describe('crash: SIGKILL mid-stream, restart on the same data dir [rabbitmq-server]', { skip }, () => {
  const queueName = `eg-crash-${randomBytes(4).toString('hex')}`;
  let model: ChannelModel;
  let channel: Channel;
  let gateway: CrashGateway;

  before(async () => {
    model = await connect(url!);
    channel = await model.createChannel();
    await channel.assertQueue(queueName, { durable: true });
    gateway = await startCrashGateway('job.queued');
    await gateway.createConnection({ connectionId: 'jobs', eventType: 'job.queued', type: 'amqp', source: { url, queueName } });
  });

  after(async () => {
    await gateway?.close();
    await channel?.deleteQueue(queueName).catch(() => {});
    await model?.close().catch(() => {});
  });

  it('delivers every message at least once, none skipped, duplicates under the same webhook-id', async () => {
    const keyOf = (r: ReceivedRequest): string | undefined => {
      const data = (r.json as { data?: { m?: number } } | undefined)?.data;
      return typeof data?.m === 'number' ? `m${data.m}` : undefined;
    };
    const publish = (from: number, to: number) => {
      for (let n = from; n < to; n++) channel.sendToQueue(queueName, Buffer.from(JSON.stringify({ m: n })), { messageId: `msg-${n}`, persistent: true });
    };
    const received = () => gateway.fn.received;
    const distinct = () => new Set(received().map(keyOf).filter((k) => k !== undefined)).size;

    publish(0, MESSAGES / 2);
    await eventually(async () => distinct() >= MESSAGES / 4, 20_000, 'a quarter of the messages delivered');
    await gateway.kill();
    const beforeKill = distinct();
    publish(MESSAGES / 2, MESSAGES);
    await gateway.restart();
    await eventually(async () => distinct() === MESSAGES, 25_000, `all ${MESSAGES} messages delivered (${distinct()} so far)`);
    assert.ok(beforeKill < MESSAGES, 'the kill landed mid-stream');

    const keys = Array.from({ length: MESSAGES }, (_, n) => `m${n}`);
    const deliveries = assertOneIdPerKey(received(), keyOf, keys);
    for (const r of received()) {
      const key = keyOf(r);
      if (key !== undefined) assert.equal((r.json as { eventID?: string }).eventID, `msg-${key.slice(1)}`, 'the event id is the message id');
    }
    await eventually(async () => (await channel.checkQueue(queueName)).messageCount === 0, 10_000, 'every message acked');
    console.log(`amqp crash test: ${beforeKill} of ${MESSAGES} delivered before the kill, ${deliveries - MESSAGES} duplicates after the restart`);
  });
});
