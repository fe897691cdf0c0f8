import { BadRequestError, ConflictError, NotFoundError } from '../core/errors/index.js';
import {
  DEFAULT_MODEL_LIMITS,
  mergeSecrets,
  parseCors,
  parseEventType,
  parseFunction,
  parseSubscription,
  type CorsConfig,
  type EventType,
  type FunctionConfig,
  type ItemByKind,
  type Kind,
  type ModelLimits,
  type Subscription,
} from '../core/model/index.js';
import { PathConflictError, PathTree } from '../core/pathtree/index.js';
import {
  ItemExistsError,
  ReferenceMissingError,
  type ItemReference,
  type ReferenceRule,
  type Registry,
  type RegistryChange,
  type RegistrySnapshot,
} from '../ports/registry.js';

/** `metadata.<key>=<value>` list filters (docs/compatibility.md#conventions): every one must match exactly. */
export type MetadataFilters = ReadonlyArray<readonly [key: string, value: string]>;

/**
 * The config API's business rules over the {@link Registry}: the checks of docs/compatibility.md#config-api in their
 * documented order, with the fixes of docs/compatibility.md#quirk-decisions (Q1–Q3, Q9). Transport-free: handlers pass
 * raw bodies and URL values in and serialise what comes out.
 *
 * Mutations run one at a time, so that a check and the write that depends on it cannot interleave with another
 * mutation in this process (the AWS registry adds conditional writes for the multi-process case).
 */
