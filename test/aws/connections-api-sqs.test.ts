// End to end through the connections API: an SQS connection created on --connector-port reads a queue on the local
// SQS server (fauxqs, through the SDK's AWS_ENDPOINT_URL_SQS) and its record reaches a subscribed http function.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http.js';
import { eventually, Sink } from '../helpers/sink.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const sqsEndpoint = requireEnv('EG_TEST_SQS_ENDPOINT');
process.env['AWS_ENDPOINT_URL_SQS'] = sqsEndpoint;
process.env['AWS_ACCESS_KEY_ID'] ??= 'test';
process.env['AWS_SECRET_ACCESS_KEY'] ??= 'test';
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';

describe('connections API → SQS poller → http function [fauxqs]', () => {
  const sqs = new SQSClient(awsClientConfig(sqsEndpoint));
  let gw: RunningGateway;
  let sink: Sink;
  let queueUrl: string;

  before(async () => {
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `eg-conn-api-${randomBytes(4).toString('hex')}` }))).QueueUrl!;
    sink = await Sink.start();
    gw = await startTestGateway({ connectorTiming: { sqsWaitSeconds: 1, idleMs: 100 } });
    const config = new ConfigClient(gw, 'shop');
    await config.httpFunction('orders', sink.url);
    await config.eventType('order.placed');
    await config.subscribe({ type: 'async', eventType: 'order.placed', functionId: 'orders' });
  });
  after(async () => {
    await gw?.close();
    await sink?.close();
    sqs.destroy();
  });

  it('delivers a message of the queue as an event of the connection, then deletes it from the queue', async () => {
    const created = await call(gw.connectorUrl!, 'POST', '/v1/spaces/shop/connections', {
      connectionId: 'orders-queue',
      eventType: 'order.placed',
      type: 'awssqs',
      source: { queueUrl, region: 'us-east-1' },
    });
    assert.equal(created.status, 201, created.text);

    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ orderId: 42 }) }));
    const [delivered] = await sink.waitFor(1, 15_000);
    const event = delivered!.json as Record<string, unknown>;
    assert.equal(event['eventType'], 'order.placed');
    assert.deepEqual(event['data'], { orderId: 42 });
    assert.equal(event['contentType'], 'application/json');
    assert.match(String(event['eventID']), new RegExp(MessageId!), 'the event id comes from the SQS message id');
    assert.ok(delivered!.headers['webhook-id'], 'a webhook-id for the receiver to de-duplicate');

    await eventually(async () => {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }));
      return Attributes?.['ApproximateNumberOfMessages'] === '0' && Attributes?.['ApproximateNumberOfMessagesNotVisible'] === '0';
    }, 10_000, 'the message deleted from the queue');
    const metrics = await call(gw.connectorUrl!, 'GET', '/v1/metrics');
    assert.match(metrics.text, /^eventgateway_connector_processed_total\{space="shop",connectionID="orders-queue"\} 1$/m);

    assert.equal((await call(gw.connectorUrl!, 'DELETE', '/v1/spaces/shop/connections/orders-queue')).status, 204);
    await eventually(async () => /^eventgateway_connector_pollers 0$/m.test((await call(gw.connectorUrl!, 'GET', '/v1/metrics')).text), 5000, 'the poller stopped');
  });
});

describe('connections API → SQS poller: a full queue makes the poller wait, never skip [fauxqs]', () => {
  const sqs = new SQSClient(awsClientConfig(sqsEndpoint));
  let gw: RunningGateway;
  let sink: Sink;
  let queueUrl: string;

  before(async () => {
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `eg-conn-bp-${randomBytes(4).toString('hex')}` }))).QueueUrl!;
    sink = await Sink.start();
    // A slow function and room for two pending items: most records find the queue full at first.
    sink.respond = (_req, res) => setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'), 100);
    gw = await startTestGateway({ maxPending: 2, workers: 1, connectorTiming: { sqsWaitSeconds: 1, idleMs: 100 } });
    const config = new ConfigClient(gw, 'backpressure');
    await config.httpFunction('slow', sink.url);
    await config.eventType('job.queued');
    await config.subscribe({ type: 'async', eventType: 'job.queued', functionId: 'slow' });
  });
  after(async () => {
    await gw?.close();
    await sink?.close();
    sqs.destroy();
  });

  it('delivers every message once the queue has room again', async () => {
    const created = await call(gw.connectorUrl!, 'POST', '/v1/spaces/backpressure/connections', {
      connectionId: 'jobs', eventType: 'job.queued', type: 'awssqs', source: { queueUrl, region: 'us-east-1' },
    });
    assert.equal(created.status, 201, created.text);
    const count = 8;
    for (let i = 0; i < count; i++) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ job: i }) }));
    await sink.waitFor(count, 40_000);
    const jobs = new Set(sink.received.map((r) => ((r.json as { data: { job: number } }).data.job)));
    assert.deepEqual([...jobs].sort((a, b) => a - b), [...Array(count).keys()], 'every message arrived');
    const metrics = (await call(gw.connectorUrl!, 'GET', '/v1/metrics')).text;
    const waits = /^eventgateway_connector_errors_total\{space="backpressure",connectionID="jobs",reason="gateway"\} (\d+)$/m.exec(metrics);
    assert.ok(waits && Number(waits[1]) > 0, `the full queue was waited out (errors{reason="gateway"}): ${waits?.[0] ?? 'none'}`);
    assert.doesNotMatch(metrics, /^eventgateway_connector_dead_letters_total\{space="backpressure",connectionID="jobs"\} [1-9]/m, 'nothing dead-lettered');
  });
});
