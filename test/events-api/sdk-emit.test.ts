import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { routed } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { Sink } from '../helpers/sink.js';

interface Sdk {
  createEventType(p: object): Promise<unknown>;
  createFunction(p: object): Promise<unknown>;
  subscribe(p: object): Promise<{ subscriptionId: string }>;
  emit(event: object, options?: object): Promise<{ status: number }>;
}
const require = createRequire(import.meta.url);
const EventGateway = require('@serverless/event-gateway-sdk') as new (config: object) => Sdk;

describe('the official SDK\'s emit and subscribe against a started gateway', () => {
  let gw: RunningGateway;
  let sink: Sink;
  let sdk: Sdk;
  before(async () => {
    gw = await startTestGateway();
    sink = await Sink.start();
    sdk = new EventGateway({ url: gw.eventsUrl, configurationUrl: gw.configUrl });
  });
  after(async () => {
    await gw.close();
    await sink.close();
  });

  it('delivers an emitted CloudEvent to an async subscriber', async () => {
    await sdk.createEventType({ name: 'user.created' });
    await sdk.createFunction({ functionId: 'welcome', type: 'http', provider: { url: sink.url } });
    await sdk.subscribe({ type: 'async', eventType: 'user.created', functionId: 'welcome', path: '/users' });
    await routed(gw);
    const response = await sdk.emit(
      { eventType: 'user.created', eventID: '66dcaa69-d8a8-4a4b-93bd-1f8e2b4a6f33', cloudEventsVersion: '0.1', source: '/services/users', contentType: 'application/json', data: { name: 'Ann' } },
      { path: '/users' },
    );
    assert.equal(response.status, 202);
    const [delivered] = await sink.waitFor(1);
    assert.deepEqual(delivered!.json, {
      eventType: 'user.created', cloudEventsVersion: '0.1', source: '/services/users', eventID: '66dcaa69-d8a8-4a4b-93bd-1f8e2b4a6f33',
      contentType: 'application/json', data: { name: 'Ann' },
    });
  });

  it('surfaces a 400 for an invalid event through the SDK\'s error', async () => {
    await assert.rejects(sdk.emit({ eventType: 'user.created', data: {} }), /Failed to emit the event user\.created due the error: CloudEvent doesn't validate/);
  });
});