export class ConfigService {
  private mutations: Promise<unknown> = Promise.resolve();
  /** The routes the path checks compare against; see {@link RouteIndex}. Loaded on first use. */
  private routeIndex: Promise<RouteIndex> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly limits: Readonly<ModelLimits> = DEFAULT_MODEL_LIMITS,
  ) {}

  // ---- event types (docs/compatibility.md#event-types) ----

  async getEventType(space: string, name: string): Promise<EventType> {
    const found = await this.registry.get('eventtype', space, name);
    if (!found) throw eventTypeNotFound(name);
    return found;
  }

  listEventTypes(space: string, filters: MetadataFilters): Promise<EventType[]> {
    return this.list('eventtype', space, filters);
  }

  createEventType(space: string, body: string): Promise<EventType> {
    const eventType = parseEventType(body, { space }, this.limits);
    return this.serialised(async () => {
      if (await this.registry.get('eventtype', space, eventType.name)) {
        throw new ConflictError(`Event Type "${eventType.name}" already exists.`);
      }
      await this.checkAuthorizer(eventType);
      await this.createItem('eventtype', eventType, () => new ConflictError(`Event Type "${eventType.name}" already exists.`), authorizerRef(eventType), AUTHORIZER_MISSING);
      return eventType;
    });
  }

  updateEventType(space: string, name: string, body: string): Promise<EventType> {
    const eventType = parseEventType(body, { space, name }, this.limits);
    return this.serialised(async () => {
      if (!(await this.registry.get('eventtype', space, name))) throw eventTypeNotFound(name);
      await this.checkAuthorizer(eventType);
      await this.guardReferences(() => this.registry.put('eventtype', eventType, { requires: authorizerRef(eventType) }), AUTHORIZER_MISSING);
      return eventType;
    });
  }

  deleteEventType(space: string, name: string): Promise<void> {
    const inUse = () => new BadRequestError('Event type cannot be deleted because there are subscriptions using it.');
    return this.serialised(async () => {
      if (this.registry.deleteUnlessReferenced) {
        const rules: ReferenceRule[] = [{ kind: 'subscription', references: (s) => s.eventType === name }];
        const result = await this.registry.deleteUnlessReferenced('eventtype', space, name, rules);
        if (result.outcome === 'referenced') throw inUse();
        if (result.outcome === 'missing') throw eventTypeNotFound(name);
        return;
      }
      const subscriptions = await this.registry.list('subscription', space);
      if (subscriptions.some((s) => s.eventType === name)) throw inUse();
      if (!(await this.registry.delete('eventtype', space, name))) throw eventTypeNotFound(name);
    });
  }

  // ---- functions (docs/compatibility.md#functions) ----

  async getFunction(space: string, functionId: string): Promise<FunctionConfig> {
    const found = await this.registry.get('function', space, functionId);
    if (!found) throw functionNotFound(functionId);
    return found;
  }

  listFunctions(space: string, filters: MetadataFilters): Promise<FunctionConfig[]> {
    return this.list('function', space, filters);
  }

  createFunction(space: string, body: string): Promise<FunctionConfig> {
    const fn = mergeSecrets(parseFunction(body, { space }, this.limits), undefined);
    return this.serialised(async () => {
      const alreadyRegistered = () => new ConflictError(`Function "${fn.functionId}" already registered.`);
      if (await this.registry.get('function', space, fn.functionId)) throw alreadyRegistered();
      await this.createItem('function', fn, alreadyRegistered);
      return fn;
    });
  }

  updateFunction(space: string, functionId: string, body: string): Promise<FunctionConfig> {
    const parsed = parseFunction(body, { space, functionId }, this.limits);
    return this.serialised(async () => {
      const stored = await this.registry.get('function', space, functionId);
      if (!stored) throw functionNotFound(functionId);
      const fn = mergeSecrets(parsed, stored);
      await this.registry.put('function', fn);
      return fn;
    });
  }

  deleteFunction(space: string, functionId: string): Promise<void> {
    const subscribed = () => new BadRequestError("Function cannot be deleted because it's subscribed to a least one event.");
    const authorizes = (eventType: string) =>
      new BadRequestError(`Function ${functionId} cannot be deleted because is used as an authorizer for ${eventType} event type.`);
    return this.serialised(async () => {
      if (this.registry.deleteUnlessReferenced) {
        const rules: ReferenceRule[] = [
          { kind: 'subscription', references: (s) => s.functionId === functionId },
          { kind: 'eventtype', references: (t) => t.authorizerId === functionId },
        ];
        const result = await this.registry.deleteUnlessReferenced('function', space, functionId, rules);
        if (result.outcome === 'referenced') {
          throw result.kind === 'subscription' ? subscribed() : authorizes((result.item as EventType).name);
        }
        if (result.outcome === 'missing') throw functionNotFound(functionId);
        return;
      }
      const subscriptions = await this.registry.list('subscription', space);
      if (subscriptions.some((s) => s.functionId === functionId)) throw subscribed();
      const eventTypes = await this.registry.list('eventtype', space);
      const guarded = eventTypes.find((t) => t.authorizerId === functionId);
      if (guarded) throw authorizes(guarded.name);
      if (!(await this.registry.delete('function', space, functionId))) throw functionNotFound(functionId);
    });
  }

  // ---- subscriptions (docs/compatibility.md#subscriptions) ----

  async getSubscription(space: string, subscriptionId: string): Promise<Subscription> {
    const found = await this.registry.get('subscription', space, subscriptionId);
    if (!found) throw subscriptionNotFound(subscriptionId);
    return found;
  }

  listSubscriptions(space: string, filters: MetadataFilters): Promise<Subscription[]> {
    return this.list('subscription', space, filters);
  }

  createSubscription(space: string, body: string): Promise<Subscription> {
    const subscription = parseSubscription(body, { space }, this.limits);
    return this.serialised(async () => {
      const alreadyExists = () => new ConflictError(`Subscription "${subscription.subscriptionId}" already exists.`);
      if (await this.registry.get('subscription', space, subscription.subscriptionId)) throw alreadyExists();
      if (subscription.type === 'sync') await this.checkSyncPath(subscription);
      if (!(await this.registry.get('eventtype', space, subscription.eventType))) {
        throw new BadRequestError(`Event Type "${subscription.eventType}" not found.`);
      }
      if (!(await this.registry.get('function', space, subscription.functionId))) {
        throw new BadRequestError(`Function "${subscription.functionId}" not found.`);
      }
      await this.createItem('subscription', subscription, alreadyExists, [
        { kind: 'eventtype', id: subscription.eventType },
        { kind: 'function', id: subscription.functionId },
      ]);
      return subscription;
    });
  }

  updateSubscription(space: string, subscriptionId: string, body: string): Promise<Subscription> {
    const requested = parseSubscription(body, { space }, this.limits);
    return this.serialised(async () => {
      const stored = await this.registry.get('subscription', space, subscriptionId);
      if (!stored) throw subscriptionNotFound(subscriptionId);
      const immutable = [
        ['Type', 'type'],
        ['EventType', 'eventType'],
        ['FunctionID', 'functionId'],
        ['Path', 'path'],
        ['Method', 'method'],
      ] as const;
      for (const [goName, field] of immutable) {
        if (stored[field] !== requested[field]) {
          throw new BadRequestError(`Invalid update. '${goName}' of existing subscription cannot be updated.`);
        }
      }
      if (!(await this.registry.get('function', space, requested.functionId))) {
        throw new BadRequestError(`Function "${requested.functionId}" not found.`);
      }
      const updated: Subscription = { ...requested, subscriptionId };
      await this.guardReferences(() => this.registry.put('subscription', updated, { requires: [{ kind: 'function', id: updated.functionId }] }));
      return updated;
    });
  }

  deleteSubscription(space: string, subscriptionId: string): Promise<void> {
    return this.serialised(async () => {
      if (!(await this.registry.delete('subscription', space, subscriptionId))) {
        throw subscriptionNotFound(subscriptionId);
      }
    });
  }

  // ---- CORS (docs/compatibility.md#cors-configurations) ----

  async getCors(space: string, corsId: string): Promise<CorsConfig> {
    const found = await this.registry.get('cors', space, corsId);
    if (!found) throw corsNotFound(corsId);
    return found;
  }

  listCors(space: string, filters: MetadataFilters): Promise<CorsConfig[]> {
    return this.list('cors', space, filters);
  }

  createCors(space: string, body: string): Promise<CorsConfig> {
    const config = parseCors(body, { space }, this.limits);
    return this.serialised(async () => {
      const alreadyExists = () => new ConflictError(`CORS configuration "${config.corsId}" already exists.`);
      if (await this.registry.get('cors', space, config.corsId)) throw alreadyExists();
      await this.checkCorsPath(config);
      await this.createItem('cors', config, alreadyExists);
      return config;
    });
  }

  updateCors(space: string, corsId: string, body: string): Promise<CorsConfig> {
    const requested = parseCors(body, { space }, this.limits);
    return this.serialised(async () => {
      const stored = await this.registry.get('cors', space, corsId);
      if (!stored) throw corsNotFound(corsId);
      for (const [goName, field] of [['Method', 'method'], ['Path', 'path']] as const) {
        if (stored[field] !== requested[field]) {
          throw new BadRequestError(`Invalid update. '${goName}' of existing CORS configuration cannot be updated.`);
        }
      }
      const updated: CorsConfig = { ...requested, corsId };
      await this.checkCorsPath(updated);
      await this.registry.put('cors', updated);
      return updated;
    });
  }

  deleteCors(space: string, corsId: string): Promise<void> {
    return this.serialised(async () => {
      if (!(await this.registry.delete('cors', space, corsId))) throw corsNotFound(corsId);
    });
  }

  // ---- shared rules ----

  private async list<K extends Kind>(kind: K, space: string, filters: MetadataFilters): Promise<ItemByKind[K][]> {
    const items = await this.registry.list(kind, space);
    if (filters.length === 0) return items;
    return items.filter((item) => filters.every(([key, value]) => item.metadata?.[key] === value));
  }

  private async createItem<K extends Kind>(
    kind: K,
    item: ItemByKind[K],
    conflict: () => ConflictError,
    requires: readonly ItemReference[] = [],
    missingFunction?: (id: string) => string,
  ): Promise<void> {
    try {
      await this.guardReferences(() => this.registry.create(kind, item, { requires }), missingFunction);
    } catch (error) {
      if (error instanceof ItemExistsError) throw conflict();
      throw error;
    }
  }

  /**
   * Runs a write whose references the store re-checks at commit (DynamoDB): an item deleted by another process
   * after our check gets the same 400 as one that was never there.
   */
  private async guardReferences(write: () => Promise<void>, missingFunction = (id: string) => `Function "${id}" not found.`): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (!(error instanceof ReferenceMissingError)) throw error;
      if (error.kind === 'eventtype') throw new BadRequestError(`Event Type "${error.id}" not found.`);
      if (error.kind === 'function') throw new BadRequestError(missingFunction(error.id));
      throw error;
    }
  }

  /**
   * Q1 fixed: an unknown authorizer is a 400 on create as on update. `""` counts as present
   * (docs/compatibility.md#event-types).
   */
  private async checkAuthorizer(eventType: EventType): Promise<void> {
    if (eventType.authorizerId === undefined) return;
    if (!(await this.registry.get('function', eventType.space, eventType.authorizerId))) {
      throw new BadRequestError(AUTHORIZER_MISSING());
    }
  }

  /**
   * docs/compatibility.md#path-conflicts against the sync subscriptions of the same method and event type. Q9 fixed
   * (docs/compatibility.md#deliberate-differences): other spaces count too, because the events API routes sync requests
   * through one tree shared by all spaces.
   */
  private async checkSyncPath(subscription: Subscription): Promise<void> {
    const tree = (await this.routes()).syncTree(subscription.method, subscription.eventType);
    try {
      tree.checkInsert(subscription.path);
    } catch (error) {
      if (error instanceof PathConflictError) throw new BadRequestError(`Subscription path conflict: ${error.message}`);
      throw error;
    }
  }

  /**
   * docs/compatibility.md#deliberate-differences (Q9): CORS configs share one path tree per method across spaces. A
   * conflicting route is refused; the identical method and path in another space is accepted only when both configs are
   * the same.
   */
  private async checkCorsPath(config: CorsConfig): Promise<void> {
    const tree = new PathTree<true>();
    for (const existing of (await this.routes()).corsOf(config.method)) {
      if (existing.space === config.space && existing.corsId === config.corsId) continue;
      if (existing.path === config.path) {
        if (sameCorsRules(existing, config)) continue;
        throw new BadRequestError(
          `CORS configuration path conflict: route ${config.path} conflicts with existing route in space "${existing.space}"`,
        );
      }
      // Items stored before the cross-space rule existed may conflict with each other; the first one stands.
      tree.tryInsert(existing.path, true);
    }
    try {
      tree.checkInsert(config.path);
    } catch (error) {
      if (error instanceof PathConflictError) throw new BadRequestError(`CORS configuration path conflict: ${error.message}`);
      throw error;
    }
  }

  /**
   * The routes as of now. A store used by one process (the port's sign: no `deleteUnlessReferenced`) reports each
   * write to its change feed before the write resolves, so an index kept from that feed is exact, and a check costs
   * O(its path) instead of a snapshot of everything (O(N) per create, O(N²) to load N subscriptions). A shared
   * store (DynamoDB) is read from a fresh snapshot per check, so that other processes' writes count at once.
   */
  private async routes(): Promise<RouteIndex> {
    if (this.registry.deleteUnlessReferenced !== undefined) return RouteIndex.of(await this.registry.snapshot());
    this.routeIndex ??= RouteIndex.follow(this.registry).catch((error: unknown) => {
      this.routeIndex = undefined; // try again with the next check
      throw error;
    });
    return this.routeIndex;
  }

  private serialised<T>(mutation: () => Promise<T>): Promise<T> {
    const result = this.mutations.then(mutation, mutation);
    this.mutations = result.catch(() => undefined);
    return result;
  }
}

