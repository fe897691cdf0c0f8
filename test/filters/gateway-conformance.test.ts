import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { CONFORMANCE_EVENT_TYPE, deliveredEvent, MATCH_CASES, type MatchCase } from '../core/filter/conformance-cases.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { http } from '../helpers/http.js';
import { Sink } from '../helpers/sink.js';

/**
 * The conformance table through a started local gateway, batched: case i gets two async subscriptions on the path
 * `/c<i>`, one with the case's pattern as its filter (function `filtered`) and one without (function `control`). One
 * event per case is emitted; every control delivery arrives, and the filtered one arrives exactly when the case
 * says it matches. The router counts what a filter held back, so once every emit was answered the outcome is known.
 */
describe('Conformance table through a started local gateway', () => {
  let gw: RunningGateway;
  let sink: Sink;
  const subscriptionIds: string[] = [];

  before(async () => {
    gw = await startTestGateway();
    sink = await Sink.start();
    const config = new ConfigClient(gw);
    await config.eventType(CONFORMANCE_EVENT_TYPE);
    await config.httpFunction('filtered', `${sink.url}filtered`);
    await config.httpFunction('control', `${sink.url}control`);
    for (const [i, c] of MATCH_CASES.entries()) {
      subscriptionIds.push(await config.subscribe({ type: 'async', eventType: CONFORMANCE_EVENT_TYPE, functionId: 'filtered', path: `/c${i}`, filter: c.pattern }));
      await config.subscribe({ type: 'async', eventType: CONFORMANCE_EVENT_TYPE, functionId: 'control', path: `/c${i}` });
    }
  });
  after(async () => {
    await gw?.close();
    await sink?.close();
  });

  it('delivers exactly the events whose case matches, and counts the others per subscription', async () => {
    for (const [i, c] of MATCH_CASES.entries()) {
      const res = await emit(gw, `/c${i}`, c, `case-${i}`);
      assert.equal(res.status, 202, `case ${i} (${c.name}): ${res.status} ${res.text}`);
    }

    const expectedDeliveries = MATCH_CASES.length + MATCH_CASES.filter((c) => c.match).length;
    await sink.waitFor(expectedDeliveries, 30_000);
    const filteredOut = await filteredCounts(gw);
    const delivered = new Set(sink.received.filter((r) => r.url === '/filtered').map((r) => (r.json as { id?: string; eventID?: string }).id ?? (r.json as { eventID: string }).eventID));
    const wrong: string[] = [];
    for (const [i, c] of MATCH_CASES.entries()) {
      const got = delivered.has(`case-${i}`);
      const held = filteredOut.get(subscriptionIds[i]!) ?? 0;
      if (got !== c.match || held !== (c.match ? 0 : 1)) wrong.push(`case ${i} "${c.name}": expected ${c.match}, delivered ${got}, filtered-out count ${held}`);
    }
    assert.deepEqual(wrong, []);
    assert.equal(sink.received.length, expectedDeliveries, 'no delivery beyond the expected ones');
  });

  it('delivers the event the table models: the control copy of every case is the table\'s delivered event', () => {
    const controls = new Map(sink.received.filter((r) => r.url === '/control').map((r) => {
      const event = r.json as { id?: string; eventID?: string };
      return [event.id ?? event.eventID, event] as const;
    }));
    for (const [i, c] of MATCH_CASES.entries()) {
      assert.deepEqual(controls.get(`case-${i}`), deliveredEvent(c.event, `case-${i}`), `case ${i}: ${c.name}`);
    }
  });
});

/** Emits a case's event in structured mode, in its own version. */
function emit(gw: RunningGateway, path: string, c: MatchCase, id: string) {
  const body = JSON.stringify(deliveredEvent(c.event, id));
  return http(gw.eventsUrl, path, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body });
}

/** `eventgateway_events_filtered_total` by subscription id, from the config API's metrics. */
async function filteredCounts(gw: RunningGateway): Promise<Map<string, number>> {
  const res = await http(gw.configUrl, '/v1/metrics');
  const counts = new Map<string, number>();
  for (const line of res.text.split('\n')) {
    const m = /^eventgateway_events_filtered_total\{([^}]*)\}\s+(\S+)$/.exec(line);
    const id = m && /subscription_id="([^"]*)"/.exec(m[1]!)?.[1];
    if (m && id) counts.set(id, (counts.get(id) ?? 0) + Number(m[2]));
  }
  return counts;
}
