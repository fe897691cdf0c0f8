import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SqliteRegistry } from '../../lib/adapters/registry/sqlite/index.js';
import { openDatabase, type SqliteDatabase } from '../../lib/adapters/sqlite/index.js';
import { ConfigService } from '../../lib/config-api/index.js';
import { HttpError } from '../../lib/core/errors/index.js';
import { parseSubscription } from '../../lib/core/model/index.js';
import type { Registry } from '../../lib/ports/registry.js';

/** The registry, counting its snapshots; `extra` overrides members. */
function counted(registry: Registry, extra: Partial<Registry> = {}): { registry: Registry; snapshots: () => number } {
  let snapshots = 0;
  const wrapped = new Proxy(registry, {
    get(target, key, receiver) {
      if (Object.hasOwn(extra, key)) return extra[key as keyof Registry];
      if (key === 'snapshot') {
        return () => {
          snapshots++;
          return target.snapshot();
        };
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { registry: wrapped, snapshots: () => snapshots };
}

function syncBody(path: string, method = 'GET'): string {
  return JSON.stringify({ type: 'sync', eventType: 'http.request', functionId: 'func', method, path });
}

async function rejectsWith(promise: Promise<unknown>, status: number, message: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HttpError, `expected an HttpError, got ${String(error)}`);
    assert.equal(error.statusCode, status);
    assert.equal(error.message, message);
    return true;
  });
}

describe('ConfigService: path conflict checks (docs/compatibility.md#path-conflicts, quirk Q9)', () => {
  let db: SqliteDatabase;
  let sqlite: SqliteRegistry;

  beforeEach(async () => {
    db = openDatabase({ filename: ':memory:' });
    sqlite = new SqliteRegistry(db);
    for (const space of ['default', 'other']) {
      await sqlite.create('eventtype', { space, name: 'http.request' });
      await sqlite.create('function', { space, functionId: 'func', type: 'http', provider: { url: 'http://127.0.0.1:9/' } });
    }
  });
  afterEach(async () => {
    await sqlite.close();
    db.close();
  });

  it('checks many sync creations against one snapshot of a single-process store, and still finds conflicts', async () => {
    const { registry, snapshots } = counted(sqlite);
    const service = new ConfigService(registry);
    for (let i = 0; i < 300; i++) await service.createSubscription('default', syncBody(`/load/s${i}/:id`));
    await rejectsWith(
      service.createSubscription('other', syncBody('/load/s7/:other')),
      400,
      'Subscription path conflict: parameter with different name ("id") already defined: for route: /load/s7/:other',
    );
    assert.equal(snapshots(), 1);
  });

  it('sees subscriptions written to the registry by another writer of the same process', async () => {
    const service = new ConfigService(sqlite);
    await service.createSubscription('default', syncBody('/first'));
    await sqlite.create('subscription', parseSubscription(syncBody('/users/:id'), { space: 'other' }));
    await rejectsWith(
      service.createSubscription('default', syncBody('/users/:name')),
      400,
      'Subscription path conflict: parameter with different name ("id") already defined: for route: /users/:name',
    );
  });

  it('accepts a path again once the subscription that held it is deleted', async () => {
    const service = new ConfigService(sqlite);
    const held = await service.createSubscription('default', syncBody('/items/:id'));
    await rejectsWith(
      service.createSubscription('default', syncBody('/items/:key')),
      400,
      'Subscription path conflict: parameter with different name ("id") already defined: for route: /items/:key',
    );
    await service.deleteSubscription('default', held.subscriptionId);
    assert.equal((await service.createSubscription('default', syncBody('/items/:key'))).path, '/items/:key');
  });

  it('keeps methods and event types apart, and ignores async subscriptions', async () => {
    const service = new ConfigService(sqlite);
    await service.createSubscription('default', syncBody('/orders/:id', 'GET'));
    await service.createSubscription('default', JSON.stringify({ type: 'async', eventType: 'http.request', functionId: 'func', method: 'POST', path: '/orders/:key' }));
    assert.equal((await service.createSubscription('default', syncBody('/orders/:key', 'POST'))).method, 'POST');
  });

  it('checks CORS paths against the configurations of the same method in every space', async () => {
    const { registry, snapshots } = counted(sqlite);
    const service = new ConfigService(registry);
    const cors = (path: string, origins: string[]) => JSON.stringify({ method: 'GET', path, allowedOrigins: origins });
    await service.createCors('default', cors('/shared/:id', ['*']));
    await service.createCors('other', cors('/shared/:id', ['*']));
    await rejectsWith(
      service.createCors('other', cors('/shared/:key', ['*'])),
      400,
      'CORS configuration path conflict: parameter with different name ("id") already defined: for route: /shared/:key',
    );
    await rejectsWith(
      service.createCors('default', JSON.stringify({ method: 'GET', path: '/strict', allowedOrigins: ['https://a.example'] }))
        .then(() => service.createCors('other', cors('/strict', ['*']))),
      400,
      'CORS configuration path conflict: route /strict conflicts with existing route in space "default"',
    );
    assert.equal(snapshots(), 1);
  });

  it('reads a fresh snapshot per check from a store whose change feed is eventual (shared by several processes)', async () => {
    const { registry, snapshots } = counted(sqlite, { changeFeed: 'eventual' });
    const service = new ConfigService(registry);
    await service.createSubscription('default', syncBody('/a'));
    await service.createSubscription('default', syncBody('/b'));
    assert.equal(snapshots(), 2);
  });
});
