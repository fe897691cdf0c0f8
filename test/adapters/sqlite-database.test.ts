import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DATABASE_FILENAME, migrate, openDatabase, schemaVersion } from '../../lib/adapters/sqlite/index.js';
import type { SqliteDatabase } from '../../lib/adapters/sqlite/index.js';

async function withDataDir(body: (dataDir: string) => Promise<void> | void): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'eg-sqlite-'));
  try {
    await body(join(root, 'data'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function tableNames(db: SqliteDatabase): string[] {
  return db
    .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .pluck()
    .all();
}

describe('openDatabase', () => {
  it('creates the data directory and opens event-gateway.db in WAL mode', async () => {
    await withDataDir((dataDir) => {
      const db = openDatabase({ dataDir });
      try {
        assert.equal(db.name, join(dataDir, DATABASE_FILENAME));
        assert.equal(existsSync(join(dataDir, 'event-gateway.db')), true);
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        assert.equal(db.pragma('synchronous', { simple: true }), 1);
        assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
        assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
      } finally {
        db.close();
      }
    });
  });

  it('takes the busy timeout from the options', () => {
    const db = openDatabase({ filename: ':memory:', busyTimeoutMs: 250 });
    assert.equal(db.pragma('busy_timeout', { simple: true }), 250);
    assert.equal(db.memory, true);
    db.close();
  });

  it('needs exactly one of dataDir and filename', () => {
    assert.throws(() => openDatabase({} as { filename: string }), /exactly one of dataDir and filename/);
    assert.throws(
      () => openDatabase({ dataDir: 'x', filename: 'y' } as unknown as { filename: string }),
      /exactly one of dataDir and filename/,
    );
  });
});

describe('migrate', () => {
  const steps = ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER); INSERT INTO b VALUES (1)'];

  it('applies each step once and only the new steps on a later run', () => {
    const db = openDatabase({ filename: ':memory:' });
    assert.equal(migrate(db, 'test', steps.slice(0, 1)), 1);
    assert.equal(migrate(db, 'test', steps.slice(0, 1)), 0);
    assert.equal(migrate(db, 'test', steps), 1);
    assert.equal(migrate(db, 'test', steps), 0);
    assert.equal(schemaVersion(db, 'test'), 2);
    assert.deepEqual(db.prepare('SELECT y FROM b').pluck().all(), [1]);
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    db.close();
  });

  it('tracks components independently', () => {
    const db = openDatabase({ filename: ':memory:' });
    migrate(db, 'one', ['CREATE TABLE one_t (x INTEGER)']);
    migrate(db, 'two', ['CREATE TABLE two_t (x INTEGER)', 'CREATE TABLE two_u (x INTEGER)']);
    assert.equal(schemaVersion(db, 'one'), 1);
    assert.equal(schemaVersion(db, 'two'), 2);
    assert.equal(schemaVersion(db, 'three'), 0);
    assert.deepEqual(tableNames(db), ['one_t', 'schema_migrations', 'two_t', 'two_u']);
    db.close();
  });

  it('rolls back every pending step when one fails', () => {
    const db = openDatabase({ filename: ':memory:' });
    migrate(db, 'test', steps.slice(0, 1));
    assert.throws(() => migrate(db, 'test', [...steps, 'CREATE TABLE broken (']), /incomplete input|syntax error/);
    assert.equal(schemaVersion(db, 'test'), 1);
    assert.deepEqual(tableNames(db), ['a', 'schema_migrations']);
    db.close();
  });

  it('refuses a file migrated by a newer build', async () => {
    await withDataDir((dataDir) => {
      const db = openDatabase({ dataDir });
      try {
        migrate(db, 'test', steps);
        assert.throws(
          () => migrate(db, 'test', steps.slice(0, 1)),
          /the test schema is at version 2, but this build knows only 1/,
        );
        db.pragma('user_version = 7');
        assert.throws(() => migrate(db, 'test', steps), /unknown database format 7/);
      } finally {
        db.close();
      }
    });
  });
});
