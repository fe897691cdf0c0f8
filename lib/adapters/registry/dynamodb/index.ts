export { DynamoRegistry, ReferenceMissingError } from './registry.js';
export type {
  DynamoRegistryOptions,
  GuardedDeleteResult,
  ItemReference,
  ReferenceRule,
  WriteOptions,
} from './registry.js';
export { applyStreamRecords, ChangeLogWriteError } from './invalidation.js';
export type {
  ApplyStreamRecordsDeps,
  ApplyStreamRecordsResult,
  DynamoDBStreamRecordLike,
  StreamAttributeValueLike,
} from './invalidation.js';
export {
  DEFAULT_CHANGE_RETENTION_SECONDS,
  DEFAULT_TABLE_PREFIX,
  ensureRegistryTables,
  registryTableDefinitions,
  registryTableNames,
} from './tables.js';
export type { RegistryTableNames } from './tables.js';
export { readCounter } from './change-log.js';
