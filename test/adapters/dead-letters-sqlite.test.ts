import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SqliteDeadLetterStore } from '../../lib/adapters/dead-letters/sqlite/index.js';
import { SqliteDeliveryQueue } from '../../lib/adapters/queue/sqlite/index.js';
import { REGISTRY_MIGRATIONS, SqliteRegistry } from '../../lib/adapters/registry/sqlite/index.js';
import { openDatabase, schemaVersion } from '../../lib/adapters/sqlite/index.js';
import type { DeadLetterRecord } from '../../lib/ports/dead-letter-store.js';
import { runDeadLetterStoreContract } from '../contracts/dead-letter-store.contract.js';

runDeadLetterStoreContract('sqlite', async () => {
  const db = openDatabase({ filename: ':memory:' });
  const store = new SqliteDeadLetterStore(db);
  return {
    store,
    async cleanup() {
      await store.close();
      db.close();
    },
  };
});

function makeRecord(id: string, deadAt: number): DeadLetterRecord {
  return {
    item: {
      id,
      space: 'default',
      subscriptionId: 'subscription',
      functionId: 'function',
      eventType: 'user.created',
      event: JSON.stringify({ id }),
      system: false,
      acceptedAt: deadAt - 1000,
    },
    attempts: 1,
    firstAttemptAt: deadAt - 500,
    lastAttemptAt: deadAt - 10,
    deadAt,
    lastError: { message: 'HTTP status code: 400', status: 400 },
  };
}

describe('SqliteDeadLetterStore', () => {
  it('[sqlite] keeps its records across a reopen, in a file it shares with the registry and the queue', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'eg-deadletters-'));
    try {
      const first = openDatabase({ dataDir });
      const registry = new SqliteRegistry(first);
      const queue = new SqliteDeliveryQueue(first);
      const store = new SqliteDeadLetterStore(first);
      await registry.create('eventtype', { space: 'default', name: 'user.created' });
      await queue.enqueue([makeRecord('queued', 1).item]);
      await store.put(makeRecord('dead', 1_700_000_000_000));
      await Promise.all([registry.close(), queue.close(), store.close()]);
      first.close();

      const second = openDatabase({ dataDir });
      try {
        const reopened = new SqliteDeadLetterStore(second);
        assert.deepEqual(await reopened.get('default', 'dead'), makeRecord('dead', 1_700_000_000_000));
        assert.equal(await reopened.count(), 1);
        assert.equal(schemaVersion(second, 'deadletters'), 1);
        assert.equal(schemaVersion(second, 'queue'), 2);
        assert.equal(schemaVersion(second, 'registry'), REGISTRY_MIGRATIONS.length);
        const queue = new SqliteDeliveryQueue(second);
        assert.equal(await queue.pending(), 1);
        await Promise.all([queue.close(), reopened.close()]);
      } finally {
        second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('[sqlite] rejects a deadAt that is not whole milliseconds, and a limit below 1', async () => {
    const db = openDatabase({ filename: ':memory:' });
    try {
      const store = new SqliteDeadLetterStore(db);
      await assert.rejects(store.put(makeRecord('fraction', 1.5)), TypeError);
      await assert.rejects(store.list('default', {}, { limit: 0 }), RangeError);
      assert.equal(await store.count(), 0);
    } finally {
      db.close();
    }
  });

  it('[sqlite] rejects calls once closed', async () => {
    const db = openDatabase({ filename: ':memory:' });
    try {
      const store = new SqliteDeadLetterStore(db);
      await store.close();
      await assert.rejects(store.count(), /the dead-letter store is closed/);
    } finally {
      db.close();
    }
  });
});
