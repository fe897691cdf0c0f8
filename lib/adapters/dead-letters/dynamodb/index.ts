export {
  DEAD_LETTER_INDEX,
  DynamoDeadLetterStore,
  deadLetterTableInput,
  ensureDeadLetterTable,
  type DynamoDeadLetterStoreOptions,
} from './store.js';
