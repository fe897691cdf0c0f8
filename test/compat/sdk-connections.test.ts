import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { gatewayForSuite } from '../helpers/gateway-suite.js';
import { call } from '../helpers/http.js';

// The official SDK of the original gateway, unchanged (CommonJS, no types): its connection calls go to `connectorUrl`.
interface Sdk {
  createConnection(p: object): Promise<Record<string, unknown>>;
  updateConnection(p: object): Promise<Record<string, unknown>>;
  deleteConnection(p: object): Promise<undefined>;
  listConnections(f?: object): Promise<Array<Record<string, unknown>>>;
  config: { connectorUrl: string };
}
const require = createRequire(import.meta.url);
const EventGateway = require('@serverless/event-gateway-sdk') as new (config: object) => Sdk;
const SDK_VERSION = (require('@serverless/event-gateway-sdk/package.json') as { version: string }).version;

// The pollers of these connections read a closed port on loopback: nothing beyond 127.0.0.1 is ever contacted.
const CLOSED = 'http://127.0.0.1:9';
for (const service of ['KINESIS', 'SQS', 'DYNAMODB_STREAMS']) process.env[`AWS_ENDPOINT_URL_${service}`] = CLOSED;

describe(`the official SDK's connection calls (@serverless/event-gateway-sdk ${SDK_VERSION}) against a started gateway's connector port`, () => {
  let sdk: Sdk;
  const api = gatewayForSuite(async ({ gw }) => {
    assert.ok(gw.connectorUrl);
    sdk = new EventGateway({ url: gw.eventsUrl, configurationUrl: gw.configUrl, connectorUrl: gw.connectorUrl, space: 'sdkconn' });
  });

  it('is the 0.11.0 release, whose default connectorUrl is the original connector port', () => {
    assert.equal(SDK_VERSION, '0.11.0');
    assert.equal(new EventGateway({ url: 'http://127.0.0.1:4000' }).config.connectorUrl, 'http://localhost:4002');
  });

  it('creates, lists (with metadata filters), updates and deletes connections', async () => {
    assert.deepEqual(await sdk.listConnections(), []);
    const kinesis = await sdk.createConnection({
      connectionId: 'clicks',
      eventType: 'click.recorded',
      type: 'awskinesis',
      source: { streamName: 'clicks', region: 'us-east-1', startingPosition: 'LATEST' },
      metadata: { service: 'web', stage: 'dev' },
    });
    assert.deepEqual(kinesis, {
      space: 'sdkconn',
      connectionId: 'clicks',
      eventType: 'click.recorded',
      type: 'awskinesis',
      source: { streamName: 'clicks', region: 'us-east-1', startingPosition: 'LATEST' },
      metadata: { service: 'web', stage: 'dev' },
    });
    const sqs = await sdk.createConnection({ eventType: 'job.queued', type: 'awssqs', source: { queueUrl: `${CLOSED}/000000000000/jobs`, region: 'us-east-1' }, metadata: { service: 'jobs' } });
    assert.equal(typeof sqs['connectionId'], 'string');
    assert.equal((await sdk.listConnections()).length, 2);
    assert.deepEqual((await sdk.listConnections({ 'metadata.service': 'web', 'metadata.stage': 'dev' })).map((c) => c['connectionId']), ['clicks']);

    const updated = await sdk.updateConnection({ connectionId: 'clicks', eventType: 'click.recorded.v2', type: 'awskinesis', source: { streamName: 'clicks2', region: 'us-east-1' } });
    assert.equal(updated['eventType'], 'click.recorded.v2');
    const raw = await call(api.gw.connectorUrl!, 'GET', '/v1/spaces/sdkconn/connections/clicks');
    assert.deepEqual(raw.json<{ source: unknown }>().source, { streamName: 'clicks2', region: 'us-east-1' });

    await sdk.deleteConnection({ connectionId: 'clicks' });
    await sdk.deleteConnection({ connectionId: sqs['connectionId'] });
    assert.deepEqual(await sdk.listConnections(), []);
  });

  it("masks secrets in what it returns, and surfaces the gateway's errors in the SDK's own messages", async () => {
    const created = await sdk.createConnection({
      connectionId: 'secret',
      eventType: 'x',
      type: 'awssqs',
      source: { queueUrl: `${CLOSED}/000000000000/jobs`, region: 'us-east-1', awsAccessKeyId: 'AKIDEXAMPLE', awsSecretAccessKey: 'wJalrXUtnFEMI' },
    });
    assert.deepEqual(created['source'], { queueUrl: `${CLOSED}/000000000000/jobs`, region: 'us-east-1', awsAccessKeyId: 'AKIDEXAMPLE', awsSecretAccessKey: '********' });
    await sdk.deleteConnection({ connectionId: 'secret' });

    await assert.rejects(sdk.createConnection({ eventType: 'x', type: 'kafka', source: {} }), /^Error: Failed to create the connection due the error: .*awskinesis.*awssqs.*awsdynamodbstreams.*amqp/);
    await assert.rejects(sdk.updateConnection({ connectionId: 'nope', eventType: 'x', type: 'awssqs', source: { queueUrl: `${CLOSED}/0/q`, region: 'us-east-1' } }), /^Error: Failed to update the connection nope due the error: Connection "nope" not found\./);
    await assert.rejects(sdk.deleteConnection({ connectionId: 'nope' }), /^Error: Failed to delete the connection nope due the error: Connection "nope" not found\./);
  });
});
