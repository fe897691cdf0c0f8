import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli, stopCli, type CliGateway } from '../helpers/cli.js';
import { call, http } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { eventually, Sink, type ReceivedRequest } from '../helpers/sink.js';

/**
 * The real CLI as a child process on its own data dir and fixed free ports, with an http function subscribed (async)
 * to `eventType` in space `default`: what the crash tests SIGKILL and start again.
 */
export interface CrashGateway {
  /** The subscribed http function. */
  fn: Sink;
  connectorUrl: string;
  current(): CliGateway;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts the CLI again on the same data dir and ports. */
  restart(): Promise<void>;
  createConnection(body: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export async function startCrashGateway(eventType: string): Promise<CrashGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'eg-crash-'));
  const fn = await Sink.start();
  // A function that takes a little time, so that a kill lands while records are in flight.
  fn.respond = (_req, res) => setTimeout(() => res.writeHead(200).end('{}'), 5);
  const ports = { configPort: await freePort(), eventsPort: await freePort() };
  const connectorPort = await freePort();
  const connectorUrl = `http://127.0.0.1:${connectorPort}`;
  const args = ['--data-dir', dataDir, '--connector-port', String(connectorPort)];
  const start = async (): Promise<CliGateway> => {
    const child = await startCli(args, ports);
    // The connections API listens a moment after the config API.
    await eventually(async () => (await call(connectorUrl, 'GET', '/v1/status').catch(() => ({ status: 0 }))).status === 200, 10_000, 'the connections API');
    return child;
  };
  let gateway: CliGateway | undefined = await start();

  const post = async (resource: string, body: unknown) => {
    const res = await call(gateway!.configUrl, 'POST', `/v1/spaces/default/${resource}`, body);
    assert.equal(res.status, 201, `${resource}: ${res.text}`);
  };
  await post('functions', { functionId: 'fn', type: 'http', provider: { url: fn.url } });
  await post('eventtypes', { name: eventType });
  await post('subscriptions', { type: 'async', eventType, functionId: 'fn' });
  // The router applies config changes from the store's change feed: wait until an event is delivered.
  await eventually(async () => {
    const probe = { eventType, eventID: 'probe', cloudEventsVersion: '0.1', source: 'urn:test:probe', contentType: 'application/json', data: {} };
    await http(gateway!.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(probe) });
    return fn.received.length > 0;
  }, 10_000, 'the subscription routed').catch((error: Error) => {
    throw new Error(`${error.message}; the gateway printed: ${gateway?.output()}`);
  });

  return {
    fn,
    connectorUrl,
    current: () => gateway!,
    async kill() {
      if (gateway) await stopCli(gateway.child, 'SIGKILL');
      gateway = undefined;
    },
    async restart() {
      gateway = await start();
    },
    async createConnection(body) {
      const res = await call(connectorUrl, 'POST', '/v1/spaces/default/connections', body);
      assert.equal(res.status, 201, res.text);
    },
    async close() {
      if (gateway) await stopCli(gateway.child, 'SIGKILL');
      await fn.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Checks what a crash test's function received: every key delivered at least once (checked by the caller's wait),
 * and each key's deliveries under one `webhook-id` and one event id. Answers the number of deliveries of keyed events.
 */
export function assertOneIdPerKey(received: readonly ReceivedRequest[], keyOf: (r: ReceivedRequest) => string | undefined, keys: readonly string[]): number {
  const webhookIds = new Map<string, Set<string>>();
  const eventIds = new Map<string, Set<string>>();
  let deliveries = 0;
  for (const r of received) {
    const key = keyOf(r);
    if (key === undefined) continue;
    deliveries++;
    (webhookIds.get(key) ?? webhookIds.set(key, new Set()).get(key)!).add(String(r.headers['webhook-id']));
    (eventIds.get(key) ?? eventIds.set(key, new Set()).get(key)!).add(String((r.json as { eventID?: string }).eventID));
  }
  for (const key of keys) {
    assert.equal(webhookIds.get(key)?.size, 1, `${key}: one webhook-id over its deliveries (${[...(webhookIds.get(key) ?? [])]})`);
    assert.equal(eventIds.get(key)?.size, 1, `${key}: one event id`);
  }
  return deliveries;
}
