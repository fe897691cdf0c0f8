// Back-pressure in-process: a gateway whose delivery queue holds 2 items and whose function is slow. The SQS poller's
// events go into the queue without an HTTP hop (RoutingSink); a full queue makes it wait and offer them again, and
// every message still reaches the function and leaves the queue. Against fauxqs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http.js';
import { eventually, Sink } from '../helpers/sink.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const sqsEndpoint = requireEnv('EG_TEST_SQS_ENDPOINT');
process.env['AWS_ENDPOINT_URL_SQS'] = sqsEndpoint;
const MESSAGES = 8;

describe('back-pressure in-process: SQS poller → a full delivery queue [fauxqs]', () => {
  const sqs = new SQSClient(awsClientConfig(sqsEndpoint));
  let gw: RunningGateway;
  let fn: Sink;
  let queueUrl: string;

  before(async () => {
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `eg-full-${randomBytes(4).toString('hex')}` }))).QueueUrl!;
    fn = await Sink.start();
    fn.respond = (_req, res) => setTimeout(() => res.writeHead(200).end('{}'), 150);
    gw = await startTestGateway({ maxPending: 2, workers: 1, connectorTiming: { sqsWaitSeconds: 1, idleMs: 100 } });
    const config = new ConfigClient(gw);
    await config.httpFunction('slow', fn.url);
    await config.eventType('job.queued');
    await config.subscribe({ type: 'async', eventType: 'job.queued', functionId: 'slow' });
  });
  after(async () => {
    await gw?.close();
    await fn?.close();
    sqs.destroy();
  });

  it('waits while the queue is full and loses nothing', async () => {
    const created = await call(gw.connectorUrl!, 'POST', '/v1/spaces/default/connections', {
      connectionId: 'jobs',
      eventType: 'job.queued',
      type: 'awssqs',
      source: { queueUrl, region: 'us-east-1' },
    });
    assert.equal(created.status, 201, created.text);
    await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: Array.from({ length: MESSAGES }, (_, n) => ({ Id: String(n), MessageBody: JSON.stringify({ job: n }) })) }),
    );
    const jobs = () => new Set(fn.received.map((r) => (r.json as { data?: { job?: number } }).data?.job));
    await eventually(() => jobs().size === MESSAGES, 20_000, `all ${MESSAGES} jobs delivered`);
    assert.deepEqual([...jobs()].sort(), [...Array(MESSAGES).keys()]);

    const metrics = (await call(gw.connectorUrl!, 'GET', '/v1/metrics')).text;
    const refused = Number(/^eventgateway_connector_errors_total\{space="default",connectionID="jobs",reason="gateway"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
    assert.ok(refused > 0, `the full queue made the poller wait (gateway errors: ${refused})`);
    assert.match(metrics, new RegExp(`^eventgateway_connector_processed_total\\{space="default",connectionID="jobs"\\} ${MESSAGES}$`, 'm'));
    await eventually(async () => {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return Attributes?.['ApproximateNumberOfMessages'] === '0' && Attributes?.['ApproximateNumberOfMessagesNotVisible'] === '0';
    }, 10_000, 'every message deleted from the queue');
  });
});
