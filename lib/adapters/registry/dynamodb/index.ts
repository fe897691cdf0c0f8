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
export { readCounter, FenceError } from './change-log.js';
export { DEFAULT_RELAY_IDLE_MS, DEFAULT_RELAY_LEASE_MS, StreamRelay } from './stream-relay.js';
export type { StreamRelayOptions } from './stream-relay.js';
