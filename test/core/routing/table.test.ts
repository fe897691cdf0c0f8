import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CorsConfig, EventType, FunctionConfig, Subscription } from '../../../lib/core/model/types.js';
import { RoutingTable, type RoutingConfig } from '../../../lib/core/routing/index.js';

function subscription(space: string, id: string, fields: Partial<Subscription> = {}): Subscription {
  return { space, subscriptionId: id, type: 'async', eventType: 'user.created', functionId: 'f', path: '/', method: 'POST', ...fields };
}

function cors(space: string, id: string, path: string, fields: Partial<CorsConfig> = {}): CorsConfig {
  return {
    space,
    corsId: id,
    method: 'GET',
    path,
    allowedOrigins: ['https://a.example'],
    allowedMethods: ['GET'],
    allowedHeaders: [],
    allowCredentials: false,
    ...fields,
  };
}

function fn(space: string, functionId: string): FunctionConfig {
  return { space, functionId, type: 'http', provider: { url: `http://127.0.0.1:9/${functionId}` } };
}

function table(config: Partial<RoutingConfig>): RoutingTable {
  return new RoutingTable({ eventtype: [], function: [], subscription: [], cors: [], ...config });
}

const ids = (subscriptions: readonly Subscription[]) => subscriptions.map((s) => `${s.space}/${s.subscriptionId}`);

