import { idOf, type AnyItem, type Kind } from '../core/model/types.js';
import { RoutingTable, type RoutingConfig } from '../core/routing/index.js';
import type { Logger } from '../observability/logger.js';
import type { Registry, RegistryChange } from '../ports/registry.js';

const KINDS: readonly Kind[] = ['eventtype', 'function', 'subscription', 'cors'];

/**
 * Keeps a {@link RoutingTable} in step with the registry's change feed. Changes update an in-memory copy of the
 * configuration; a rebuild of the whole table is then scheduled once for any burst of changes, and swapped in with
 * one assignment. Requests read {@link current} and never see a half-applied change.
 */
export class LiveRoutingTable {
  private items = new Map<Kind, Map<string, AnyItem>>(KINDS.map((k) => [k, new Map()]));
  private rebuildScheduled = false;
  private unsubscribe: () => void = () => {};
  private listeners = new Set<(table: RoutingTable) => void>();
  current: RoutingTable = new RoutingTable({ eventtype: [], function: [], subscription: [], cors: [] });
  /** The newest registry version seen. */
  version = 0;
  /** The registry version {@link current} was built from. */
  builtVersion = 0;

  private constructor(private readonly logger?: Logger) {}

  static async start(registry: Registry, logger?: Logger): Promise<LiveRoutingTable> {
    const live = new LiveRoutingTable(logger);
    // Listen first and replay what arrived during the snapshot, so no change falls between the two.
    const early: RegistryChange[] = [];
    let loaded = false;
    live.unsubscribe = registry.onChange((change) => (loaded ? live.apply(change) : early.push(change)));
    const snapshot = await registry.snapshot();
    for (const kind of KINDS) {
      const map = live.items.get(kind)!;
      for (const item of snapshot[kind]) map.set(key(item.space, idOf(kind, item as never)), item);
    }
    live.version = snapshot.version;
    for (const change of early) if (change.version > snapshot.version) live.apply(change);
    loaded = true;
    live.rebuild();
    return live;
  }

  /** Called after every swap (tests and metrics use it). */
  onSwap(listener: (table: RoutingTable) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Items of `kind` per space, as loaded from the registry and kept up to date by its change feed. */
  countBySpace(kind: Kind): Map<string, number> {
    const counts = new Map<string, number>();
    for (const item of this.items.get(kind)!.values()) counts.set(item.space, (counts.get(item.space) ?? 0) + 1);
    return counts;
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
  }

  private apply(change: RegistryChange): void {
    const map = this.items.get(change.kind)!;
    const k = key(change.space, change.id);
    if (change.item) map.set(k, change.item);
    else map.delete(k);
    this.version = Math.max(this.version, change.version);
    if (!this.rebuildScheduled) {
      this.rebuildScheduled = true;
      setImmediate(() => this.rebuild());
    }
  }

  private rebuild(): void {
    this.rebuildScheduled = false;
    const values = <K extends Kind>(kind: K) => [...this.items.get(kind)!.values()] as RoutingConfig[K];
    const table = new RoutingTable({
      eventtype: values('eventtype'),
      function: values('function'),
      subscription: values('subscription'),
      cors: values('cors'),
    });
    for (const shadowed of table.shadowed) this.logger?.warn({ shadowed }, 'route shadowed by an earlier conflicting route');
    for (const invalid of table.invalidFilters) this.logger?.warn({ invalid }, 'stored filter refused: the subscription takes no event');
    this.current = table;
    this.builtVersion = this.version;
    for (const listener of this.listeners) listener(table);
  }
}

function key(space: string, id: string): string {
  return `${space}\u0000${id}`;
}
