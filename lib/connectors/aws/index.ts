export { EventSourceMappings, MAPPING_SETTINGS, type EventSourceMappingsOptions, type MappingSettings } from './mappings.js';
export { accountOfFunction, mappingKey, mappingSourceOf, virtualHostOf, type MappingAccount, type MappingKind, type MappingSource } from './sources.js';
export {
  CONNECTIONS_CACHE_MS,
  CONNECTOR_CONCURRENCY,
  CONNECTOR_METRICS,
  ConnectionsBySource,
  handleConnectorBatch,
  type ConnectorBatchDeps,
  type ConnectorBatchResponse,
} from './batch.js';
export { batchRecords, type BatchRecord, type ConnectorEvent, type RabbitMqEvent, type RecordsEvent } from './events.js';
