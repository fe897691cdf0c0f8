export * from './types.js';
export { CONNECTION_INVALID, MAX_CONNECTION_FIELD_LENGTH, parseConnection, SOURCE_SPECS, type ParseConnectionOptions } from './parse.js';
export { connectionJson, maskUrlPassword, mergeConnectionSecrets } from './serialize.js';
export { connectionEvent, connectionItemId, recordData, type SourceRecord } from './events.js';
