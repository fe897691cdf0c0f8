import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { gatewayForSuite } from '../helpers/gateway-suite.js';
import { call, errorMessage, http, type HttpResult } from '../helpers/http.js';
import { eventually } from '../helpers/sink.js';

// The pollers of the connections created here read sources that do not exist: keep every AWS client on a closed
// loopback port (they honour the SDK's per-service endpoint variables), with dummy credentials.
for (const service of ['SQS', 'KINESIS', 'DYNAMODB_STREAMS']) process.env[`AWS_ENDPOINT_URL_${service}`] ??= 'http://127.0.0.1:9';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

const kinesis = (connectionId: string, extra: Record<string, unknown> = {}) => ({
  connectionId,
  target: '',
  eventType: 'stream.record',
  type: 'awskinesis',
  source: { streamName: 'orders', region: 'us-east-1', awsAccessKeyId: 'AKIDEXAMPLE', awsSecretAccessKey: 'wJalrXUtnFEMI', startingPosition: 'LATEST' },
  ...extra,
});

describe('connections API on --connector-port', () => {
  const api = gatewayForSuite();
  const url = () => api.gw.connectorUrl!;

  it('serves /v1/status and /v1/metrics with the connector metrics', async () => {
    assert.equal((await call(url(), 'GET', '/v1/status')).status, 200);
    const metrics = await call(url(), 'GET', '/v1/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /^# HELP eventgateway_connector_pollers /m);
    assert.match(metrics.text, /^# HELP eventgateway_connector_processed_total /m);
  });

  it('creates a connection (201), echoing source as given with secrets masked', async () => {
    const res = await call(url(), 'POST', '/v1/spaces/shop/connections', kinesis('orders-in', { metadata: { service: 'shop', stage: 'dev' } }));
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json(), {
      space: 'shop',
      connectionId: 'orders-in',
      target: '',
      eventType: 'stream.record',
      type: 'awskinesis',
      source: { streamName: 'orders', region: 'us-east-1', awsAccessKeyId: 'AKIDEXAMPLE', awsSecretAccessKey: '********', startingPosition: 'LATEST' },
      metadata: { service: 'shop', stage: 'dev' },
    });
  });

  it('gives a connection without an id a generated one', async () => {
    const res = await call(url(), 'POST', '/v1/spaces/ids/connections', {
      eventType: 'q.message', type: 'awssqs', source: { queueUrl: 'http://127.0.0.1:9/000000000000/q', region: 'us-east-1' },
    });
    assert.equal(res.status, 201, res.text);
    assert.match(res.json<{ connectionId: string }>().connectionId, /^[0-9a-f-]{36}$/);
  });

  it('lists a space with metadata filters as the config API does', async () => {
    await call(url(), 'POST', '/v1/spaces/shop/connections', kinesis('other-stage', { metadata: { service: 'shop', stage: 'prod' } }));
    await call(url(), 'POST', '/v1/spaces/shop/connections', kinesis('no-metadata'));
    const all = await call(url(), 'GET', '/v1/spaces/shop/connections');
    assert.equal(all.status, 200);
    const ids = (res: HttpResult) => res.json<{ connections: Array<{ connectionId: string }> }>().connections.map((c) => c.connectionId);
    assert.deepEqual(ids(all), ['other-stage', 'orders-in', 'no-metadata'], 'descending ids, as the config API lists');
    assert.deepEqual(ids(await call(url(), 'GET', '/v1/spaces/shop/connections?metadata.service=shop&metadata.stage=dev')), ['orders-in']);
    assert.deepEqual(ids(await call(url(), 'GET', '/v1/spaces/shop/connections?metadata.stage=none')), []);
    const empty = await call(url(), 'GET', '/v1/spaces/nothing-here/connections');
    assert.equal(empty.text, '{"connections":[]}\n');
  });

  it('refuses a duplicate id with 409 in the envelope', async () => {
    const dup = await call(url(), 'POST', '/v1/spaces/shop/connections', kinesis('orders-in'));
    assert.equal(dup.status, 409);
    assert.equal(errorMessage(dup), 'Connection "orders-in" already exists.');
  });

  it('refuses an unknown type with 400 naming the supported ones, and kafka as unsupported', async () => {
    const unknown = await call(url(), 'POST', '/v1/spaces/shop/connections', { ...kinesis('x'), type: 'awssns' });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.headers['content-type'], 'application/json');
    assert.match(errorMessage(unknown), /Supported source types: awskinesis, awssqs, awsdynamodbstreams, amqp\.$/);
    const kafka = await call(url(), 'POST', '/v1/spaces/shop/connections', { ...kinesis('x'), type: 'kafka' });
    assert.equal(kafka.status, 400);
    assert.match(errorMessage(kafka), /"kafka" is not supported .*does not support it/);
    const bad = await call(url(), 'POST', '/v1/spaces/shop/connections', '{');
    assert.equal(bad.status, 400);
    assert.match(errorMessage(bad), /^Connection doesn't validate/);
  });

  it('updates (200) keeping secrets sent back masked, and 404s an unknown id', async () => {
    const masked = kinesis('orders-in', { eventType: 'stream.changed' });
    (masked.source as Record<string, string>).awsSecretAccessKey = '********';
    const res = await call(url(), 'PUT', '/v1/spaces/shop/connections/orders-in', masked);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json<{ eventType: string }>().eventType, 'stream.changed');
    const stored = await call(url(), 'GET', '/v1/spaces/shop/connections/orders-in');
    assert.equal(stored.json<{ source: { awsSecretAccessKey: string } }>().source.awsSecretAccessKey, '********');
    const missing = await call(url(), 'PUT', '/v1/spaces/shop/connections/nope', kinesis('nope'));
    assert.equal(missing.status, 404);
    assert.equal(errorMessage(missing), 'Connection "nope" not found.');
  });

  it('deletes (204), then 404s the same id', async () => {
    const gone = await call(url(), 'DELETE', '/v1/spaces/shop/connections/no-metadata');
    assert.equal(gone.status, 204);
    assert.equal(gone.text, '');
    const again = await call(url(), 'DELETE', '/v1/spaces/shop/connections/no-metadata');
    assert.equal(again.status, 404);
    assert.equal(errorMessage(again), 'Connection "no-metadata" not found.');
  });

  it('serves no config resources on the connector port; the config port serves connections too', async () => {
    const res = await call(url(), 'GET', '/v1/spaces/shop/functions');
    assert.equal(res.status, 404);
    const onConfig = await call(api.url, 'GET', '/v1/spaces/shop/connections?metadata.stage=prod');
    assert.equal(onConfig.status, 200);
    assert.equal(onConfig.json<{ connections: unknown[] }>().connections.length, 1);
  });

  it('keeps the stored connections across a restart, and starts their pollers again', async () => {
    // The suite's gateway is in memory; this one uses a file.
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = await mkdtemp(join(tmpdir(), 'eg-connections-'));
    try {
      const first = await startTestGateway({ dataDir });
      assert.equal((await call(first.connectorUrl!, 'POST', '/v1/spaces/keep/connections', kinesis('kept'))).status, 201);
      await first.close();
      const second = await startTestGateway({ dataDir });
      try {
        const listed = await call(second.connectorUrl!, 'GET', '/v1/spaces/keep/connections');
        assert.deepEqual(listed.json<{ connections: Array<{ connectionId: string }> }>().connections.map((c) => c.connectionId), ['kept']);
        // The poller starts once its source's client module has loaded, which can take a moment on a cold start.
        await eventually(async () => {
          const metrics = (await call(second.connectorUrl!, 'GET', '/v1/metrics')).text;
          return /^eventgateway_connector_pollers 1$/m.test(metrics);
        }, 10_000, 'eventgateway_connector_pollers 1 in the metrics');
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('connections API: access keys as on the config API', () => {
  const ADMIN = 'egk_' + 'C'.repeat(43);
  let gw: RunningGateway;
  before(async () => {
    gw = await startTestGateway({ dev: false, host: '127.0.0.1', adminKey: ADMIN });
  });
  after(() => gw.close());

  const as = (key: string | undefined, method: string, path: string, body?: unknown, base = gw.connectorUrl!) =>
    http(base, path, {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `bearer ${key}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('needs a key for the space, keeps /v1/status open', async () => {
    assert.equal((await as(undefined, 'GET', '/v1/status')).status, 200);
    const none = await as(undefined, 'GET', '/v1/spaces/shop/connections');
    assert.equal(none.status, 401);
    assert.match(errorMessage(none), /^Unauthorized/);
    assert.equal((await as(ADMIN, 'POST', '/v1/spaces/shop/connections', kinesis('c1'))).status, 201);
    const created = await as(ADMIN, 'POST', '/v1/keys', { spaces: ['other'] }, gw.configUrl);
    assert.equal(created.status, 201, created.text);
    const otherKey = created.json<{ key: string }>().key;
    const forbidden = await as(otherKey, 'DELETE', '/v1/spaces/shop/connections/c1');
    assert.equal(forbidden.status, 403);
    assert.equal((await as(otherKey, 'GET', '/v1/spaces/other/connections')).status, 200);
    assert.equal((await as(ADMIN, 'DELETE', '/v1/spaces/shop/connections/c1')).status, 204);
  });

  it('refuses a target the SSRF guard refuses, as for http functions', async () => {
    for (const target of ['http://169.254.169.254/latest', 'http://10.0.0.8:4000/', 'http://127.0.0.1:4999/']) {
      const res = await as(ADMIN, 'POST', '/v1/spaces/shop/connections', kinesis('guarded', { target }));
      assert.equal(res.status, 400, target);
      assert.match(errorMessage(res), /"target" is refused by the SSRF guard \(.+\)/);
    }
    const self = await as(ADMIN, 'POST', '/v1/spaces/shop/connections', kinesis('to-self', { target: `${gw.eventsUrl}/orders` }));
    assert.equal(self.status, 201, 'this gateway\'s own events API is in-process, never refused');
  });
});

describe('which targets name this gateway (events go in-process)', () => {
  it('takes loopback names, the bound host and this machine on the events port; nothing else', async () => {
    const { namesLocalGateway } = await import('../../lib/gateway/connectors.js');
    const { hostname } = await import('node:os');
    const local = (target: string, host = '0.0.0.0') => namesLocalGateway(new URL(target), 4000, host);
    for (const target of ['http://localhost:4000/', 'http://127.0.0.1:4000/orders', 'http://[::1]:4000', `http://${hostname()}:4000/`]) {
      assert.equal(local(target), true, target);
    }
    assert.equal(local('http://10.1.2.3:4000/', '10.1.2.3'), true, 'the address it binds');
    for (const target of ['http://localhost:4001/', 'https://localhost:4000/', 'http://10.1.2.3:4000/', 'http://gateway.example:4000/', 'http://localhost/']) {
      assert.equal(local(target), false, target);
    }
  });
});
