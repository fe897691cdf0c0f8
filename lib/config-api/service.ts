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
import { RouteIndex } from '../core/routing/index.js';
import {
  ItemExistsError,
  ReferenceMissingError,
  type ItemReference,
  type Registry,
  type RegistryChange,
  type RegistrySnapshot,
} from '../ports/registry.js';

/** `metadata.<key>=<value>` list filters (docs/compatibility.md#conventions): every one must match exactly. */
export type MetadataFilters = ReadonlyArray<readonly [key: string, value: string]>;

/** The items whose metadata has every filter's key with exactly its value. */
export function filterByMetadata<T extends { metadata?: Readonly<Record<string, string>> }>(items: T[], filters: MetadataFilters): T[] {
  if (filters.length === 0) return items;
  return items.filter((item) => filters.every(([key, value]) => item.metadata?.[key] === value));
}

/**
 * The config API's business rules over the {@link Registry}: the checks of docs/compatibility.md#config-api in their
 * documented order, with the fixes of docs/compatibility.md#quirk-decisions (Q1–Q3, Q9). Transport-free: handlers pass
 * raw bodies and URL values in and serialise what comes out.
 *
 * Mutations run one at a time, so that a check and the write that depends on it cannot interleave with another
 * mutation in this process. Across processes, the registry's reference checks (`requires` on writes,
 * `deleteUnlessReferenced`) keep a reference from outliving what it refers to.
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
      const result = await this.registry.deleteUnlessReferenced('eventtype', space, name, [
        { kind: 'subscription', references: (s) => s.eventType === name },
      ]);
      if (result.outcome === 'referenced') throw inUse();
      if (result.outcome === 'missing') throw eventTypeNotFound(name);
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
      const result = await this.registry.deleteUnlessReferenced('function', space, functionId, [
        { kind: 'subscription', references: (s) => s.functionId === functionId },
        { kind: 'eventtype', references: (t) => t.authorizerId === functionId },
      ]);
      if (result.outcome === 'referenced') {
        throw result.kind === 'subscription' ? subscribed() : authorizes((result.item as EventType).name);
      }
      if (result.outcome === 'missing') throw functionNotFound(functionId);
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
    return filterByMetadata(await this.registry.list(kind, space), filters);
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
   * Runs a write whose references the store re-checks at commit: an item deleted by another process after our check
   * gets the same 400 as one that was never there.
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
    const index = await this.routes();
    try {
      index.checkSyncPath(subscription.method, subscription.eventType, subscription.path);
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
   * The routes as of now. A store whose change feed is synchronous (SQLite) has reported every write by the time
   * the write resolves, so an index kept from that feed is exact, and a check costs O(its path) instead of a snapshot
   * of everything (O(N) per create, O(N²) to load N subscriptions). A store with an eventual feed (DynamoDB) is read
   * from a fresh snapshot per check, so that other processes' writes count at once.
   */
  private async routes(): Promise<RouteIndex> {
    if (this.registry.changeFeed !== 'synchronous') return RouteIndex.of(await this.registry.snapshot());
    this.routeIndex ??= followRoutes(this.registry).catch((error: unknown) => {
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

/** A route index kept up to date from the registry's change feed (listening first, so that no change is missed). */
async function followRoutes(registry: Registry): Promise<RouteIndex> {
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
