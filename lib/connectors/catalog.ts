import type { Connection } from '../core/connections/index.js';
import type { Registry, RegistrySnapshot } from '../ports/registry.js';

/**
 * Every stored connection, of every space: the connections the registry's snapshot holds next to the rest of the
 * configuration (under `connection`, the kind the connections API stores them as).
 */
export async function storedConnections(registry: Pick<Registry, 'snapshot'>): Promise<Connection[]> {
  const snapshot = (await registry.snapshot()) as RegistrySnapshot & { connection?: Connection[] };
  return snapshot.connection ?? [];
}