describe('RoutingTable', () => {
  describe('sync routes', () => {
    const routes = table({
      subscription: [
        subscription('default', 'root', { type: 'sync', eventType: 'http.request', path: '/', method: 'GET' }),
        subscription('default', 'user', { type: 'sync', eventType: 'http.request', path: '/users/:id', method: 'GET' }),
        subscription('other', 'files', { type: 'sync', eventType: 'http.request', path: '/files/*rest', method: 'GET' }),
      ],
    });

    it('matches a path pattern of the same method and event type, with its parameters', () => {
      const match = routes.matchSync('GET', '/users/42', 'http.request');
      assert.equal(match?.subscription.subscriptionId, 'user');
      assert.deepEqual({ ...match?.params }, { id: '42' });
      const files = routes.matchSync('GET', '/files/a/b.txt', 'http.request');
      assert.equal(files?.subscription.space, 'other');
      assert.deepEqual({ ...files?.params }, { rest: 'a/b.txt' });
    });

    it('matches the root route with null parameters', () => {
      const match = routes.matchSync('GET', '/', 'http.request');
      assert.equal(match?.subscription.subscriptionId, 'root');
      assert.equal(match?.params, null);
    });

    it('does not match another method, another event type or an unknown path', () => {
      assert.equal(routes.matchSync('POST', '/users/42', 'http.request'), undefined);
      assert.equal(routes.matchSync('GET', '/users/42', 'user.created'), undefined);
      assert.equal(routes.matchSync('GET', '/users/42/orders', 'http.request'), undefined);
    });

    it('keeps the first of two conflicting routes by (space, id), whatever the storage order, and reports the other', () => {
      const first = subscription('a-space', 'z', { type: 'sync', path: '/x/:id', method: 'GET' });
      const second = subscription('b-space', 'a', { type: 'sync', path: '/x/:key', method: 'GET' });
      for (const order of [[first, second], [second, first]]) {
        const built = table({ subscription: order });
        assert.equal(built.matchSync('GET', '/x/1', 'user.created')?.subscription, first);
        assert.deepEqual(built.shadowed, [
          'sync subscription b-space/a: parameter with different name ("id") already defined: for route: /x/:key',
        ]);
      }
    });
  });

  describe('async routes', () => {
    it('matches the exact (method, path, event type), every space, in (space, id) order', () => {
      const routes = table({
        subscription: [
          subscription('other', 'b'),
          subscription('default', 'c'),
          subscription('default', 'a'),
          subscription('default', 'param', { path: '/users/:id' }),
          subscription('default', 'get', { method: 'GET' }),
        ],
      });
      assert.deepEqual(ids(routes.matchAsync('POST', '/', 'user.created')), ['default/a', 'default/c', 'other/b']);
      assert.deepEqual(ids(routes.matchAsync('POST', '/users/:id', 'user.created')), ['default/param']);
      assert.deepEqual(ids(routes.matchAsync('POST', '/users/1', 'user.created')), [], 'no pattern matching');
      assert.deepEqual(ids(routes.matchAsync('GET', '/', 'user.created')), ['default/get']);
      assert.deepEqual(ids(routes.matchAsync('POST', '/', 'user.deleted')), []);
    });
  });

  describe('CORS', () => {
    it('matches a configuration by method and path pattern, compiled', () => {
      const config = cors('default', 'c', '/users/:id');
      const routes = table({ cors: [config, cors('default', 'p', '/users/:id', { method: 'POST', allowedOrigins: ['*'] })] });
      const match = routes.matchCors('GET', '/users/7');
      assert.equal(match?.config, config);
      assert.equal(match?.compiled.anyOrigin, false);
      assert.ok(match?.compiled.origins.has('https://a.example'));
      assert.equal(routes.matchCors('POST', '/users/7')?.compiled.anyOrigin, true);
      assert.equal(routes.matchCors('PUT', '/users/7'), undefined);
      assert.equal(routes.matchCors('GET', '/orders/7'), undefined);
    });

    it('keeps the first of two conflicting configurations by (space, id) and reports the other', () => {
      const routes = table({ cors: [cors('b', 'x', '/a/:key'), cors('a', 'y', '/a/:id')] });
      assert.equal(routes.matchCors('GET', '/a/1')?.config.space, 'a');
      assert.deepEqual(routes.shadowed, ['CORS configuration b/x: parameter with different name ("id") already defined: for route: /a/:key']);
    });
  });

  describe('lookups by space', () => {
    const eventTypes: EventType[] = [
      { space: 'default', name: 'user.created', authorizerId: 'auth' },
      { space: 'default', name: 'user.deleted', authorizerId: '' },
      { space: 'other', name: 'user.created' },
    ];
    const routes = table({
      eventtype: eventTypes,
      function: [fn('default', 'f'), fn('other', 'g')],
      subscription: [subscription('other', 's')],
    });

    it('finds event types, functions and subscriptions in their own space only', () => {
      assert.equal(routes.eventType('default', 'user.created'), eventTypes[0]);
      assert.equal(routes.eventType('other', 'user.created'), eventTypes[2]);
      assert.equal(routes.eventType('third', 'user.created'), undefined);
      assert.equal(routes.function('default', 'f')?.functionId, 'f');
      assert.equal(routes.function('default', 'g'), undefined);
      assert.equal(routes.subscription('other', 's')?.subscriptionId, 's');
      assert.equal(routes.subscription('default', 's'), undefined);
    });

    it('lists the spaces that define an event type', () => {
      assert.deepEqual(routes.spacesDefining('user.created').sort(), ['default', 'other']);
      assert.deepEqual(routes.spacesDefining('user.deleted'), ['default']);
      assert.deepEqual(routes.spacesDefining('nothing'), []);
    });

    it('says whether an event type names an authorizer, an empty id included', () => {
      assert.equal(routes.hasAuthorizer('default', 'user.created'), true);
      assert.equal(routes.hasAuthorizer('default', 'user.deleted'), true);
      assert.equal(routes.hasAuthorizer('other', 'user.created'), false);
      assert.equal(routes.hasAuthorizer('default', 'missing'), false);
    });
  });

  describe('system event subscribers', () => {
    const invoked = 'eventgateway.function.invoked';
    const routes = table({
      subscription: [
        subscription('default', 'b', { eventType: invoked }),
        subscription('default', 'a', { eventType: invoked }),
        subscription('other', 'c', { eventType: invoked }),
        subscription('default', 'path', { eventType: 'eventgateway.event.received', path: '/elsewhere' }),
        subscription('default', 'get', { eventType: 'eventgateway.event.received', method: 'GET' }),
        subscription('default', 'plain', { eventType: 'user.created' }),
      ],
    });

    it('are the async subscriptions on POST / of a system event type, by space', () => {
      assert.equal(routes.hasSystemSubscribers(invoked), true);
      assert.deepEqual(ids(routes.systemSubscribersIn(invoked, 'default')), ['default/a', 'default/b']);
      assert.deepEqual(ids(routes.systemSubscribersIn(invoked, 'other')), ['other/c']);
      assert.deepEqual(ids(routes.systemSubscribersIn(invoked, 'third')), []);
    });

    it('leave out other paths, other methods and ordinary event types', () => {
      assert.equal(routes.hasSystemSubscribers('eventgateway.event.received'), false);
      assert.equal(routes.hasSystemSubscribers('user.created'), false);
      assert.deepEqual(ids(routes.matchAsync('POST', '/', 'user.created')), ['default/plain']);
    });
  });

  describe('content filters', () => {
    const event = { specversion: '1.0', id: '1', source: 's', type: 'user.created', data: { plan: 'pro' } } as const;
    const routes = table({
      subscription: [
        subscription('default', 'all'),
        subscription('default', 'pro', { filter: { data: { plan: ['pro'] } } }),
        subscription('default', 'free', { filter: { data: { plan: ['free'] } } }),
        subscription('default', 'broken', { filter: { data: { plan: 'pro' } } }),
      ],
    });
    const subscriber = (id: string) => routes.matchAsync('POST', '/', 'user.created').find((s) => s.subscriptionId === id)!;

    it('still match on the route alone, and admit an event only when the filter matches it', () => {
      assert.deepEqual(ids(routes.matchAsync('POST', '/', 'user.created')), ['default/all', 'default/broken', 'default/free', 'default/pro']);
      assert.equal(routes.admits(subscriber('all'), event), true);
      assert.equal(routes.admits(subscriber('pro'), event), true);
      assert.equal(routes.admits(subscriber('free'), event), false);
    });

    it('admit nothing for a stored filter the compiler refuses, and name it', () => {
      assert.equal(routes.admits(subscriber('broken'), event), false);
      assert.deepEqual(routes.invalidFilters, ['async subscription default/broken: invalid filter at "data.plan": a field must be an array of values or an object']);
    });

    it('are compiled when the table is built: a filter changed on the stored object afterwards does not count', () => {
      const pro = subscriber('pro');
      (pro as { filter?: unknown }).filter = { data: { plan: ['free'] } };
      assert.equal(routes.admits(pro, event), true);
    });
  });

  it('describes its sync and async routes', () => {
    const routes = table({
      subscription: [
        subscription('default', 's', { type: 'sync', eventType: 'http.request', path: '/u/:id', method: 'GET' }),
        subscription('other', 'a', { functionId: 'g' }),
      ],
    });
    assert.deepEqual(routes.describe().split('\n'), [
      'sync  GET /u/:id http.request → default/f',
      'async POST / user.created → other/g',
    ]);
  });
});
