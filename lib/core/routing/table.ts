import { isSystemEventType } from '../cloudevents/index.js';
import type { JsonValue } from '../cloudevents/model.js';
import { compileCors, type CompiledCors } from '../cors/index.js';
import { CompiledFilter } from '../filter/index.js';
import type { CorsConfig, EventType, FunctionConfig, Subscription } from '../model/types.js';
import { PathTree } from '../pathtree/index.js';

/** The configuration the table is built from: every item of every space. */
export interface RoutingConfig {
  eventtype: readonly EventType[];
  function: readonly FunctionConfig[];
  subscription: readonly Subscription[];
  cors: readonly CorsConfig[];
}

export interface SyncMatch {
  subscription: Subscription;
  /** Path parameters; null for the root route (docs/compatibility.md#http-request-events). */
  params: Record<string, string> | null;
}

export interface CorsMatch {
  config: CorsConfig;
  compiled: CompiledCors;
}

const NO_SUBSCRIPTIONS: readonly Subscription[] = Object.freeze([]);

/**
 * Everything the events API looks up per request, built once per configuration change and then only read
 * (docs/compatibility.md#path-matching, #fan-out): sync path trees per (method, event type), exact-match async lists
 * per (method, path, event type), CORS trees per method, and the event types and functions by (space, id). The router
 * swaps a whole new table in with one assignment, so a request always sees one consistent configuration (Q8, Q15
 * fixed).
 */
export class RoutingTable {
  private readonly sync = new Map<string, Map<string, PathTree<Subscription>>>();
  private readonly async = new Map<string, Map<string, Map<string, Subscription[]>>>();
  private readonly cors = new Map<string, PathTree<CorsMatch>>();
  private readonly eventTypes = new Map<string, Map<string, EventType>>();
  private readonly functions = new Map<string, Map<string, FunctionConfig>>();
  private readonly subscriptions = new Map<string, Map<string, Subscription>>();
  /** Subscribers of each system event type (async on `POST /`, docs/compatibility.md#system-events), by space. */
  private readonly systemSubscribers = new Map<string, Map<string, Subscription[]>>();
  /** The content filters of async subscriptions (docs/filters.md), compiled once here; unfiltered ones are absent. */
  private readonly filters = new Map<Subscription, CompiledFilter>();
  /** Routes that lost to an earlier one (only possible for data written before conflicts were refused). */
  readonly shadowed: string[] = [];
  /**
   * Stored filters the compiler refuses (only possible for data written around the config API): their subscriptions
   * take no event until the filter is fixed.
   */
  readonly invalidFilters: string[] = [];

  constructor(config: RoutingConfig) {
    for (const t of config.eventtype) nested(this.eventTypes, t.space).set(t.name, t);
    for (const f of config.function) nested(this.functions, f.space).set(f.functionId, f);

    // A stable order, so that which of two conflicting legacy routes wins does not depend on storage order.
    const subscriptions = [...config.subscription].sort(bySpaceThenId((s) => s.subscriptionId));
    for (const s of subscriptions) {
      nested(this.subscriptions, s.space).set(s.subscriptionId, s);
      if (s.type === 'sync') {
        const tree = nested(this.sync, s.method).get(s.eventType) ?? newTree(nested(this.sync, s.method), s.eventType);
        this.insert(tree, s.path, s, `sync subscription ${s.space}/${s.subscriptionId}`);
      } else {
        const byPath = nested(this.async, s.method);
        const byType = byPath.get(s.path) ?? new Map<string, Subscription[]>();
        byPath.set(s.path, byType);
        const list = byType.get(s.eventType) ?? [];
        list.push(s);
        byType.set(s.eventType, list);
        if (s.filter !== undefined) this.compileFilter(s);
        if (s.method === 'POST' && s.path === '/' && isSystemEventType(s.eventType)) {
          const bySpace = nested(this.systemSubscribers, s.eventType);
          bySpace.set(s.space, [...(bySpace.get(s.space) ?? []), s]);
        }
      }
    }

    for (const c of [...config.cors].sort(bySpaceThenId((c) => c.corsId))) {
      let tree = this.cors.get(c.method);
      if (!tree) this.cors.set(c.method, (tree = new PathTree<CorsMatch>()));
      this.insert(tree, c.path, { config: c, compiled: compileCors(c) }, `CORS configuration ${c.space}/${c.corsId}`);
    }
  }

