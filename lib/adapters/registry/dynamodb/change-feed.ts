import type { AnyItem, Kind } from '../../../core/model/types.js';
import type { RegistryChange } from '../../../ports/registry.js';
import type { ChangeLogEntry } from './change-log.js';

export interface ItemKey {
  kind: Kind;
  space: string;
  id: string;
}

export interface ChangeFeedDeps {
  intervalMs: number;
  readCounter(): Promise<number>;
  readEntries(from: number, to: number): Promise<ChangeLogEntry[]>;
  /** The item as stored now (strongly consistent), for entries whose image did not fit. */
  readItem(key: ItemKey): Promise<AnyItem | undefined>;
  /** The version, read first, then every item: what a resync re-announces. */
  snapshot(): Promise<{ version: number; items: (ItemKey & { item: AnyItem })[] }>;
  /** Every key a listener may hold: the resync announces the deletion of those no longer stored. */
  knownKeys(): Iterable<ItemKey>;
  /** Called for each change, in version order; `entry` is absent for the changes a resync makes up. */
  emit(change: RegistryChange, entry?: ChangeLogEntry): void;
  onError(error: unknown): void;
}

/**
 * Follows the change log for one {@link DynamoRegistry}: every `intervalMs` it reads the counter (a strongly
 * consistent GetItem), and when it moved, reads the entries after the last one it emitted and emits them in
 * version order.
 *
 * A missing entry can only be one TTL removed (entries are written in the counter's transaction), so it means
 * this feed fell further behind than the log's retention. It then resyncs: it reads a snapshot (version first,
 * then the items) and emits a put for every stored item and a delete for every other key a listener may hold,
 * numbered so that they end exactly at the snapshot's version. When there are more of them than versions
 * skipped, the made-up versions are fractions in between: still strictly increasing, and the next real change is
 * above them all.
 */
export class ChangeFeed {
  readonly #deps: ChangeFeedDeps;
  #lastSeen: number | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Settles once the start position is read (or failed to be): a snapshot taken after it covers what is skipped. */
  readonly ready: Promise<void>;

  constructor(deps: ChangeFeedDeps) {
    this.#deps = deps;
    let markReady: () => void = () => {};
    this.ready = new Promise((resolve) => (markReady = resolve));
    void this.#run(markReady);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  async #run(markReady: () => void): Promise<void> {
    try {
      this.#lastSeen = await this.#deps.readCounter();
    } catch (error) {
      this.#report(error);
    } finally {
      markReady();
    }
    let started = Date.now();
    while (!this.#stopped) {
      await this.#sleep(this.#deps.intervalMs - (Date.now() - started));
      if (this.#stopped) return;
      started = Date.now();
      try {
        await this.#poll();
      } catch (error) {
        this.#report(error);
      }
    }
  }

  async #poll(): Promise<void> {
    const latest = await this.#deps.readCounter();
    const lastSeen = this.#lastSeen;
    if (lastSeen === undefined) {
      this.#lastSeen = latest;
      return;
    }
    if (latest === lastSeen) return;
    if (latest < lastSeen) {
      this.#report(new Error(`the change log's counter went back from ${lastSeen} to ${latest} (table recreated?)`));
      await this.#resync(lastSeen);
      return;
    }
    const entries = await this.#deps.readEntries(lastSeen + 1, latest);
    for (const entry of entries) {
      if (this.#stopped) return;
      if (entry.version !== this.#lastSeen! + 1) break;
      const change = await this.#toChange(entry);
      if (this.#stopped) return;
      this.#lastSeen = entry.version;
      this.#deps.emit(change, entry);
    }
    if (this.#lastSeen! < latest && !this.#stopped) await this.#resync(this.#lastSeen!);
  }

  async #toChange(entry: ChangeLogEntry): Promise<RegistryChange> {
    const { kind, space, id, version } = entry;
    if (entry.deleted) return { kind, space, id, version };
    const item = entry.json !== undefined ? (JSON.parse(entry.json) as AnyItem) : await this.#deps.readItem(entry);
    return (item === undefined ? { kind, space, id, version } : { kind, space, id, item, version }) as RegistryChange;
  }

  async #resync(lastSeen: number): Promise<void> {
    const { version, items } = await this.#deps.snapshot();
    if (this.#stopped) return;
    const stored = new Set(items.map(keyString));
    const changes: Omit<RegistryChange, 'version'>[] = [];
    for (const key of this.#deps.knownKeys()) {
      if (!stored.has(keyString(key))) changes.push({ kind: key.kind, space: key.space, id: key.id });
    }
    for (const { kind, space, id, item } of items) {
      changes.push({ kind, space, id, item } as Omit<RegistryChange, 'version'>);
    }

    const versions = resyncVersions(lastSeen, version, changes.length);
    this.#lastSeen = version;
    changes.forEach((change, index) => this.#deps.emit({ ...change, version: versions[index]! } as RegistryChange));
  }

  #report(error: unknown): void {
    if (this.#stopped) return;
    try {
      this.#deps.onError(error);
    } catch {
      // Nowhere left to report to; the next poll retries anyway.
    }
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, ms);
    });
  }
}

/**
 * `count` strictly increasing versions above `after`, the last one being `upTo`: whole numbers when there is room,
 * fractions otherwise. A counter that went back (`upTo <= after`) gets versions just above `after`.
 */
export function resyncVersions(after: number, upTo: number, count: number): number[] {
  if (count === 0) return [];
  if (upTo - after >= count) return Array.from({ length: count }, (_, index) => upTo - count + 1 + index);
  const top = upTo > after ? upTo : after + 1;
  const step = (top - after) / count;
  return Array.from({ length: count }, (_, index) => (index === count - 1 ? top : after + step * (index + 1)));
}

export function keyString(key: ItemKey): string {
  return `${key.kind}\u0000${key.space}\u0000${key.id}`;
}
