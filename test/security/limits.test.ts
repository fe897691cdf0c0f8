import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, errorMessage, http } from '../helpers/http.js';

function headers(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v']));
}

function nested(depth: number): string {
  return `{"eventType":"e.t","cloudEventsVersion":"0.1","source":"/s","eventID":"1","data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
}

for (const [name, options, limits] of [
  ['the defaults', {}, { body: 256 * 1024, headers: 100, headerBytes: 16 * 1024, depth: 64, batch: 100, id: 256 }],
  ['configured limits', { maxBodyBytes: 1000, maxHeaders: 10, maxHeaderBytes: 2048, maxJsonDepth: 5, maxBatchSize: 3, maxIdLength: 20 },
    { body: 1000, headers: 10, headerBytes: 2048, depth: 5, batch: 3, id: 20 }],
] as const) {
  describe(`limits (docs/compatibility.md#limits): ${name}`, () => {
    let gw: RunningGateway;
    before(async () => {
      gw = await startTestGateway(options);
      await new ConfigClient(gw).eventType('e.t');
    });
    after(() => gw.close());

    it('answers a body over the limit with 413, and one at the limit normally', async () => {
      const over = await http(gw.eventsUrl, '/', { method: 'POST', body: 'x'.repeat(limits.body + 1) });
      assert.equal(over.status, 413);
      assert.match(errorMessage(over), /too large/);
      assert.equal((await http(gw.eventsUrl, '/', { method: 'POST', body: 'x'.repeat(limits.body) })).status, 202);
    });

    it('answers too many headers with 431 on both APIs', async () => {
      // The client adds Host and Connection itself.
      const over = await http(gw.eventsUrl, '/', { headers: headers(limits.headers) });
      assert.equal(over.status, 431);
      assert.match(errorMessage(over), /Header Fields Too Large/);
      assert.equal((await http(gw.eventsUrl, '/', { headers: headers(limits.headers - 2) })).status, 202);
      assert.equal((await http(gw.configUrl, '/v1/status', { headers: headers(limits.headers) })).status, 431);
    });

    it('answers headers over the size limit with 431', async () => {
      const res = await http(gw.eventsUrl, '/', { headers: { 'x-big': 'v'.repeat(limits.headerBytes + 10) } }).catch((e: Error) => e);
      assert.ok(!(res instanceof Error), 'the connection was answered, not dropped');
      assert.equal(res.status, 431);
    });

    it('answers JSON nested beyond the limit with 400 on both APIs', async () => {
      const ok = await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: nested(limits.depth - 1) });
      assert.equal(ok.status, 202);
      const deep = await http(gw.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: nested(limits.depth + 1) });
      assert.equal(deep.status, 400);
      assert.match(errorMessage(deep), new RegExp(`maximum depth of ${limits.depth}`));
      const config = await http(gw.configUrl, '/v1/spaces/default/eventtypes', { method: 'POST', body: `{"name":"x","metadata":${'['.repeat(limits.depth + 1)}` });
      assert.equal(config.status, 400);
      assert.match(errorMessage(config), new RegExp(`maximum depth of ${limits.depth}`));
    });

    it('answers a batch over the limit with 413', async () => {
      const event = (i: number) => ({ specversion: '1.0', id: String(i), source: '/s', type: 'e.t' });
      const over = await http(gw.eventsUrl, '/', {
        method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' },
        body: JSON.stringify(Array.from({ length: limits.batch + 1 }, (_, i) => event(i))),
      });
      assert.equal(over.status, 413);
      const at = await http(gw.eventsUrl, '/', {
        method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' },
        body: JSON.stringify(Array.from({ length: limits.batch }, (_, i) => event(i))),
      });
      assert.equal(at.status, 202);
    });

    it('answers ids over the limit with 400', async () => {
      const long = await call(gw.configUrl, 'POST', '/v1/spaces/default/functions', { functionId: 'f'.repeat(limits.id + 1), type: 'http', provider: { url: 'https://example.com/' } });
      assert.equal(long.status, 400);
      assert.match(errorMessage(long), /'max' tag/);
      const fits = await call(gw.configUrl, 'POST', '/v1/spaces/default/functions', { functionId: 'f'.repeat(limits.id), type: 'http', provider: { url: 'https://example.com/' } });
      assert.equal(fits.status, 201);
    });
  });
}
