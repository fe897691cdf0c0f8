import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call } from '../helpers/http.js';
import { scrape, sample } from './scrape.js';

const GAUGES = {
  eventtypes: 'eventgateway_eventtypes_total',
  functions: 'eventgateway_functions_total',
  subscriptions: 'eventgateway_subscriptions_total',
  cors: 'eventgateway_cors_total',
} as const;

async function created(gw: RunningGateway, space: string, resource: string, body: object): Promise<string> {
  const res = await call(gw.configUrl, 'POST', `/v1/spaces/${space}/${resource}`, body);
  assert.equal(res.status, 201, res.text);
  return res.text;
}

async function deleted(gw: RunningGateway, space: string, resource: string, id: string): Promise<void> {
  const res = await call(gw.configUrl, 'DELETE', `/v1/spaces/${space}/${resource}/${id}`);
  assert.equal(res.status, 204, `${resource}/${id}: ${res.text}`);
}

const fn = (functionId: string) => ({ functionId, type: 'http', provider: { url: 'http://127.0.0.1:9/' } });
const sub = (path: string) => ({ type: 'async', eventType: 'a', functionId: 'f1', path });
const cors = (path: string) => ({ method: 'GET', path });

describe('the config gauges', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eg-gauges-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('count what the store holds from the first scrape after a restart, through a create and two deletes', async () => {
    const first = await startTestGateway({ dataDir });
    try {
      for (const name of ['a', 'b', 'c']) await created(first, 'default', 'eventtypes', { name });
      for (let i = 1; i <= 9; i++) await created(first, 'default', 'functions', fn(`f${i}`));
      for (const path of ['/s1', '/s2', '/s3']) await created(first, 'default', 'subscriptions', sub(path));
      for (const path of ['/c1', '/c2', '/c3']) await created(first, 'default', 'cors', cors(path));
      await created(first, 'other', 'functions', fn('lonely'));
    } finally {
      await first.close();
    }

    const gw = await startTestGateway({ dataDir });
    try {
      const atStart = await scrape(gw.configUrl);
      assert.equal(sample(atStart, `${GAUGES.eventtypes}{space="default"}`), 3);
      assert.equal(sample(atStart, `${GAUGES.functions}{space="default"}`), 9);
      assert.equal(sample(atStart, `${GAUGES.functions}{space="other"}`), 1);
      assert.equal(sample(atStart, `${GAUGES.subscriptions}{space="default"}`), 3);
      assert.equal(sample(atStart, `${GAUGES.cors}{space="default"}`), 3);

      await created(gw, 'default', 'eventtypes', { name: 'd' });
      await created(gw, 'default', 'functions', fn('f10'));
      const s4 = JSON.parse(await created(gw, 'default', 'subscriptions', sub('/s4'))) as { subscriptionId: string };
      const c4 = JSON.parse(await created(gw, 'default', 'cors', cors('/c4'))) as { corsId: string };
      const afterCreate = await scrape(gw.configUrl);
      assert.equal(sample(afterCreate, `${GAUGES.eventtypes}{space="default"}`), 4);
      assert.equal(sample(afterCreate, `${GAUGES.functions}{space="default"}`), 10);
      assert.equal(sample(afterCreate, `${GAUGES.subscriptions}{space="default"}`), 4);
      assert.equal(sample(afterCreate, `${GAUGES.cors}{space="default"}`), 4);

      const subs = (await call(gw.configUrl, 'GET', '/v1/spaces/default/subscriptions')).json<{ subscriptions: { subscriptionId: string; path: string }[] }>();
      const corsList = (await call(gw.configUrl, 'GET', '/v1/spaces/default/cors')).json<{ cors: { corsId: string; path: string }[] }>();
      const subId = (path: string) => subs.subscriptions.find((s) => s.path === path)!.subscriptionId;
      const corsId = (path: string) => corsList.cors.find((c) => c.path === path)!.corsId;
      assert.ok(s4.subscriptionId && c4.corsId);
      for (const name of ['b', 'c']) await deleted(gw, 'default', 'eventtypes', name);
      for (const id of ['f8', 'f9']) await deleted(gw, 'default', 'functions', id);
      for (const path of ['/s2', '/s3']) await deleted(gw, 'default', 'subscriptions', subId(path));
      for (const path of ['/c2', '/c3']) await deleted(gw, 'default', 'cors', corsId(path));
      await deleted(gw, 'other', 'functions', 'lonely');

      const afterDeletes = await scrape(gw.configUrl);
      assert.equal(sample(afterDeletes, `${GAUGES.eventtypes}{space="default"}`), 2);
      assert.equal(sample(afterDeletes, `${GAUGES.functions}{space="default"}`), 8);
      assert.equal(sample(afterDeletes, `${GAUGES.subscriptions}{space="default"}`), 2);
      assert.equal(sample(afterDeletes, `${GAUGES.cors}{space="default"}`), 2);
      // The space's last function went: its series stays, at 0 (never negative).
      assert.equal(sample(afterDeletes, `${GAUGES.functions}{space="other"}`), 0);
    } finally {
      await gw.close();
    }
  });
});
