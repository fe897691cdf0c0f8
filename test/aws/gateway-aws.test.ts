import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { after, before, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, http } from '../helpers/http.js';
import { Sink, eventually } from '../helpers/sink.js';
import { awsClientConfig, requireEnv } from './helpers.js';

function histogram(text: string, name: string): { sum: number; count: number } {
  const value = (suffix: string) => Number(text.split('\n').find((l) => l.startsWith(`${name}_${suffix} `))?.split(' ')[1] ?? 0);
  return { sum: value('sum'), count: value('count') };
}

describe('two gateways on one DynamoDB table and one SQS queue (issue 5)', () => {
  const tablePrefix = `gw-${randomBytes(4).toString('hex')}-`;
  let a: RunningGateway;
  let b: RunningGateway;
  let sink: Sink;

  before(async () => {
    const sqs = new SQSClient(awsClientConfig(requireEnv('EG_TEST_SQS_ENDPOINT')));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${tablePrefix}fanout` }));
    sqs.destroy();
    const aws = {
      store: 'dynamodb',
      queue: 'sqs',
      dynamodbTablePrefix: tablePrefix,
      dynamodbEndpoint: requireEnv('EG_TEST_DYNAMODB_ENDPOINT'),
      sqsQueueUrl: QueueUrl!,
      sqsEndpoint: requireEnv('EG_TEST_SQS_ENDPOINT'),
    } as const;
    a = await startTestGateway(aws);
    b = await startTestGateway(aws);
    // No invalidation Lambda and no stand-in: the gateways relay the registry's Stream themselves (one holds the lease).
    sink = await Sink.start({ body: '{"statusCode":200,"body":"from the function"}' });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await sink?.close();
  });

  it('makes a config change made through one router live on the other, and its lag metric agrees', async () => {
    const base = '/v1/spaces/default';
    assert.equal((await call(a.configUrl, 'POST', `${base}/eventtypes`, { name: 'http.request' })).status, 201);
    assert.equal((await call(a.configUrl, 'POST', `${base}/functions`, { functionId: 'fn', type: 'http', provider: { url: sink.url } })).status, 201);
    const written = Date.now();
    assert.equal((await call(a.configUrl, 'POST', `${base}/subscriptions`, { type: 'sync', eventType: 'http.request', functionId: 'fn', method: 'GET', path: '/live' })).status, 201);
    let measuredMs = 0;
    await eventually(async () => {
      const res = await http(b.eventsUrl, '/live');
      measuredMs = Date.now() - written;
      return res.status === 200 && res.text === 'from the function';
    }, 10_000, 'the route is live on the other router');
    assert.ok(measuredMs < 5000, `live after ${measuredMs} ms`);

    const metrics = (await http(b.configUrl, '/v1/metrics')).text;
    const lag = histogram(metrics, 'eventgateway_config_propagation_seconds');
    assert.ok(lag.count >= 1, 'the other router observed changes');
    const meanMs = (lag.sum / lag.count) * 1000;
    assert.ok(meanMs <= measuredMs + 500, `metric says ${meanMs.toFixed(0)} ms on average, measured ${measuredMs} ms`);
  });

  it('fans async events out through SQS to the workers, durably accepted', async () => {
    const base = '/v1/spaces/default';
    assert.equal((await call(b.configUrl, 'POST', `${base}/eventtypes`, { name: 'order.placed' })).status, 201);
    assert.equal((await call(b.configUrl, 'POST', `${base}/subscriptions`, { type: 'async', eventType: 'order.placed', functionId: 'fn' })).status, 201);
    await eventually(async () => a.routing.current.matchAsync('POST', '/', 'order.placed').length === 1, 10_000, 'route live on a');
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    for (const id of ids) {
      const res = await http(a.eventsUrl, '/', {
        method: 'POST', headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify({ eventType: 'order.placed', cloudEventsVersion: '0.1', source: '/aws', eventID: id }),
      });
      assert.equal(res.status, 202);
    }
    await eventually(() => ids.every((id) => sink.events<{ eventID?: string }>().some((e) => e?.eventID === id)), 15_000, 'all delivered');
  });
});
