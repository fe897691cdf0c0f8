// The connector metrics that the pollers' test does not move: source errors (a queue that does not exist), the pollers
// gauge, and a deleted connection's series dropped. Against fauxqs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseConnection } from '../../lib/core/connections/index.js';
import { connectorHarness, RecordingSink, waitFor } from '../connectors/helpers.js';
import { requireEnv } from './helpers.js';

const sqsEndpoint = requireEnv('EG_TEST_SQS_ENDPOINT');
process.env['AWS_ENDPOINT_URL_SQS'] = sqsEndpoint;

describe('connector metrics [fauxqs]', () => {
  it('counts source errors while the poller keeps retrying, and forgets a deleted connection', async () => {
    const h = connectorHarness(new RecordingSink());
    const id = `m-${randomBytes(4).toString('hex')}`;
    const queueUrl = `${sqsEndpoint}/000000000000/eg-missing-${randomBytes(4).toString('hex')}`;
    const c = parseConnection(JSON.stringify({ eventType: 'record.arrived', type: 'awssqs', source: { queueUrl, region: 'us-east-1' } }), {
      space: 'default',
      connectionId: id,
      newId: () => id,
    });
    const labels = `space="default",connectionID="${id}"`;
    const sourceErrors = async () => Number(new RegExp(`^eventgateway_connector_errors_total\\{${labels},reason="source"\\} (\\d+)$`, 'm').exec(await h.registry.metrics())?.[1] ?? 0);
    await h.manager.apply(c.space, c.connectionId, c);
    await waitFor('two source errors (the poller retried)', async () => (await sourceErrors()) >= 2, 10_000);
    assert.match(await h.registry.metrics(), /^eventgateway_connector_pollers 1$/m);

    await h.manager.apply(c.space, c.connectionId, undefined);
    const text = await h.registry.metrics();
    assert.match(text, /^eventgateway_connector_pollers 0$/m);
    assert.doesNotMatch(text, new RegExp(`connectionID="${id}"`), 'the deleted connection has no series left');
    await h.manager.stop();
  });
});
