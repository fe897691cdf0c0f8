import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REGISTRY_MIGRATIONS, SqliteRegistry } from '../../lib/adapters/registry/sqlite/index.js';
import { openDatabase, schemaVersion } from '../../lib/adapters/sqlite/index.js';
import { ReferenceMissingError, type RegistryChange } from '../../lib/ports/registry.js';
import { runRegistryContract } from '../contracts/registry.contract.js';

/** The contract's throwing listeners are expected: keep them out of the test output. */
const ignoreListenerErrors = () => undefined;

runRegistryContract('sqlite-memory', async () => {
  const db = openDatabase({ filename: ':memory:' });
  const registry = new SqliteRegistry(db, { onListenerError: ignoreListenerErrors });
  return {
    registry,
    async cleanup() {
      await registry.close();
      db.close();
    },
  };
});

runRegistryContract('sqlite-file', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'eg-registry-'));
  const db = openDatabase({ dataDir });
  const registry = new SqliteRegistry(db, { onListenerError: ignoreListenerErrors });
  return {
    registry,
    async cleanup() {
      await registry.close();
      db.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});

describe('SqliteRegistry', () => {
  it('keeps the items and the version when a data directory is closed and reopened', async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'eg-registry-')), 'nested', 'data');
    try {
      const first = openDatabase({ dataDir });
      const writer = new SqliteRegistry(first);
      await writer.create('eventtype', { space: 'default', name: 'user.created' });
      await writer.create('eventtype', { space: 'default', name: 'user.deleted' });
      await writer.put('function', {
        space: 'other',
        functionId: 'hello',
        type: 'http',
        provider: { url: 'http://127.0.0.1:9000/' },
      });
      await writer.delete('eventtype', 'default', 'user.deleted');
      const before = await writer.snapshot();
      assert.equal(before.version, 4);
      await writer.close();
      first.close();

      const second = openDatabase({ dataDir });
      const reader = new SqliteRegistry(second, { ownsDatabase: true });
      try {
        assert.deepEqual(await reader.snapshot(), before);
        assert.deepEqual(await reader.list('eventtype', 'default'), [{ space: 'default', name: 'user.created' }]);
        assert.deepEqual(await reader.get('function', 'other', 'hello'), {
          space: 'other',
          functionId: 'hello',
          type: 'http',
          provider: { url: 'http://127.0.0.1:9000/' },
        });
        await assert.rejects(
          reader.create('eventtype', { space: 'default', name: 'user.created' }),
          /eventtype default\/user\.created already exists/,
        );

        const changes: RegistryChange[] = [];
        reader.onChange((change) => changes.push(change));
        await reader.delete('eventtype', 'default', 'user.created');
        assert.deepEqual(changes, [{ kind: 'eventtype', space: 'default', id: 'user.created', version: 5 }]);
        assert.equal(schemaVersion(second, 'registry'), REGISTRY_MIGRATIONS.length);
      } finally {
        await reader.close();
      }
      assert.equal(second.open, false);
    } finally {
      await rm(join(dataDir, '..', '..'), { recursive: true, force: true });
    }
  });

  it('sees writes of another connection to the same file, with the shared version', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'eg-registry-'));
    const dbA = openDatabase({ dataDir });
    const dbB = openDatabase({ dataDir });
    try {
      const a = new SqliteRegistry(dbA);
      const b = new SqliteRegistry(dbB);
      await a.create('cors', {
        space: 'default',
        corsId: 'GET%2F',
        method: 'GET',
        path: '/',
        allowedOrigins: ['*'],
        allowedMethods: ['GET'],
        allowedHeaders: [],
        allowCredentials: false,
      });
      await assert.rejects(b.create('cors', (await a.get('cors', 'default', 'GET%2F'))!), /already exists/);
      await b.put('eventtype', { space: 'default', name: 'x' });
      assert.equal((await a.snapshot()).version, 2);
      assert.deepEqual(await a.list('eventtype', 'default'), [{ space: 'default', name: 'x' }]);
    } finally {
      dbA.close();
      dbB.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('checks the references and deletes in one transaction: another connection cannot write in between', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'eg-registry-'));
    const dbA = openDatabase({ dataDir });
    const dbB = openDatabase({ dataDir, busyTimeoutMs: 0 });
    try {
      const a = new SqliteRegistry(dbA);
      const b = new SqliteRegistry(dbB);
      await a.create('function', { space: 'default', functionId: 'f', type: 'http', provider: { url: 'http://127.0.0.1:9/' } });
      const subscription = {
        space: 'default',
        subscriptionId: 's',
        type: 'async',
        eventType: 'user.created',
        functionId: 'f',
        path: '/',
        method: 'POST',
      } as const;
      // An item the rule looks at, so that the rule runs inside the transaction.
      await a.create('subscription', { ...subscription, subscriptionId: 'other', functionId: 'g' });
      let racingWrite: Promise<void> | undefined;
      const result = await a.deleteUnlessReferenced('function', 'default', 'f', [
        {
          kind: 'subscription',
          references: (s) => {
            // Runs inside the delete's transaction: a referring write from the other connection must not land now.
            racingWrite ??= b.create('subscription', subscription, { requires: [{ kind: 'function', id: 'f' }] });
            return s.functionId === 'f';
          },
        },
      ]);
      assert.deepEqual(result, { outcome: 'deleted' });
      assert.ok(racingWrite, 'the rule ran');
      await assert.rejects(racingWrite, (error: unknown) => (error as { code?: string }).code === 'SQLITE_BUSY');
      // Once the delete has committed, the same write finds the function gone.
      await assert.rejects(
        b.create('subscription', subscription, { requires: [{ kind: 'function', id: 'f' }] }),
        ReferenceMissingError,
      );
      assert.equal(await b.get('subscription', 'default', 's'), undefined);
      assert.equal(await b.get('function', 'default', 'f'), undefined);
    } finally {
      dbA.close();
      dbB.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('reports a throwing listener to onListenerError with the change', async () => {
    const db = openDatabase({ filename: ':memory:' });
    const reported: [unknown, RegistryChange][] = [];
    const registry = new SqliteRegistry(db, {
      ownsDatabase: true,
      onListenerError: (error, change) => reported.push([error, change]),
    });
    const failure = new Error('listener failure');
    registry.onChange(() => {
      throw failure;
    });
    await registry.put('eventtype', { space: 'default', name: 'x' });
    assert.deepEqual(reported, [
      [failure, { kind: 'eventtype', space: 'default', id: 'x', item: { space: 'default', name: 'x' }, version: 1 }],
    ]);
    await registry.close();
  });

  it('delivers a change to the listeners before the write resolves', async () => {
    const db = openDatabase({ filename: ':memory:' });
    const registry = new SqliteRegistry(db, { ownsDatabase: true });
    const seen: number[] = [];
    registry.onChange((change) => seen.push(change.version));
    await registry.create('eventtype', { space: 'default', name: 'x' });
    assert.deepEqual(seen, [1]);
    await registry.close();
  });

  it('leaves a Database it does not own open, and rejects calls after close', async () => {
    const db = openDatabase({ filename: ':memory:' });
    const registry = new SqliteRegistry(db);
    await registry.close();
    assert.equal(db.open, true);
    await assert.rejects(registry.get('eventtype', 'default', 'x'), /the registry is closed/);
    await assert.rejects(registry.put('eventtype', { space: 'default', name: 'x' }), /the registry is closed/);
    db.close();
  });

  it('rolls back a write whose version cannot be bumped, and reports no change', async () => {
    const db = openDatabase({ filename: ':memory:' });
    const registry = new SqliteRegistry(db, { ownsDatabase: true });
    const changes: RegistryChange[] = [];
    registry.onChange((change) => changes.push(change));
    db.exec('DELETE FROM registry_version');
    await assert.rejects(registry.put('eventtype', { space: 'default', name: 'x' }), /registry_version has no row/);
    assert.equal(await registry.get('eventtype', 'default', 'x'), undefined);
    assert.deepEqual(changes, []);
    await registry.close();
  });
});
