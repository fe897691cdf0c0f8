import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SqliteRegistry } from '../../lib/adapters/registry/sqlite/index.js';
import { openDatabase } from '../../lib/adapters/sqlite/index.js';
import { functionsWithAuth } from './fixtures.js';

describe('provider.auth in the SQLite registry', () => {
  it('stores every auth type, secrets included, and gives it back unchanged', async () => {
    const db = openDatabase({ filename: ':memory:' });
    const registry = new SqliteRegistry(db);
    try {
      const functions = functionsWithAuth();
      for (const fn of functions) await registry.create('function', fn);

      for (const fn of functions) assert.deepEqual(await registry.get('function', 'default', fn.functionId), fn);
      const snapshot = await registry.snapshot();
      assert.deepEqual(snapshot.function, [...functions].sort((a, b) => (a.functionId < b.functionId ? 1 : -1)));
    } finally {
      await registry.close();
      db.close();
    }
  });
});
