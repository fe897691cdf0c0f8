// Crash test of the AMQP poller: the real CLI as a child process on its own data dir, an amqp connection created
// through the connections API, messages published while the gateway is SIGKILLed mid-stream and started again on the
// same data dir. The broker gives the unacknowledged messages back; every message reaches the subscribed http
// function at least once, and one delivered twice carries the same webhook-id both times. Against rabbitmq-server.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { startCli, stopCli, type CliGateway } from '../helpers/cli.js';
import { call, http } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { eventually, Sink, type ReceivedRequest } from '../helpers/sink.js';

const url = process.env['EG_TEST_AMQP_URL'];
const skip = url ? false : `RabbitMQ is not available: ${process.env['EG_TEST_AMQP_SKIP'] ?? 'EG_TEST_AMQP_URL is unset (run through npm test)'}`;
if (skip) console.warn(`*** SKIPPING the AMQP crash test. ${skip}`);

const MESSAGES = 60;

describe('crash: SIGKILL mid-stream, restart on the same data dir [rabbitmq-server]', { skip }, () => {
  const queueName = `eg-crash-${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'eg-amqp-crash-'));
  let model: ChannelModel;
  let channel: Channel;
  let fn: Sink;
  let gateway: CliGateway | undefined;
  let args: string[];
  let ports: { configPort: number; eventsPort: number };
  let connectorUrl: string;

  const start = async (): Promise<CliGateway> => {
    const child = await startCli(args, ports);
    await eventually(async () => (await call(connectorUrl, 'GET', '/v1/status').catch(() => ({ status: 0 }))).status === 200, 10_000, 'the connections API');
    return child;
  };

  before(async () => {
    model = await connect(url!);
    channel = await model.createChannel();
    await channel.assertQueue(queueName, { durable: true });
    fn = await Sink.start();
    // A function that takes a little time, so that the kill lands while messages are in flight.
    fn.respond = (_req, res) => setTimeout(() => res.writeHead(200).end('{}'), 5);
    ports = { configPort: await freePort(), eventsPort: await freePort() };
    const connectorPort = await freePort();
    connectorUrl = `http://127.0.0.1:${connectorPort}`;
    args = ['--data-dir', dataDir, '--connector-port', String(connectorPort)];
    gateway = await start();

    const post = async (resource: string, body: unknown) => {
      const res = await call(gateway!.configUrl, 'POST', `/v1/spaces/default/${resource}`, body);
      assert.equal(res.status, 201, `${resource}: ${res.text}`);
    };
    await post('functions', { functionId: 'fn', type: 'http', provider: { url: fn.url } });
    await post('eventtypes', { name: 'job.queued' });
    await post('subscriptions', { type: 'async', eventType: 'job.queued', functionId: 'fn' });
    // The router applies config changes from the store's change feed: wait until an event is delivered.
    await eventually(async () => {
      const probe = { eventType: 'job.queued', eventID: 'probe', cloudEventsVersion: '0.1', source: 'urn:test:probe', contentType: 'application/json', data: {} };
      await http(gateway!.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(probe) });
      return fn.received.length > 0;
    }, 10_000, 'the subscription routed');
    const res = await call(connectorUrl, 'POST', '/v1/spaces/default/connections', { connectionId: 'jobs', eventType: 'job.queued', type: 'amqp', source: { url, queueName } });
    assert.equal(res.status, 201, res.text);
  });

  after(async () => {
    if (gateway) await stopCli(gateway.child, 'SIGKILL');
    await channel?.deleteQueue(queueName).catch(() => {});
    await model?.close().catch(() => {});
    await fn?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers every message at least once, none skipped, duplicates under the same webhook-id', async () => {
    const keyOf = (r: ReceivedRequest): string | undefined => {
      const data = (r.json as { data?: { m?: number } } | undefined)?.data;
      return typeof data?.m === 'number' ? `m${data.m}` : undefined;
    };
    const publish = (from: number, to: number) => {
      for (let n = from; n < to; n++) channel.sendToQueue(queueName, Buffer.from(JSON.stringify({ m: n })), { messageId: `msg-${n}`, persistent: true });
    };
    const distinct = () => new Set(fn.received.map(keyOf).filter((k) => k !== undefined)).size;

    publish(0, MESSAGES / 2);
    await eventually(async () => distinct() >= MESSAGES / 4, 20_000, 'a quarter of the messages delivered');
    await stopCli(gateway!.child, 'SIGKILL');
    const beforeKill = distinct();
    publish(MESSAGES / 2, MESSAGES);
    gateway = await start();
    await eventually(async () => distinct() === MESSAGES, 25_000, `all ${MESSAGES} messages delivered (${distinct()} so far)`);
    assert.ok(beforeKill < MESSAGES, 'the kill landed mid-stream');

    const webhookIds = new Map<string, Set<string>>();
    for (const r of fn.received) {
      const key = keyOf(r);
      if (key === undefined) continue;
      assert.equal((r.json as { eventID?: string }).eventID, `msg-${key.slice(1)}`, 'the event id is the message id');
      (webhookIds.get(key) ?? webhookIds.set(key, new Set()).get(key)!).add(String(r.headers['webhook-id']));
    }
    for (let n = 0; n < MESSAGES; n++) assert.equal(webhookIds.get(`m${n}`)?.size, 1, `m${n}: one webhook-id over its deliveries`);
    await eventually(async () => (await channel.checkQueue(queueName)).messageCount === 0, 10_000, 'every message acked');
    const deliveries = fn.received.filter((r) => keyOf(r) !== undefined).length;
    console.log(`amqp crash test: ${beforeKill} of ${MESSAGES} delivered before the kill, ${deliveries - MESSAGES} duplicates after the restart`);
  });
});
