import type { Connection } from '../core/connections/index.js';
import type { ConnectionStore } from '../ports/registry.js';

/** Every stored connection, of every space (they live beside the configuration, outside its snapshot). */
export function storedConnections(registry: Pick<ConnectionStore, 'listAllConnections'>): Promise<Connection[]> {
  return registry.listAllConnections();
}
