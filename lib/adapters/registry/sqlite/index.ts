export { REGISTRY_MIGRATIONS, SqliteRegistry } from './registry.js';
export type { SqliteRegistryOptions } from './registry.js';
