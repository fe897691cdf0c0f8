export { CHECKPOINT_MIGRATIONS, SqliteCheckpointStore } from './store.js';
