export { DEAD_LETTER_MIGRATIONS, SqliteDeadLetterStore } from './store.js';
