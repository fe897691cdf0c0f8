import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { gatewayForSuite } from '../helpers/gateway-suite.js';
import { call } from '../helpers/http.js';

// The official SDK of the original gateway, unchanged (CommonJS, no types).
interface Sdk {
  createEventType(p: object): Promise<Record<string, unknown>>;
  updateEventType(p: object): Promise<Record<string, unknown>>;
  deleteEventType(p: object): Promise<undefined>;
  listEventTypes(f?: object): Promise<Array<Record<string, unknown>>>;
  createFunction(p: object): Promise<Record<string, unknown>>;
  updateFunction(p: object): Promise<Record<string, unknown>>;
  deleteFunction(p: object): Promise<undefined>;
  listFunctions(f?: object): Promise<Array<Record<string, unknown>>>;
  subscribe(p: object): Promise<Record<string, unknown>>;
  unsubscribe(p: object): Promise<undefined>;
  listSubscriptions(f?: object): Promise<Array<Record<string, unknown>>>;
  createCORS(p: object): Promise<Record<string, unknown>>;
  updateCORS(p: object): Promise<Record<string, unknown>>;
  deleteCORS(p: object): Promise<undefined>;
  listCORS(f?: object): Promise<Array<Record<string, unknown>>>;
}
const require = createRequire(import.meta.url);
const EventGateway = require('@serverless/event-gateway-sdk') as new (config: object) => Sdk;

describe('the official SDK (@serverless/event-gateway-sdk 0.11.0) against a started gateway', () => {
  let sdk: Sdk;
  const api = gatewayForSuite(async ({ gw }) => {
    sdk = new EventGateway({ url: gw.eventsUrl, configurationUrl: gw.configUrl, space: 'sdkspace' });
  });

  it('creates, lists, updates and deletes functions', async () => {
    const created = await sdk.createFunction({ functionId: 'hello', type: 'http', provider: { url: 'http://127.0.0.1:9/hello' } });
    assert.deepEqual(created, { space: 'sdkspace', functionId: 'hello', type: 'http', provider: { url: 'http://127.0.0.1:9/hello' } });
    await sdk.createFunction({ functionId: 'world', type: 'http', provider: { url: 'http://127.0.0.1:9/world' }, metadata: { team: 'x' } });
    assert.deepEqual((await sdk.listFunctions()).map((f) => f.functionId), ['world', 'hello']);
    assert.deepEqual((await sdk.listFunctions({ 'metadata.team': 'x' })).map((f) => f.functionId), ['world']);
    const updated = await sdk.updateFunction({ functionId: 'hello', type: 'http', provider: { url: 'http://127.0.0.1:9/v2' } });
    assert.equal((updated.provider as { url: string }).url, 'http://127.0.0.1:9/v2');
    const raw = await call(api.url, 'GET', '/v1/spaces/sdkspace/functions/hello');
    assert.equal(raw.json<{ provider: { url: string } }>().provider.url, 'http://127.0.0.1:9/v2');
    await sdk.deleteFunction({ functionId: 'world' });
    assert.deepEqual((await sdk.listFunctions()).map((f) => f.functionId), ['hello']);
    await assert.rejects(sdk.createFunction({ functionId: 'hello', type: 'http', provider: { url: 'http://127.0.0.1:9/' } }),
      /Failed to create the function hello due the error: Function "hello" already registered\./);
  });

  it('creates, lists, updates and deletes event types', async () => {
    const created = await sdk.createEventType({ name: 'user.created' });
    assert.deepEqual(created, { space: 'sdkspace', name: 'user.created' });
    await sdk.createEventType({ name: 'http.request' });
    await sdk.createEventType({ name: 'temp.event' });
    const updated = await sdk.updateEventType({ name: 'user.created', authorizerId: 'hello' });
    assert.equal(updated.authorizerId, 'hello');
    assert.equal((await call(api.url, 'GET', '/v1/spaces/sdkspace/eventtypes/user.created')).json<{ authorizerId: string }>().authorizerId, 'hello');
    await sdk.updateEventType({ name: 'user.created' });
    await sdk.deleteEventType({ name: 'temp.event' });
    assert.deepEqual((await sdk.listEventTypes()).map((t) => t.name), ['user.created', 'http.request']);
  });

  it('subscribes, lists and unsubscribes', async () => {
    const sub = await sdk.subscribe({ type: 'async', eventType: 'user.created', functionId: 'hello', path: '/users' });
    assert.equal(sub.method, 'POST');
    assert.equal(typeof sub.subscriptionId, 'string');
    const sync = await sdk.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'hello', path: '/hello', method: 'get' });
    assert.equal(sync.method, 'GET');
    const listed = await sdk.listSubscriptions();
    assert.equal(listed.length, 2);
    const raw = await call(api.url, 'GET', `/v1/spaces/sdkspace/subscriptions/${String(sub.subscriptionId)}`);
    assert.equal(raw.status, 200);
    await sdk.unsubscribe({ subscriptionId: sub.subscriptionId });
    await sdk.unsubscribe({ subscriptionId: sync.subscriptionId });
    assert.deepEqual(await sdk.listSubscriptions(), []);
    await assert.rejects(sdk.unsubscribe({ subscriptionId: 'nope' }), /Subscription "nope" not found\./);
  });

  it('creates, lists, updates and deletes CORS configurations', async () => {
    const created = await sdk.createCORS({ method: 'GET', path: '/hello', allowedOrigins: ['http://example.com'] });
    assert.equal(created.corsId, 'GET%2Fhello');
    const updated = await sdk.updateCORS({ corsId: 'GET%2Fhello', method: 'GET', path: '/hello', allowCredentials: true });
    assert.equal(updated.allowCredentials, true);
    const raw = await call(api.url, 'GET', '/v1/spaces/sdkspace/cors/GET%2Fhello');
    assert.equal(raw.json<{ allowCredentials: boolean }>().allowCredentials, true);
    assert.deepEqual((await sdk.listCORS()).map((c) => c.corsId), ['GET%2Fhello']);
    await sdk.deleteCORS({ corsId: 'GET%2Fhello' });
    assert.deepEqual(await sdk.listCORS(), []);
  });
});
