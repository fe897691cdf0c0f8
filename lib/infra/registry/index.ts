export { CHANGES_TTL_ATTRIBUTE, RegistryTables, type RegistryTablesProps } from './tables.js';