  // Hot path: the lookups below run for every request.

  matchSync(method: string, path: string, eventType: string): SyncMatch | undefined {
    const match = this.sync.get(method)?.get(eventType)?.match(path);
    return match && { subscription: match.value, params: match.params };
  }

  matchAsync(method: string, path: string, eventType: string): readonly Subscription[] {
    return this.async.get(method)?.get(path)?.get(eventType) ?? NO_SUBSCRIPTIONS;
  }

  /**
   * Whether an async subscription's filter lets the event (its delivered structured JSON form) through; true when it
   * has none. No compile and no allocation here: the filter was compiled when the table was built.
   */
  admits(subscription: Subscription, event: JsonValue): boolean {
    if (subscription.filter === undefined) return true;
    const filter = this.filters.get(subscription);
    return filter !== undefined && filter.matches(event);
  }

  matchCors(method: string, path: string): CorsMatch | undefined {
    return this.cors.get(method)?.match(path)?.value;
  }

  eventType(space: string, name: string): EventType | undefined {
    return this.eventTypes.get(space)?.get(name);
  }

  /** The spaces that define an event type of this name (not a hot path: for events that matched nothing). */
  spacesDefining(eventType: string): string[] {
    const spaces: string[] = [];
    for (const [space, types] of this.eventTypes) if (types.has(eventType)) spaces.push(space);
    return spaces;
  }

  /**
   * Whether the event type names an authorizer in `space` (docs/compatibility.md#authorizers): callers skip
   * authorization work otherwise.
   */
  hasAuthorizer(space: string, eventType: string): boolean {
    return this.eventTypes.get(space)?.get(eventType)?.authorizerId !== undefined;
  }

  /** Whether any space has a subscriber of this system event type. */
  hasSystemSubscribers(type: string): boolean {
    return this.systemSubscribers.has(type);
  }

  /** The subscribers of a system event type in one space: `matchAsync('POST', '/', type)` of that space. */
  systemSubscribersIn(type: string, space: string): readonly Subscription[] {
    return this.systemSubscribers.get(type)?.get(space) ?? NO_SUBSCRIPTIONS;
  }

  function(space: string, functionId: string): FunctionConfig | undefined {
    return this.functions.get(space)?.get(functionId);
  }

  subscription(space: string, subscriptionId: string): Subscription | undefined {
    return this.subscriptions.get(space)?.get(subscriptionId);
  }

  /** A readable listing of the sync and async routes, for debugging. */
  describe(): string {
    const lines: string[] = [];
    for (const [method, byType] of this.sync) {
      for (const [eventType, tree] of byType) {
        for (const [path, s] of tree.routes()) lines.push(`sync  ${method} ${path} ${eventType} → ${s.space}/${s.functionId}`);
      }
    }
    for (const [method, byPath] of this.async) {
      for (const [path, byType] of byPath) {
        for (const [eventType, list] of byType) {
          for (const s of list) lines.push(`async ${method} ${path} ${eventType} → ${s.space}/${s.functionId}${s.filter ? ' (filtered)' : ''}`);
        }
      }
    }
    return lines.join('\n');
  }

  private compileFilter(subscription: Subscription): void {
    const compiled = CompiledFilter.compile(subscription.filter);
    if (compiled.ok) this.filters.set(subscription, compiled.filter);
    else this.invalidFilters.push(`async subscription ${subscription.space}/${subscription.subscriptionId}: ${compiled.error.message}`);
  }

  private insert<T>(tree: PathTree<T>, path: string, value: T, what: string): void {
    const conflict = tree.tryInsert(path, value);
    if (conflict !== undefined) this.shadowed.push(`${what}: ${conflict.message}`);
  }
}

function nested<V>(map: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let inner = map.get(key);
  if (!inner) map.set(key, (inner = new Map()));
  return inner;
}

function newTree(byType: Map<string, PathTree<Subscription>>, eventType: string): PathTree<Subscription> {
  const tree = new PathTree<Subscription>();
  byType.set(eventType, tree);
  return tree;
}

function bySpaceThenId<T extends { space: string }>(id: (item: T) => string) {
  return (a: T, b: T) => (a.space === b.space ? compare(id(a), id(b)) : compare(a.space, b.space));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
