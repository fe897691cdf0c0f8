import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CorsConfig, Subscription } from '../../../lib/core/model/types.js';
import { PathConflictError } from '../../../lib/core/pathtree/index.js';
import { RouteIndex } from '../../../lib/core/routing/index.js';

function sync(space: string, id: string, path: string, extra: Partial<Subscription> = {}): Subscription {
  return { space, subscriptionId: id, type: 'sync', eventType: 'http.request', functionId: 'f', path, method: 'GET', ...extra };
}

function cors(space: string, id: string, path: string, method = 'GET'): CorsConfig {
  return { space, corsId: id, method, path, allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: [], allowCredentials: false };
}

/** The conflict message `checkSyncPath` throws, or undefined when the path is free. */
function syncConflict(index: RouteIndex, path: string, method = 'GET', eventType = 'http.request'): string | undefined {
  try {
    index.checkSyncPath(method, eventType, path);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof PathConflictError, `expected a PathConflictError, got ${String(error)}`);
    return error.message;
  }
}

const corsIds = (index: RouteIndex, method: string) => [...index.corsOf(method)].map((c) => `${c.space}/${c.corsId}`);

describe('RouteIndex: what the config API checks new routes against', () => {
  it('finds conflicts with the sync subscriptions of the same method and event type, across spaces', () => {
    const index = RouteIndex.of({ subscription: [sync('default', 'a', '/users/:id')], cors: [] });
    assert.equal(syncConflict(index, '/users/:name'), 'parameter with different name ("id") already defined: for route: /users/:name');
    assert.equal(syncConflict(index, '/users/:id'), 'route /users/:id conflicts with existing route');
    assert.equal(syncConflict(index, '/users/:id/orders'), undefined);
    assert.equal(syncConflict(index, '/orders/:key'), undefined);
  });

  it('refuses a route that is invalid on its own, also where nothing is indexed yet', () => {
    const index = RouteIndex.of({ subscription: [sync('default', 'a', '/a')], cors: [] });
    assert.equal(syncConflict(index, '/*rest/more'), 'wildcard must be the last parameter');
    assert.equal(syncConflict(index, '/*rest/more', 'POST', 'nothing.here'), 'wildcard must be the last parameter');
    assert.equal(syncConflict(index, '/*rest', 'POST', 'nothing.here'), undefined);
  });

  it('keeps methods and event types apart and ignores async subscriptions', () => {
    const index = RouteIndex.of({
      subscription: [
        sync('default', 'a', '/items/:id'),
        sync('other', 'b', '/async/:id', { type: 'async' }),
      ],
      cors: [],
    });
    assert.equal(syncConflict(index, '/items/:key', 'POST'), undefined);
    assert.equal(syncConflict(index, '/items/:key', 'GET', 'user.created'), undefined);
    assert.equal(syncConflict(index, '/async/:key'), undefined);
    assert.notEqual(syncConflict(index, '/items/:key'), undefined);
  });

  it('lets the first of two conflicting stored routes stand, and the second count once the first is gone', () => {
    // Written before conflicts were refused: both are stored, only the first one is in the tree.
    const index = RouteIndex.of({
      subscription: [sync('default', 'first', '/legacy/:id'), sync('default', 'second', '/legacy/:key')],
      cors: [],
    });
    assert.equal(syncConflict(index, '/legacy/:other'), 'parameter with different name ("id") already defined: for route: /legacy/:other');
    index.apply({ kind: 'subscription', space: 'default', id: 'first' });
    assert.equal(syncConflict(index, '/legacy/:other'), 'parameter with different name ("key") already defined: for route: /legacy/:other');
  });

  it('applies created and deleted subscriptions to a tree it has already built', () => {
    const index = RouteIndex.of({ subscription: [sync('default', 'held', '/held')], cors: [] });
    assert.equal(syncConflict(index, '/a/:id'), undefined); // builds the tree of the group
    index.apply({ kind: 'subscription', space: 'other', id: 's', item: sync('other', 's', '/a/:id') });
    assert.equal(syncConflict(index, '/a/:name'), 'parameter with different name ("id") already defined: for route: /a/:name');
    index.apply({ kind: 'subscription', space: 'other', id: 's' });
    assert.equal(syncConflict(index, '/a/:name'), undefined);
    assert.equal(syncConflict(index, '/held'), 'route /held conflicts with existing route');
  });

  it('keeps the route of an update that does not change it, and moves one that does', () => {
    const index = RouteIndex.of({ subscription: [sync('default', 's', '/v/:id'), sync('default', 'later', '/v/:key')], cors: [] });
    index.apply({ kind: 'subscription', space: 'default', id: 's', item: sync('default', 's', '/v/:id', { functionId: 'g' }) });
    // Still the first of the two conflicting routes: the update kept its place.
    assert.equal(syncConflict(index, '/v/:name'), 'parameter with different name ("id") already defined: for route: /v/:name');
    index.apply({ kind: 'subscription', space: 'default', id: 'later' });
    index.apply({ kind: 'subscription', space: 'default', id: 's', item: sync('default', 's', '/w/:id') });
    assert.equal(syncConflict(index, '/v/:name'), undefined);
    assert.notEqual(syncConflict(index, '/w/:name'), undefined);
  });

  it('ignores deletes of unknown items and changes to event types and functions', () => {
    const index = RouteIndex.of({ subscription: [sync('default', 's', '/x/:id')], cors: [cors('default', 'c', '/x')] });
    index.apply({ kind: 'subscription', space: 'other', id: 's' });
    index.apply({ kind: 'cors', space: 'other', id: 'c' });
    index.apply({ kind: 'function', space: 'default', id: 's' });
    index.apply({ kind: 'eventtype', space: 'default', id: 'c', item: { space: 'default', name: 'c' } });
    assert.notEqual(syncConflict(index, '/x/:name'), undefined);
    assert.deepEqual(corsIds(index, 'GET'), ['default/c']);
  });

  it('lists the CORS configurations of a method in every space, following puts and deletes', () => {
    const index = RouteIndex.of({
      subscription: [],
      cors: [cors('default', 'a', '/a'), cors('other', 'b', '/b'), cors('default', 'p', '/p', 'POST')],
    });
    assert.deepEqual(corsIds(index, 'GET'), ['default/a', 'other/b']);
    assert.deepEqual(corsIds(index, 'POST'), ['default/p']);
    assert.deepEqual(corsIds(index, 'PUT'), []);

    const replaced = { ...cors('other', 'b', '/b'), allowCredentials: true };
    index.apply({ kind: 'cors', space: 'other', id: 'b', item: replaced });
    assert.deepEqual([...index.corsOf('GET')].find((c) => c.corsId === 'b'), replaced);
    index.apply({ kind: 'cors', space: 'default', id: 'a' });
    index.apply({ kind: 'cors', space: 'third', id: 'c', item: cors('third', 'c', '/c') });
    assert.deepEqual(corsIds(index, 'GET'), ['other/b', 'third/c']);
  });
});
