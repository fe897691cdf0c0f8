import { randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import type { Connection } from '../../../core/connections/types.js';
import type { AnyItem, ItemByKind, Kind } from '../../../core/model/types.js';
import { idOf } from '../../../core/model/types.js';
import { ConnectionExistsError, ItemExistsError, ReferenceMissingError } from '../../../ports/registry.js';
import type {
  GuardedDeleteResult,
  ItemReference,
  ReferenceRule,
  Registry,
  RegistryChange,
  RegistrySnapshot,
  WriteOptions,
} from '../../../ports/registry.js';

export { ReferenceMissingError };
export type { GuardedDeleteResult, ItemReference, ReferenceRule, WriteOptions };
import { ChangeFeed, keyString, type ItemKey } from './change-feed.js';
import { readCounter, readEntries, type ChangeLogEntry } from './change-log.js';
import {
  CONNECTION_PARTITION_PREFIX,
  connectionPartitionKey,
  DEFAULT_TABLE_PREFIX,
  ensureRegistryTables,
  itemPartitionKey,
  parseItemKey,
  registryTableNames,
  type RegistryTableNames,
} from './tables.js';

export interface DynamoRegistryOptions {
  client: DynamoDBClient;
  /** @default 'event-gateway-' */
  tablePrefix?: string;
  /** How often the change feed reads the version counter while someone listens. @default 200 */
  pollIntervalMs?: number;
  /**
   * Told about every exception a change listener throws; the other listeners are still called.
   * @default emits a process warning
   */
  onListenerError?: (error: unknown, change: RegistryChange) => void;
  /**
   * Told about every failed poll of the change log; the feed retries at the next interval.
   * @default emits a process warning
   */
  onPollError?: (error: unknown) => void;
  /**
   * Told, for each change that carries its write time (creates and puts), how long it took from the write to its
   * listeners (the registry half of the config-to-routing lag; the writer's and this host's clocks both count).
   */
  onChangeLag?: (lagMs: number, change: RegistryChange) => void;
  /**
   * Report this instance's own writes to its listeners as soon as they resolve (read-your-writes), instead of
   * when they come through the change log. For a process that serves the config API and routes: its own changes
   * are live at once. @default false
   */
  ownWritesAtOnce?: boolean;
}

/**
 * Kinds whose items refer to other items (a subscription to its function and event type, an event type to its
 * authorizer). Every create or put of one also bumps a guard item per (kind, space), so that
 * {@link DynamoRegistry.deleteUnlessReferenced} notices a reference added while it checked.
 */
const REFERRING_KINDS: ReadonlySet<Kind> = new Set<Kind>(['subscription', 'eventtype']);

/** How long a write of this instance is remembered, so a listener subscribed after it does not see it. */
const OWN_WRITE_MEMORY_MS = 60_000;
const OWN_WRITE_MEMORY_MAX = 10_000;
const MAX_TRANSACTION_ATTEMPTS = 10;

interface Subscriber {
  readonly listener: (change: RegistryChange) => void;
  /** This instance's writes that had resolved when the listener subscribed, not yet seen in the log. */
  readonly skip: Set<string>;
  readonly subscribedAt: number;
}

/**
 * The {@link Registry} on DynamoDB (docs/architecture.md#on-aws); the tables are described in tables.ts.
 *
 * Reads are strongly consistent. The change feed does not come from the writes themselves: the registry table's
 * Stream is relayed into the change log (by the invalidation Lambda or a gateway's {@link StreamRelay}, both
 * through {@link applyStreamRecords}), and each instance polls that log while it has listeners. Changes reach
 * listeners in the log's order, from whichever instance wrote them.
 *
 * Read-your-writes (`ownWritesAtOnce`): this instance's own writes reach its listeners as soon as the write
 * resolves, numbered between the version last read from the log and the next one (the log has not numbered them
 * yet, and a fraction does not claim a log version that was not read). Until the write's own entry comes through the log,
 * older entries of that item are held back (they would undo it for a moment); its entry is then delivered again,
 * the same state once more. A listener does not get this instance's writes that had resolved before it subscribed
 * (as with the SQLite adapter); writes of other instances that were committed before but logged after it
 * subscribed may reach it.
 */
export class DynamoRegistry implements Registry {
  /** Changes come through the polled change log, other instances' writes included. */
  readonly changeFeed = 'eventual';
  readonly #client: DynamoDBClient;
  readonly #tablePrefix: string;
  readonly #tables: RegistryTableNames;
  readonly #pollIntervalMs: number;
  readonly #onListenerError: (error: unknown, change: RegistryChange) => void;
  readonly #onPollError: (error: unknown) => void;
  readonly #onChangeLag: ((lagMs: number, change: RegistryChange) => void) | undefined;
  readonly #ownWritesAtOnce: boolean;
  readonly #subscribers = new Set<Subscriber>();
  /** Signatures (`put:<writeId>`, `delete:<writeId>`) of recent own writes, with the time they resolved. */
  readonly #ownWrites = new Map<string, number>();
  /** Every item key seen in a snapshot or a change: a superset of what any listener holds, for resyncs. */
  readonly #knownKeys = new Map<string, ItemKey>();
  /** Items this instance wrote whose entry has not come through the log yet: item key → write signature. */
  readonly #pendingOwn = new Map<string, { signature: string; at: number }>();
  /** Signatures of entries the feed delivered lately, so that a write logged before it resolved is not held. */
  readonly #logged = new Map<string, number>();
  /** The newest log version delivered (or snapshot read), and how many own writes were reported since. */
  #lastVersion = 0;
  #ownSinceLast = 0;
  #feed: ChangeFeed | undefined;
  #closed = false;

  constructor(options: DynamoRegistryOptions) {
    this.#client = options.client;
    this.#tablePrefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
    this.#tables = registryTableNames(this.#tablePrefix);
    this.#pollIntervalMs = options.pollIntervalMs ?? 200;
    this.#onListenerError = options.onListenerError ?? reportListenerError;
    this.#onPollError = options.onPollError ?? reportPollError;
    this.#onChangeLag = options.onChangeLag;
    this.#ownWritesAtOnce = options.ownWritesAtOnce ?? false;
  }

  get tableNames(): RegistryTableNames {
    return { ...this.#tables };
  }

  /** Creates the missing tables (local runs and tests; on AWS the CDK stack creates them). */
  async ensureTables(): Promise<void> {
    await ensureRegistryTables(this.#client, this.#tablePrefix);
  }

  async get<K extends Kind>(kind: K, space: string, id: string): Promise<ItemByKind[K] | undefined> {
    this.#assertOpen();
    const stored = await this.#getStored(kind, space, id);
    return stored && parseItem<K>(stored.json);
  }

  /** One Query on the (kind, space) partition, sort keys descending: byte-wise descending ids. */
  async list<K extends Kind>(kind: K, space: string): Promise<ItemByKind[K][]> {
    this.#assertOpen();
    return (await this.#queryJson(itemPartitionKey(kind, space))).map((json) => parseItem<K>(json));
  }

  async getConnection(space: string, connectionId: string): Promise<Connection | undefined> {
    this.#assertOpen();
    const { Item } = await this.#client.send(
      new GetItemCommand({ TableName: this.#tables.registry, Key: connectionKey(space, connectionId), ConsistentRead: true }),
    );
    const json = Item?.['json']?.S;
    return json === undefined ? undefined : (JSON.parse(json) as Connection);
  }

  /** One Query on the space's connection partition, sort keys descending. */
  async listConnections(space: string): Promise<Connection[]> {
    this.#assertOpen();
    return (await this.#queryJson(connectionPartitionKey(space))).map((json) => JSON.parse(json) as Connection);
  }

  /** A consistent Scan of the registry table for the connection partitions (read at start, not on a hot path). */
  async listAllConnections(): Promise<Connection[]> {
    this.#assertOpen();
    const texts = await this.#pagedJson((startKey) =>
      this.#client.send(
        new ScanCommand({
          TableName: this.#tables.registry,
          FilterExpression: 'begins_with(#pk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':prefix': { S: CONNECTION_PARTITION_PREFIX } },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    return texts
      .map((json) => JSON.parse(json) as Connection)
      .sort((a, b) => compareBytes(a.space, b.space) || compareBytes(b.connectionId, a.connectionId));
  }

  /** A conditional put (`attribute_not_exists`); throws {@link ConnectionExistsError}. */
  async createConnection(connection: Connection): Promise<void> {
    this.#assertOpen();
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#tables.registry,
          Item: connectionItem(connection),
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConnectionExistsError(connection.space, connection.connectionId);
      throw error;
    }
  }

  async putConnection(connection: Connection): Promise<void> {
    this.#assertOpen();
    await this.#client.send(new PutItemCommand({ TableName: this.#tables.registry, Item: connectionItem(connection) }));
  }

  async deleteConnection(space: string, connectionId: string): Promise<boolean> {
    this.#assertOpen();
    const { Attributes } = await this.#client.send(
      new DeleteItemCommand({ TableName: this.#tables.registry, Key: connectionKey(space, connectionId), ReturnValues: 'ALL_OLD' }),
    );
    return Attributes !== undefined;
  }

  /** The `json` attribute of every item of one partition, sort keys descending, every page. */
  #queryJson(partitionKey: string): Promise<string[]> {
    return this.#pagedJson((startKey) =>
      this.#client.send(
        new QueryCommand({
          TableName: this.#tables.registry,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':pk': { S: partitionKey } },
          ScanIndexForward: false,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
  }

  /** The `json` attribute of every item a paged Query or Scan returns, in its order. */
  async #pagedJson(
    read: (startKey: Record<string, AttributeValue> | undefined) => Promise<{ Items?: Record<string, AttributeValue>[]; LastEvaluatedKey?: Record<string, AttributeValue> }>,
  ): Promise<string[]> {
    const texts: string[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await read(startKey);
      for (const item of page.Items ?? []) {
        const json = item['json']?.S;
        if (json !== undefined) texts.push(json);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return texts;
  }

  /**
   * Create-if-absent (a conditional put); throws {@link ItemExistsError}. With `requires`, also throws
   * {@link ReferenceMissingError} when a named item does not exist at commit time.
   */
  async create<K extends Kind>(kind: K, item: ItemByKind[K], options: WriteOptions = {}): Promise<void> {
    await this.#write(kind, item, true, options.requires ?? []);
  }

  /** Insert or replace. With `requires`, throws {@link ReferenceMissingError} as {@link create} does. */
  async put<K extends Kind>(kind: K, item: ItemByKind[K], options: WriteOptions = {}): Promise<void> {
    await this.#write(kind, item, false, options.requires ?? []);
  }

  async delete(kind: Kind, space: string, id: string): Promise<boolean> {
    this.#assertOpen();
    const { Attributes } = await this.#client.send(
      new DeleteItemCommand({
        TableName: this.#tables.registry,
        Key: itemKey(kind, space, id),
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (!Attributes) return false;
    const writeId = Attributes['writeId']?.S;
    if (writeId !== undefined) this.#rememberOwnWrite(`delete:${writeId}`);
    this.#deliverOwn({ kind, space, id } as Omit<RegistryChange, 'version'>, writeId && `delete:${writeId}`);
    return true;
  }

  /**
   * Deletes the item unless an item matching one of `rules` (checked in order) exists in its space, atomically:
   * the delete commits only if no item of the rules' kinds was created or put in that space since the check
   * (their guard items are unchanged, a ConditionCheck in the delete's transaction). The config service's
   * "cannot be deleted because …" checks, safe across processes when the referring items are written with
   * `requires` naming what they refer to.
   */
  async deleteUnlessReferenced(
    kind: Kind,
    space: string,
    id: string,
    rules: readonly ReferenceRule[],
  ): Promise<GuardedDeleteResult> {
    this.#assertOpen();
    for (let attempt = 1; ; attempt++) {
      const guards = await Promise.all(rules.map((rule) => this.#readGuard(rule.kind, space)));
      for (const rule of rules) {
        const items: AnyItem[] = await this.list(rule.kind, space);
        const found = items.find(rule.references as (item: AnyItem) => boolean);
        if (found !== undefined) return { outcome: 'referenced', kind: rule.kind, item: found };
      }
      const stored = await this.#getStored(kind, space, id);
      if (!stored) return { outcome: 'missing' };

      // Deletes exactly the version checked: a put since then makes the transaction fail, and the loop checks again.
      const unchanged =
        stored.writeId === undefined
          ? { ConditionExpression: 'attribute_exists(sk) AND attribute_not_exists(#writeId)' }
          : { ConditionExpression: '#writeId = :writeId', ExpressionAttributeValues: { ':writeId': { S: stored.writeId } } };
      const actions: TransactWriteItem[] = [
        {
          Delete: {
            TableName: this.#tables.registry,
            Key: itemKey(kind, space, id),
            ExpressionAttributeNames: { '#writeId': 'writeId' },
            ...unchanged,
          },
        },
        ...rules.map((rule, index) => this.#guardCheck(rule.kind, space, guards[index])),
      ];
      try {
        await this.#client.send(new TransactWriteItemsCommand({ TransactItems: dedupeGuardChecks(actions) }));
        if (stored.writeId !== undefined) this.#rememberOwnWrite(`delete:${stored.writeId}`);
        this.#deliverOwn({ kind, space, id } as Omit<RegistryChange, 'version'>, stored.writeId && `delete:${stored.writeId}`);
        return { outcome: 'deleted' };
      } catch (error) {
        // The item or a guard changed since it was read: check again.
        if (!(error instanceof TransactionCanceledException) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
        await backoff(attempt);
      }
    }
  }

  /**
   * Every item, at one version. The version is read first (strongly consistent), then the items (a consistent,
   * paginated Scan): every change up to the version is in the items. Items written after it may be too; their
   * changes follow with higher versions and re-apply the same states.
   */
  async snapshot(): Promise<RegistrySnapshot> {
    this.#assertOpen();
    const { version, items } = await this.#readSnapshot();
    const snapshot: RegistrySnapshot = { version, eventtype: [], function: [], subscription: [], cors: [] };
    for (const { kind, item } of items) (snapshot[kind] as AnyItem[]).push(item);
    return snapshot;
  }

  /**
   * Listeners are called from the change feed's poll, in the log's version order, one change to every listener
   * before the next. The feed runs while at least one listener is subscribed.
   */
  onChange(listener: (change: RegistryChange) => void): () => void {
    this.#assertOpen();
    const subscriber: Subscriber = { listener, skip: new Set(this.#ownWrites.keys()), subscribedAt: Date.now() };
    this.#subscribers.add(subscriber);
    this.#feed ??= this.#startFeed();
    return () => {
      if (!this.#subscribers.delete(subscriber) || this.#subscribers.size > 0) return;
      this.#feed?.stop();
      this.#feed = undefined;
    };
  }

  /** Stops the change feed and drops the listeners; later calls reject. The client stays open: its owner closes it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscribers.clear();
    this.#feed?.stop();
    this.#feed = undefined;
  }

  async #write<K extends Kind>(
    kind: K,
    item: ItemByKind[K],
    create: boolean,
    requires: readonly ItemReference[],
  ): Promise<void> {
    this.#assertOpen();
    const { space } = item;
    const id = idOf(kind, item);
    const writeId = randomBytes(12).toString('base64url');
    const writtenAt = Date.now();
    const stored: Record<string, AttributeValue> = {
      ...itemKey(kind, space, id),
      json: { S: JSON.stringify(item) },
      writeId: { S: writeId },
      writtenAt: { N: String(writtenAt) },
    };
    const condition = create
      ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } }
      : {};

    if (!REFERRING_KINDS.has(kind) && requires.length === 0) {
      try {
        await this.#client.send(new PutItemCommand({ TableName: this.#tables.registry, Item: stored, ...condition }));
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw new ItemExistsError(kind, space, id);
        throw error;
      }
    } else {
      const actions: TransactWriteItem[] = [{ Put: { TableName: this.#tables.registry, Item: stored, ...condition } }];
      if (REFERRING_KINDS.has(kind)) actions.push(this.#guardBump(kind, space));
      for (const reference of requires) {
        actions.push({
          ConditionCheck: {
            TableName: this.#tables.registry,
            Key: itemKey(reference.kind, space, reference.id),
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk' },
          },
        });
      }
      await this.#transact(actions, (reasons) => {
        if (reasons[0]?.Code === 'ConditionalCheckFailed') return new ItemExistsError(kind, space, id);
        const firstCheck = actions.length - requires.length;
        const missing = requires.find((_, index) => reasons[firstCheck + index]?.Code === 'ConditionalCheckFailed');
        return missing && new ReferenceMissingError(missing.kind, space, missing.id);
      });
    }
    this.#rememberOwnWrite(`put:${writeId}`);
    this.#deliverOwn({ kind, space, id, item } as Omit<RegistryChange, 'version'>, `put:${writeId}`, writtenAt);
  }

  /** Runs a transaction, retrying conflicts; `failure` maps failed conditions to the caller's error. */
  async #transact(
    actions: TransactWriteItem[],
    failure: (reasons: { Code?: string | undefined }[]) => Error | undefined,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#client.send(new TransactWriteItemsCommand({ TransactItems: actions }));
        return;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const mapped = failure(reasons);
        if (mapped) throw mapped;
        const conflict = reasons.some((reason) => reason.Code === 'TransactionConflict');
        if (!conflict || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
        await backoff(attempt);
      }
    }
  }

  #guardBump(kind: Kind, space: string): TransactWriteItem {
    return {
      Update: {
        TableName: this.#tables.registry,
        Key: guardKey(kind, space),
        UpdateExpression: 'ADD #revision :one',
        ExpressionAttributeNames: { '#revision': 'revision' },
        ExpressionAttributeValues: { ':one': { N: '1' } },
      },
    };
  }

  #guardCheck(kind: Kind, space: string, revision: string | undefined): TransactWriteItem {
    return {
      ConditionCheck: {
        TableName: this.#tables.registry,
        Key: guardKey(kind, space),
        ...(revision === undefined
          ? {
              ConditionExpression: 'attribute_not_exists(#revision)',
              ExpressionAttributeNames: { '#revision': 'revision' },
            }
          : {
              ConditionExpression: '#revision = :revision',
              ExpressionAttributeNames: { '#revision': 'revision' },
              ExpressionAttributeValues: { ':revision': { N: revision } },
            }),
      },
    };
  }

  async #readGuard(kind: Kind, space: string): Promise<string | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({ TableName: this.#tables.registry, Key: guardKey(kind, space), ConsistentRead: true }),
    );
    return Item?.['revision']?.N;
  }

  async #getStored(kind: Kind, space: string, id: string): Promise<{ json: string; writeId?: string } | undefined> {
    const { Item } = await this.#client.send(
      new GetItemCommand({ TableName: this.#tables.registry, Key: itemKey(kind, space, id), ConsistentRead: true }),
    );
    const json = Item?.['json']?.S;
    if (json === undefined) return undefined;
    const writeId = Item?.['writeId']?.S;
    return writeId === undefined ? { json } : { json, writeId };
  }

  async #readSnapshot(): Promise<{ version: number; items: (ItemKey & { item: AnyItem })[] }> {
    // A feed that is starting reads its start version first; ours must not be older (see ChangeFeed.ready).
    await this.#feed?.ready;
    const version = await readCounter(this.#client, this.#tables.changes);
    this.#advance(version);
    const items: (ItemKey & { item: AnyItem })[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#client.send(
        new ScanCommand({ TableName: this.#tables.registry, ConsistentRead: true, ExclusiveStartKey: startKey }),
      );
      for (const stored of page.Items ?? []) {
        const key = parseItemKey(stored['pk']?.S ?? '', stored['sk']?.S ?? '');
        const json = stored['json']?.S;
        if (!key || json === undefined) continue;
        this.#knownKeys.set(keyString(key), key);
        items.push({ ...key, item: parseItem(json) });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { version, items };
  }

  #startFeed(): ChangeFeed {
    return new ChangeFeed({
      intervalMs: this.#pollIntervalMs,
      readCounter: () => readCounter(this.#client, this.#tables.changes),
      readEntries: (from, to) => readEntries(this.#client, this.#tables.changes, from, to),
      readItem: (key) => this.get(key.kind, key.space, key.id),
      snapshot: () => this.#readSnapshot(),
      knownKeys: () => this.#knownKeys.values(),
      emit: (change, entry) => this.#deliver(change, entry),
      onError: (error) => this.#onPollError(error),
    });
  }

  /** A change from the feed: an entry of the log, or (without `entry`) one a resync made up from a snapshot. */
  #deliver(change: RegistryChange, entry: ChangeLogEntry | undefined): void {
    const keyId = keyString(change);
    this.#advance(change.version);
    const signature = entry?.writeId === undefined ? undefined : `${entry.deleted ? 'delete' : 'put'}:${entry.writeId}`;
    if (signature !== undefined) {
      this.#ownWrites.delete(signature);
      remember(this.#logged, signature);
    }
    const pending = this.#pendingOwn.get(keyId);
    let ownWrite = false;
    if (pending !== undefined) {
      if (entry !== undefined && signature !== pending.signature && Date.now() - pending.at < OWN_WRITE_MEMORY_MS) {
        return; // older than the write this instance made and already delivered
      }
      this.#pendingOwn.delete(keyId);
      ownWrite = signature === pending.signature;
    }
    if (entry?.writtenAt !== undefined && !ownWrite) this.#reportLag(Date.now() - entry.writtenAt, change);
    this.#notify(change, signature);
  }

  /** This instance's write, to its listeners at once (read-your-writes); its log entry follows later. */
  #deliverOwn(unnumbered: Omit<RegistryChange, 'version'>, signature: string | undefined, writtenAt?: number): void {
    if (!this.#ownWritesAtOnce || this.#subscribers.size === 0) return;
    if (signature === undefined || this.#logged.has(signature)) return;
    const own = ++this.#ownSinceLast;
    const change = { ...unnumbered, version: this.#lastVersion + own / (own + 1) } as RegistryChange;
    this.#pendingOwn.set(keyString(change), { signature, at: Date.now() });
    if (writtenAt !== undefined) this.#reportLag(Date.now() - writtenAt, change);
    this.#notify(change, undefined);
  }

  #advance(version: number): void {
    if (version <= this.#lastVersion) return;
    this.#lastVersion = version;
    this.#ownSinceLast = 0;
  }

  #reportLag(lagMs: number, change: RegistryChange): void {
    if (!this.#onChangeLag) return;
    try {
      this.#onChangeLag(lagMs, change);
    } catch {
      // A metrics callback must not stop the feed.
    }
  }

  #notify(change: RegistryChange, signature: string | undefined): void {
    const keyId = keyString(change);
    if (change.item === undefined) this.#knownKeys.delete(keyId);
    else this.#knownKeys.set(keyId, { kind: change.kind, space: change.space, id: change.id });
    const now = Date.now();
    for (const subscriber of [...this.#subscribers]) {
      if (!this.#subscribers.has(subscriber)) continue;
      // Past the memory span, a skipped write is taken to have been logged before this feed started.
      if (subscriber.skip.size > 0 && now - subscriber.subscribedAt > OWN_WRITE_MEMORY_MS) subscriber.skip.clear();
      if (signature !== undefined && subscriber.skip.delete(signature)) continue;
      try {
        subscriber.listener(change);
      } catch (error) {
        try {
          this.#onListenerError(error, change);
        } catch {
          // The reporter itself failed: there is nowhere left to report to.
        }
      }
    }
  }

  #rememberOwnWrite(signature: string): void {
    remember(this.#ownWrites, signature);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the registry is closed');
  }
}

/** Adds a signature to a time-ordered memory, forgetting those older than a minute (or beyond the cap). */
function remember(memory: Map<string, number>, signature: string): void {
  const now = Date.now();
  for (const [old, at] of memory) {
    if (now - at < OWN_WRITE_MEMORY_MS && memory.size < OWN_WRITE_MEMORY_MAX) break;
    memory.delete(old);
  }
  memory.delete(signature);
  memory.set(signature, now);
}

function itemKey(kind: Kind, space: string, id: string): Record<string, AttributeValue> {
  return { pk: { S: itemPartitionKey(kind, space) }, sk: { S: id } };
}

function connectionKey(space: string, connectionId: string): Record<string, AttributeValue> {
  return { pk: { S: connectionPartitionKey(space) }, sk: { S: connectionId } };
}

/** No `writeId`/`writtenAt`: connections are not in the change log (the Stream relay skips their partition). */
function connectionItem(connection: Connection): Record<string, AttributeValue> {
  return { ...connectionKey(connection.space, connection.connectionId), json: { S: JSON.stringify(connection) } };
}

/** DynamoDB's order of string keys: their UTF-8 bytes. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function guardKey(kind: Kind, space: string): Record<string, AttributeValue> {
  return { pk: { S: `guard#${kind}#${space}` }, sk: { S: 'guard' } };
}

/** Two rules of one kind name the same guard item, which a transaction may touch only once. */
function dedupeGuardChecks(actions: TransactWriteItem[]): TransactWriteItem[] {
  const seen = new Set<string>();
  return actions.filter((action) => {
    if (!action.ConditionCheck) return true;
    const key = action.ConditionCheck.Key?.['pk']?.S ?? '';
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function parseItem<K extends Kind>(json: string): ItemByKind[K] {
  return JSON.parse(json) as ItemByKind[K];
}

function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));
}

function reportListenerError(error: unknown, change: RegistryChange): void {
  const where = `${change.kind} ${change.space}/${change.id} (version ${change.version})`;
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.emitWarning(`a registry change listener threw on ${where}: ${detail}`, 'RegistryListenerWarning');
}

function reportPollError(error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.emitWarning(`polling the registry change log failed: ${detail}`, 'RegistryPollWarning');
}
