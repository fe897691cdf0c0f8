import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { COUNTER_KEY, registryTableNames } from '../../lib/adapters/registry/dynamodb/tables.js';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, http } from '../helpers/http.js';
import { eventually } from '../helpers/sink.js';
import { awsClientConfig, requireEnv, startStreamRelay } from './helpers.js';

/** The value of one series in a real `/v1/metrics` scrape. */
async function gauge(gw: RunningGateway, series: string): Promise<number | undefined> {
  const res = await http(gw.configUrl, '/v1/metrics');
  assert.equal(res.status, 200);
  const line = res.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function expectGauge(gw: RunningGateway, series: string, value: number): Promise<void> {
  let last: number | undefined;
  try {
    await eventually(async () => (last = await gauge(gw, series)) === value, 10_000, `${series} = ${value}`);
  } catch (error) {
    assert.fail(`${(error as Error).message}; the last scrape said ${last}`);
  }
}

describe('the config gauges on the DynamoDB registry', () => {
  const options = {
    store: 'dynamodb',
    dynamodbTablePrefix: `gauges-${randomBytes(4).toString('hex')}-`,
    dynamodbEndpoint: requireEnv('EG_TEST_DYNAMODB_ENDPOINT'),
  } as const;
  let writer: RunningGateway;
  let router: RunningGateway | undefined;
  let relay: Awaited<ReturnType<typeof startStreamRelay>>;

  before(async () => {
    // The writer's own relay is off: the test runs one it can stop, to make the router fall behind the change log.
    writer = await startTestGateway({ ...options, streamRelay: 'off' });
    relay = await startStreamRelay(options.dynamodbEndpoint, options.dynamodbTablePrefix);
  });
  after(async () => {
    await relay?.stop();
    await router?.close();
    await writer?.close();
  });

  it('count the stored config at start, then follow changes another process makes, through the change feed', async () => {
    const base = '/v1/spaces/default';
    const post = async (resource: string, body: object) => {
      const res = await call(writer.configUrl, 'POST', `${base}/${resource}`, body);
      assert.equal(res.status, 201, res.text);
      return res.json<Record<string, string>>();
    };
    const remove = async (resource: string, id: string) =>
      assert.equal((await call(writer.configUrl, 'DELETE', `${base}/${resource}/${id}`)).status, 204);
    for (const name of ['a', 'b', 'c']) await post('eventtypes', { name });
    for (let i = 1; i <= 9; i++) await post('functions', { functionId: `f${i}`, type: 'http', provider: { url: 'http://127.0.0.1:9/' } });
    const subs: string[] = [];
    for (const path of ['/s1', '/s2', '/s3']) subs.push((await post('subscriptions', { type: 'async', eventType: 'a', functionId: 'f1', path })).subscriptionId!);
    const cors: string[] = [];
    for (const path of ['/c1', '/c2', '/c3']) cors.push((await post('cors', { method: 'GET', path })).corsId!);

    // A router started on the stored config: its first scrape counts it.
    router = await startTestGateway({ ...options, routerOnly: true });
    assert.equal(await gauge(router, 'eventgateway_eventtypes_total{space="default"}'), 3);
    assert.equal(await gauge(router, 'eventgateway_functions_total{space="default"}'), 9);
    assert.equal(await gauge(router, 'eventgateway_subscriptions_total{space="default"}'), 3);
    assert.equal(await gauge(router, 'eventgateway_cors_total{space="default"}'), 3);

    // Changes made through the other process reach it through the change feed.
    await post('eventtypes', { name: 'd' });
    await post('functions', { functionId: 'f10', type: 'http', provider: { url: 'http://127.0.0.1:9/' } });
    await post('subscriptions', { type: 'async', eventType: 'a', functionId: 'f1', path: '/s4' });
    await post('cors', { method: 'GET', path: '/c4' });
    await expectGauge(router, 'eventgateway_eventtypes_total{space="default"}', 4);
    await expectGauge(router, 'eventgateway_functions_total{space="default"}', 10);
    await expectGauge(router, 'eventgateway_subscriptions_total{space="default"}', 4);
    await expectGauge(router, 'eventgateway_cors_total{space="default"}', 4);

    for (const name of ['b', 'c']) await remove('eventtypes', name);
    for (const id of ['f8', 'f9']) await remove('functions', id);
    for (const id of subs.slice(1)) await remove('subscriptions', id);
    for (const id of cors.slice(1)) await remove('cors', id);
    await expectGauge(router, 'eventgateway_eventtypes_total{space="default"}', 2);
    await expectGauge(router, 'eventgateway_functions_total{space="default"}', 8);
    await expectGauge(router, 'eventgateway_subscriptions_total{space="default"}', 2);
    await expectGauge(router, 'eventgateway_cors_total{space="default"}', 2);
    // The writer counts the same store.
    assert.equal(await gauge(writer, 'eventgateway_functions_total{space="default"}'), 8);
  });

  it('are reset by a full reload when the router fell behind the change log', async () => {
    assert.ok(router, 'the first test started the router');
    // Changes the change log never records (its relay is stopped): the router cannot see them one by one.
    await relay.stop();
    await call(writer.configUrl, 'POST', '/v1/spaces/default/functions', { functionId: 'f11', type: 'http', provider: { url: 'http://127.0.0.1:9/' } });
    for (const id of ['f2', 'f3']) assert.equal((await call(writer.configUrl, 'DELETE', `/v1/spaces/default/functions/${id}`)).status, 204);
    assert.equal(await gauge(router, 'eventgateway_functions_total{space="default"}'), 8);

    // The counter moves past entries that are not there (as when they expired): the router reloads everything.
    const dynamodb = new DynamoDBClient(awsClientConfig(options.dynamodbEndpoint));
    try {
      await dynamodb.send(new UpdateItemCommand({
        TableName: registryTableNames(options.dynamodbTablePrefix).changes,
        Key: COUNTER_KEY,
        UpdateExpression: 'ADD latest :skipped',
        ExpressionAttributeValues: { ':skipped': { N: '5' } },
      }));
    } finally {
      dynamodb.destroy();
    }
    await expectGauge(router, 'eventgateway_functions_total{space="default"}', 7);
    assert.equal(await gauge(router, 'eventgateway_eventtypes_total{space="default"}'), 2);
    assert.equal(await gauge(router, 'eventgateway_subscriptions_total{space="default"}'), 2);
    assert.equal(await gauge(router, 'eventgateway_cors_total{space="default"}'), 2);
  });
});
