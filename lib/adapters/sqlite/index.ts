export { DATABASE_FILENAME, DEFAULT_BUSY_TIMEOUT_MS, migrate, openDatabase, schemaVersion } from './database.js';
export type { DatabaseOptions, SqliteDatabase } from './database.js';
