import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, http } from '../helpers/http.js';
import { Sink } from '../helpers/sink.js';

// The Standard Webhooks reference implementation (npm `standardwebhooks`) verifies what the gateway signed.
describe('signed deliveries (docs/compatibility.md#signed-deliveries)', () => {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  let gw: RunningGateway;
  let sink: Sink;
  before(async () => {
    gw = await startTestGateway();
    sink = await Sink.start();
    const config = new ConfigClient(gw);
    await config.eventType('order.placed');
    await config.httpFunction('signed', sink.url, { signingSecret: secret });
    await config.httpFunction('unsigned', sink.url);
    await config.subscribe({ type: 'async', eventType: 'order.placed', functionId: 'signed' });
    await config.subscribe({ type: 'async', eventType: 'order.placed', functionId: 'unsigned' });
  });
  after(async () => {
    await gw.close();
    await sink.close();
  });

  it('signs deliveries to a function with a signing secret so the reference implementation verifies them', async () => {
    const res = await http(gw.eventsUrl, '/', {
      method: 'POST', headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ eventType: 'order.placed', cloudEventsVersion: '0.1', source: '/shop', eventID: 'o-1', data: { total: 10 } }),
    });
    assert.equal(res.status, 202);
    const received = await sink.waitFor(2);
    const signed = received.find((r) => r.headers['webhook-signature'] !== undefined);
    const unsigned = received.find((r) => r.headers['webhook-signature'] === undefined);
    assert.ok(signed, 'one delivery is signed');
    assert.ok(unsigned, 'the function without a secret gets no signature');
    assert.equal(typeof unsigned.headers['webhook-id'], 'string', 'but still a webhook-id');
    assert.equal(unsigned.headers['webhook-timestamp'], undefined);

    const headers = {
      'webhook-id': String(signed.headers['webhook-id']),
      'webhook-timestamp': String(signed.headers['webhook-timestamp']),
      'webhook-signature': String(signed.headers['webhook-signature']),
    };
    const verified = new Webhook(secret).verify(signed.body, headers) as { eventID: string };
    assert.equal(verified.eventID, 'o-1');
    assert.throws(() => new Webhook(secret).verify(`${signed.body} `, headers), 'a changed body fails verification');
    assert.throws(() => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(signed.body, headers), 'another secret fails');
  });

  it('never returns the signing secret', async () => {
    const res = await call(gw.configUrl, 'GET', '/v1/spaces/default/functions/signed');
    assert.equal(res.json<{ provider: { signingSecret: string } }>().provider.signingSecret, '********');
    assert.ok(!res.text.includes(secret.slice(6)));
  });
});