const AUTHORIZER_MISSING = () => "Authorizer function doesn't exists.";

/** The sync subscriptions of one (method, event type), in registry order, and the tree of their paths. */
interface SyncGroup {
  readonly subscriptions: Map<string, Subscription>;
  /** Built on demand; dropped when a subscription leaves the group (a conflicting legacy route may count then). */
  tree: PathTree<true> | undefined;
}

/**
 * What the path checks of docs/compatibility.md#path-conflicts compare against: the sync subscriptions by (method,
 * event type), each group with its path tree, and the CORS configurations by method. Q9: all spaces together, as the
 * events API routes them.
 */
class RouteIndex {
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

  /** An index kept up to date from the registry's change feed (listening first, so that no change is missed). */
  static async follow(registry: Registry): Promise<RouteIndex> {
    const early: RegistryChange[] = [];
    let index: RouteIndex | undefined;
    const unsubscribe = registry.onChange((change) => (index ? index.apply(change) : early.push(change)));
    let snapshot: RegistrySnapshot;
    try {
      snapshot = await registry.snapshot();
    } catch (error) {
      unsubscribe();
      throw error;
    }
    const loaded = RouteIndex.of(snapshot);
    for (const change of early) if (change.version > snapshot.version) loaded.apply(change);
    index = loaded;
    return loaded;
  }

