import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { after, before, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { http } from '../helpers/http.js';
import { Sink, eventually } from '../helpers/sink.js';
import { awsClientConfig, requireEnv } from './helpers.js';

describe('a rate-limited backlog on the SQS queue (fauxqs; docs/limits.md)', () => {
  let gw: RunningGateway;
  let sink: Sink;
  const arrivals: number[] = [];
  before(async () => {
    const sqs = new SQSClient(awsClientConfig(requireEnv('EG_TEST_SQS_ENDPOINT')));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `lim-${randomBytes(4).toString('hex')}` }));
    sqs.destroy();
    gw = await startTestGateway({ queue: 'sqs', sqsQueueUrl: QueueUrl!, sqsEndpoint: requireEnv('EG_TEST_SQS_ENDPOINT') });
    sink = await Sink.start();
    sink.respond = (_req, res) => {
      arrivals.push(performance.now());
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    };
  });
  after(async () => {
    await gw?.close();
    await sink?.close();
  });

  it('delivers a backlog at about the rate: SQS delays whole seconds, the rest of a postponement is waited in memory', async () => {
    const config = new ConfigClient(gw);
    await config.eventType('sqs.rate');
    await config.post('functions', { functionId: 'sqsrated', type: 'http', provider: { url: sink.url }, rateLimit: { perSecond: 30 } });
    await config.subscribe({ type: 'async', eventType: 'sqs.rate', functionId: 'sqsrated' });
    const batch = Array.from({ length: 100 }, (_, i) => ({ specversion: '1.0', id: `s-${i}`, source: '/t', type: 'sqs.rate', data: {} }));
    for (let part = 0; part < 3; part++) {
      const res = await http(gw.eventsUrl, '/', {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents-batch+json' },
        body: JSON.stringify(batch.map((e) => ({ ...e, id: `${e.id}-${part}` }))),
      });
      assert.equal(res.status, 202);
    }
    await eventually(() => arrivals.length >= 300, 40_000, 'all 300 delivered');
    const seconds = (arrivals[299]! - arrivals[0]!) / 1000;
    console.log(`limits on SQS: 300 items in ${seconds.toFixed(1)} s = ${(299 / seconds).toFixed(1)}/s for a limit of 30/s`);
    const rate = 299 / seconds;
    // About 27/s here; rounding postponements up to whole seconds instead brought under 7/s (most of each second's
    // returns found the bucket's few tokens gone and were sent to the back of the line).
    assert.ok(rate >= 20 && rate <= 33, `${rate.toFixed(1)}/s`);
    const ids = new Set(sink.received.map((r) => (r.json as { id: string }).id));
    assert.equal(ids.size, 300);
    const metrics = (await http(gw.configUrl, '/v1/metrics')).text;
    assert.match(metrics, /eventgateway_deliveries_delayed_total\{[^}]*function="sqsrated"[^}]*reason="rate"[^}]*\} [1-9]/);
    assert.match(metrics, /^eventgateway_delivery_retries_total 0$/m);
  });
});
