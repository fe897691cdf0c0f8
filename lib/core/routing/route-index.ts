import type { CorsConfig, ItemByKind, Kind, Subscription } from '../model/types.js';
import { PathTree } from '../pathtree/index.js';

/** A change to one stored item; `item` is absent when the item was deleted. */
export type ItemChange = { [K in Kind]: { kind: K; space: string; id: string; item?: ItemByKind[K] } }[Kind];

/** The sync subscriptions of one (method, event type), in the order they were added, and the tree of their paths. */
interface SyncGroup {
  readonly subscriptions: Map<string, Subscription>;
  /** Built on demand; dropped when a subscription leaves the group (a conflicting legacy route may count then). */
  tree: PathTree<true> | undefined;
}

/**
 * What the config API's path checks (docs/compatibility.md#path-conflicts) compare a new route against: the sync
 * subscriptions by (method, event type), each group with its path tree, and the CORS configurations by method. All
 * spaces together (Q9), as the events API routes them.
 *
 * Built from a snapshot ({@link RouteIndex.of}) and kept current by {@link RouteIndex.apply}ing each later change, so
 * that a check costs O(its path) instead of a read of every item.
 */
export class RouteIndex {
  private readonly sync = new Map<string, SyncGroup>();
  private readonly cors = new Map<string, Map<string, CorsConfig>>();
  /** Every indexed item by (space, id), to find what a change replaces or deletes. */
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly corsConfigs = new Map<string, CorsConfig>();

  /** An index of one snapshot. */
  static of(snapshot: { subscription: readonly Subscription[]; cors: readonly CorsConfig[] }): RouteIndex {
    const index = new RouteIndex();
    for (const subscription of snapshot.subscription) index.addSubscription(subscription);
    for (const cors of snapshot.cors) index.addCors(cors);
    return index;
  }

  /**
   * Throws the path tree's `PathConflictError` when `path` cannot join the sync subscriptions of the same method and
   * event type: it conflicts with one of them, or is not a valid route on its own (a wildcard before the end). Of
   * two stored routes that conflict with each other (written before conflicts were refused), the first one added
   * counts.
   */
  checkSyncPath(method: string, eventType: string, path: string): void {
    const group = this.sync.get(groupKey(method, eventType));
    if (group === undefined) {
      new PathTree<true>().checkInsert(path);
      return;
    }
    if (group.tree === undefined) {
      group.tree = new PathTree<true>();
      for (const s of group.subscriptions.values()) group.tree.tryInsert(s.path, true);
    }
    group.tree.checkInsert(path);
  }

  /** The CORS configurations of one method, every space. */
  corsOf(method: string): Iterable<CorsConfig> {
    return this.cors.get(method)?.values() ?? [];
  }

  /** Applies a change committed after the snapshot; changes to event types and functions do not matter here. */
  apply(change: ItemChange): void {
    const key = itemKey(change.space, change.id);
    switch (change.kind) {
      case 'subscription': {
        const stored = this.subscriptions.get(key);
        if (change.item && stored && sameRoute(stored, change.item)) {
          // An update that keeps the route (the config API cannot change it): the tree stays as it is.
          this.subscriptions.set(key, change.item);
          if (stored.type === 'sync') this.sync.get(groupKey(stored.method, stored.eventType))?.subscriptions.set(key, change.item);
          break;
        }
        this.removeSubscription(key);
        if (change.item) this.addSubscription(change.item);
        break;
      }
      case 'cors':
        this.removeCors(key);
        if (change.item) this.addCors(change.item);
        break;
      default:
        break;
    }
  }

  private addSubscription(subscription: Subscription): void {
    const key = itemKey(subscription.space, subscription.subscriptionId);
    this.subscriptions.set(key, subscription);
    if (subscription.type !== 'sync') return;
    let group = this.sync.get(groupKey(subscription.method, subscription.eventType));
    if (group === undefined) {
      group = { subscriptions: new Map(), tree: undefined };
      this.sync.set(groupKey(subscription.method, subscription.eventType), group);
    }
    group.subscriptions.set(key, subscription);
    if (group.tree !== undefined) group.tree.tryInsert(subscription.path, true);
  }

  private removeSubscription(key: string): void {
    const subscription = this.subscriptions.get(key);
    if (subscription === undefined) return;
    this.subscriptions.delete(key);
    const group = this.sync.get(groupKey(subscription.method, subscription.eventType));
    if (group?.subscriptions.delete(key)) group.tree = undefined;
  }

  private addCors(config: CorsConfig): void {
    const key = itemKey(config.space, config.corsId);
    this.corsConfigs.set(key, config);
    let byMethod = this.cors.get(config.method);
    if (byMethod === undefined) this.cors.set(config.method, (byMethod = new Map()));
    byMethod.set(key, config);
  }

  private removeCors(key: string): void {
    const config = this.corsConfigs.get(key);
    if (config === undefined) return;
    this.corsConfigs.delete(key);
    this.cors.get(config.method)?.delete(key);
  }
}

function sameRoute(a: Subscription, b: Subscription): boolean {
  return a.type === b.type && a.method === b.method && a.eventType === b.eventType && a.path === b.path;
}

function groupKey(method: string, eventType: string): string {
  return `${method}\u0000${eventType}`;
}

function itemKey(space: string, id: string): string {
  return `${space}\u0000${id}`;
}