  /** The tree of the sync paths of (method, event type), conflicting legacy routes left out (the first one stands). */
  syncTree(method: string, eventType: string): PathTree<true> {
    const group = this.sync.get(groupKey(method, eventType));
    if (group === undefined) return new PathTree<true>();
    if (group.tree === undefined) {
      group.tree = new PathTree<true>();
      for (const s of group.subscriptions.values()) group.tree.tryInsert(s.path, true);
    }
    return group.tree;
  }

  corsOf(method: string): Iterable<CorsConfig> {
    return this.cors.get(method)?.values() ?? [];
  }

  private apply(change: RegistryChange): void {
    const key = itemKey(change.space, change.id);
    switch (change.kind) {
      case 'subscription': {
        const stored = this.subscriptions.get(key);
        if (change.item && stored && sameRoute(stored, change.item)) {
          // An update (its route cannot change): the tree stays as it is.
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

function authorizerRef(eventType: EventType): ItemReference[] {
  return eventType.authorizerId === undefined ? [] : [{ kind: 'function', id: eventType.authorizerId }];
}

function sameCorsRules(a: CorsConfig, b: CorsConfig): boolean {
  const same = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    same(a.allowedOrigins, b.allowedOrigins) &&
    same(a.allowedMethods, b.allowedMethods) &&
    same(a.allowedHeaders, b.allowedHeaders) &&
    a.allowCredentials === b.allowCredentials
  );
}

const eventTypeNotFound = (name: string) => new NotFoundError(`Event Type "${name}" not found.`);
const functionNotFound = (id: string) => new NotFoundError(`Function "${id}" not found.`);
const subscriptionNotFound = (id: string) => new NotFoundError(`Subscription "${id}" not found.`);
const corsNotFound = (id: string) => new NotFoundError(`CORS configuration "${id}" not found.`);
