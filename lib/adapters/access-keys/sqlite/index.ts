export { ACCESS_KEY_MIGRATIONS, SqliteAccessKeyStore } from './store.js';
