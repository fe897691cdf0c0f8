// Content filters on the AWS shape: the subscription's filter is stored in DynamoDB (DynamoDB Local), and the router
// (router-only, SQS queue on fauxqs) filters before it enqueues: an event no filter lets through sends nothing to SQS.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, http } from '../helpers/http.js';
import { eventually } from '../helpers/sink.js';
import { awsClientConfig, requireEnv } from './helpers.js';

describe('content filters on DynamoDB and SQS', () => {
  const tablePrefix = `flt-${randomBytes(4).toString('hex')}-`;
  const filter = { data: { amount: [{ numeric: ['>', 100] }] } };
  let sqs: SQSClient;
  let queueUrl: string;
  let aws: Record<string, string>;
  let router: RunningGateway | undefined;
  let subscriptionId: string;

  before(async () => {
    sqs = new SQSClient(awsClientConfig(requireEnv('EG_TEST_SQS_ENDPOINT')));
    ({ QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: `${tablePrefix}fanout` })));
    aws = {
      store: 'dynamodb',
      queue: 'sqs',
      dynamodbTablePrefix: tablePrefix,
      dynamodbEndpoint: requireEnv('EG_TEST_DYNAMODB_ENDPOINT'),
      sqsQueueUrl: queueUrl,
      sqsEndpoint: requireEnv('EG_TEST_SQS_ENDPOINT'),
    };
    // The config API stands in for the config Lambda; closed before the router starts, so that its delivery
    // workers cannot take messages off the queue.
    const config = await startTestGateway(aws as never);
    try {
      const base = '/v1/spaces/default';
      for (const [path, body] of [
        [`${base}/eventtypes`, { name: 'order.placed' }],
        [`${base}/functions`, { functionId: 'orders', type: 'http', provider: { url: 'http://127.0.0.1:9/' } }],
        [`${base}/subscriptions`, { type: 'async', eventType: 'order.placed', functionId: 'orders', path: '/orders', filter }],
      ] as const) {
        const res = await call(config.configUrl, 'POST', path, body);
        assert.equal(res.status, 201, `${path}: ${res.text}`);
        if (path.endsWith('subscriptions')) subscriptionId = res.json<{ subscriptionId: string }>().subscriptionId;
      }
      const stored = await call(config.configUrl, 'GET', `${base}/subscriptions/${subscriptionId}`);
      assert.deepEqual(stored.json<{ filter?: unknown }>().filter, filter, 'the filter is read back from DynamoDB');
    } finally {
      await config.close();
    }
    router = await startTestGateway({ ...(aws as object), routerOnly: true });
  });

  after(async () => {
    await router?.close();
    sqs?.destroy();
  });

  it('enqueues the event the filter lets through, and sends nothing to SQS for the one it holds back', async () => {
    const emit = (id: string, amount: number) =>
      http(router!.eventsUrl, '/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({ specversion: '1.0', id, source: 'shop', type: 'order.placed', data: { amount } }),
      });

    assert.equal((await emit('small-order', 5)).status, 202);
    assert.equal((await emit('big-order', 500)).status, 202);

    const bodies: string[] = [];
    await eventually(async () => {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      bodies.push(...Messages.map((m) => m.Body ?? ''));
      return bodies.some((body) => body.includes('big-order'));
    }, 15_000, 'the matching event is in the SQS queue');
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    assert.equal(Number(Attributes.ApproximateNumberOfMessages ?? 0), 0, 'nothing else was sent');
    assert.equal(bodies.some((body) => body.includes('small-order')), false);

    const metrics = (await http(router!.configUrl, '/v1/metrics')).text;
    const series = `eventgateway_events_filtered_total{space="default",subscription_id="${subscriptionId}"} 1`;
    assert.ok(metrics.split('\n').includes(series), `${series} in\n${metrics}`);
  });
});
