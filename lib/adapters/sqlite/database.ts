import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Database from 'better-sqlite3';

// Loaded on first use, not at import: the router image (DynamoDB and SQS only) ships without the native module.
const requireDriver = createRequire(import.meta.url);
let driver: typeof Database | undefined;
function loadDriver(): typeof Database {
  driver ??= requireDriver('better-sqlite3') as typeof Database;
  return driver;
}

/** A better-sqlite3 connection, as returned by {@link openDatabase}. */
export type SqliteDatabase = Database.Database;

/** The one SQLite file of local mode: registry, durable queue and dead letters share it (docs/operations.md#flags). */
export const DATABASE_FILENAME = 'event-gateway.db';

/** @default 5000, the same budget the original gave one etcd operation (docs/compatibility.md#storage). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export type DatabaseOptions = (
  | {
      /** Folder of the local store (`--data-dir`); created when missing. Opens `<dataDir>/event-gateway.db`. */
      dataDir: string;
      filename?: never;
    }
  | {
      /** A file path, or `':memory:'` for a private in-memory database (tests). */
      filename: string;
      dataDir?: never;
    }
) & {
  /**
   * How long a statement waits for another connection's lock before failing with SQLITE_BUSY.
   * @default 5000
   */
  busyTimeoutMs?: number;
};

/**
 * Opens (creating if needed) the local-mode database, configured for one writer process:
 *
 * - `journal_mode = WAL`: readers never block the writer, and a commit is one append to the WAL.
 * - `synchronous = NORMAL`: in WAL mode a commit is not fsynced; the WAL is synced at checkpoints. The database
 *   can never be corrupted, and a crash of the *process* loses nothing, but a power loss or OS crash may roll back
 *   the last few commits. That is acceptable for configuration writes. `synchronous` is a per-connection setting:
 *   a component whose commits must survive power loss (the durable queue, whose 202 promises delivery) can run
 *   `db.pragma('synchronous = FULL')` on the connection it uses for those commits.
 * - a busy timeout, so a second process (or the CLI during a restart) waits for the lock instead of failing;
 * - `foreign_keys = ON`, which SQLite leaves off by default.
 *
 * The caller owns the returned connection and closes it, after every adapter using it is closed.
 */
export function openDatabase(options: DatabaseOptions): SqliteDatabase {
  const { dataDir, filename } = options;
  if ((dataDir === undefined) === (filename === undefined)) {
    throw new TypeError('openDatabase needs exactly one of dataDir and filename');
  }
  let path: string;
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    path = join(dataDir, DATABASE_FILENAME);
  } else {
    path = filename as string;
  }

  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const Driver = loadDriver();
  const db = new Driver(path, { timeout: busyTimeoutMs });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * `PRAGMA user_version` of a file whose schema is tracked in `schema_migrations`. A file with a higher number was
 * written by a newer build with a different bookkeeping, and is refused rather than misread.
 */
const MIGRATIONS_FORMAT = 1;

/**
 * Brings one component's tables (e.g. `'registry'`, `'queue'`) up to date.
 *
 * `steps` is the component's whole history, oldest first; each step is an SQL script (one or more statements, no
 * transaction control) run with `db.exec`. Never edit or reorder a released step: append a new one. The number of
 * steps applied so far is stored per component in the `schema_migrations` table, so components migrate
 * independently of each other, in any order. All pending steps run in one `BEGIN IMMEDIATE` transaction: they are
 * applied completely or not at all, and two processes migrating at once apply each step once.
 *
 * Throws when the file holds more steps than `steps` (it was written by a newer build).
 * Returns the number of steps applied by this call.
 */
export function migrate(db: SqliteDatabase, component: string, steps: readonly string[]): number {
  const run = db.transaction(() => {
    const format = db.pragma('user_version', { simple: true });
    if (typeof format !== 'number' || format > MIGRATIONS_FORMAT) {
      throw new Error(
        `${db.name}: unknown database format ${String(format)}; was it written by a newer event-gateway?`,
      );
    }
    if (format < MIGRATIONS_FORMAT) {
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT PRIMARY KEY, version INTEGER NOT NULL) STRICT',
      );
      db.pragma(`user_version = ${MIGRATIONS_FORMAT}`);
    }

    const row = db
      .prepare<[string], { version: number }>('SELECT version FROM schema_migrations WHERE component = ?')
      .get(component);
    const applied = row?.version ?? 0;
    if (applied > steps.length) {
      throw new Error(
        `${db.name}: the ${component} schema is at version ${applied}, but this build knows only ${steps.length}; ` +
          'was it written by a newer event-gateway?',
      );
    }
    for (const step of steps.slice(applied)) db.exec(step);
    if (applied < steps.length) {
      db.prepare<[string, number]>(
        'INSERT INTO schema_migrations (component, version) VALUES (?, ?) ' +
          'ON CONFLICT (component) DO UPDATE SET version = excluded.version',
      ).run(component, steps.length);
    }
    return steps.length - applied;
  });
  return run.immediate();
}

/** The number of steps of `component` applied to this file; 0 for a component never migrated. */
export function schemaVersion(db: SqliteDatabase, component: string): number {
  const format = db.pragma('user_version', { simple: true });
  if (format !== MIGRATIONS_FORMAT) return 0;
  const row = db
    .prepare<[string], { version: number }>('SELECT version FROM schema_migrations WHERE component = ?')
    .get(component);
  return row?.version ?? 0;
}
