import { randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { burstCapacity, type Admission, type DeliveryLimiter, type FunctionLimits, type Refused } from '../../../ports/delivery-limiter.js';
import { LIMITS_PARTITION_KEY, LIMITS_TTL_ATTRIBUTE } from './table.js';

export interface DynamoLimiterOptions {
  client: DynamoDBClient;
  /** The limits table (see {@link limitsTableInput}). */
  tableName: string;
  /** The clock, in milliseconds. Every process sharing a table must agree on it within a few ms. @default Date.now */
  now?: () => number;
  /** Names this process's concurrency lease in the items. @default random */
  processId?: string;
  /**
   * A batch of rate tokens holds at most this much of the rate, and about this much of this process's recent demand
   * (`perSecond = 100` and 100 ms: at most 10 tokens per write). @default 100
   */
  batchWindowMs?: number;
  /**
   * Tokens of a batch not spent within this time are dropped (never returned): it bounds how far a token can move
   * from the moment the table granted it, hence the slack over the rate in any window (docs/limits.md). @default 100
   */
  tokenTtlMs?: number;
  /** A process's concurrency slots are reclaimable by others once unrenewed for this long (a crash). @default 30000 */
  leaseMs?: number;
  /**
   * Told of DynamoDB errors in the background (a release or a lease renewal that failed; both are retried).
   * `acquire` rejects with its errors instead: the caller holds the call back (fail closed, docs/limits.md).
   */
  onError?: (error: unknown, key: string) => void;
}

/** What this limiter asked of DynamoDB so far: tests and docs/limits.md's cost figures read it. */
export interface DynamoLimiterStats {
  /** UpdateItem calls that wrote. */
  writes: number;
  /** UpdateItem calls whose condition failed (billed like a write). */
  failedWrites: number;
  /** GetItem calls (only when DynamoDB did not return the item with a failed condition). */
  reads: number;
  /** Rate tokens granted to this process by the table, spent or not. */
  tokensGranted: number;
}

const MIN_RETRY_MS = 1;
const MAX_RETRY_MS = 60_000;
/** Token counts this close to a whole number count as it (the rounding of `tat`). */
const EPSILON = 1e-6;
/** A call is assumed to take this long before any has ended (concurrency hints). */
const INITIAL_CALL_MS = 100;
const DURATION_WEIGHT = 0.2;
/** Items untouched this long expire by TTL. */
const ITEM_TTL_SECONDS = 24 * 60 * 60;
/** How long a lost race makes a process read before it writes, and a refusal makes it take whole batches only. */
const CONTENDED_MS = 1000;
/**
 * Slack in the take's condition for the rounding of `tat` (a decimal in the table, a double here): a microsecond,
 * a millionth of a token at 1/s.
 */
const ROUNDING_MS = 0.001;

/** One function's rate, as this process sees it. */
interface RateState {
  /** The newest theoretical arrival time read from the table: never later than the table's (it only grows). */
  tat: number | undefined;
  /** Tokens of the current batch, spendable until `expiresAt`. */
  tokens: number;
  expiresAt: number;
  /** Demand (acquire calls) in the current and the previous batch window. */
  windowStart: number;
  windowCount: number;
  previousCount: number;
  /** When the last place in line given to a refused caller falls due. */
  promisedUntil: number;
  /** When this process last refused a caller for the rate. */
  refusedAt: number;
  /** Until when this process reads the bucket before writing to it (it lost a race for it lately). */
  contendedUntil: number;
  /** The take in flight: callers that find no local token wait for it instead of writing too. */
  taking: Promise<void> | undefined;
}

/** One function's concurrency slots leased by this process. */
interface SlotState {
  inFlight: number;
  /** Releases whose write failed; retried at the next renewal. */
  unreleased: number;
  averageCallMs: number;
  promisedUntil: number;
}

/**
 * The limiter shared by every delivery Lambda and router task (README.md next to this file, docs/limits.md).
 *
 * Rate: a token bucket of capacity {@link burstCapacity} kept as one number, its theoretical arrival time `tat`
 * (GCRA): the bucket holds `capacity − (tat − now) / interval` tokens, capped at capacity. Taking `k` tokens is one
 * conditional UpdateItem (`tat = max(tat, now) + k·interval`, if that stays within a bucket's worth of the present),
 * so processes never overwrite one another and no read precedes a write. A process takes a batch sized to its recent
 * demand (at most `batchWindowMs` of the rate) and spends it locally; a refusal is decided from the newest `tat` it
 * has seen, without a call.
 *
 * Concurrency: an atomic counter `inFlight` with, per process, the slots it holds (`lease_<id>`) and until when
 * (`leaseUntil_<id>`, renewed while it holds any). A refused process reclaims the slots of leases that lapsed (a
 * crashed process) before giving up.
 */
export class DynamoLimiter implements DeliveryLimiter {
  readonly stats: DynamoLimiterStats = { writes: 0, failedWrites: 0, reads: 0, tokensGranted: 0 };
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly batchWindowMs: number;
  private readonly tokenTtlMs: number;
  private readonly leaseMs: number;
  private readonly onError: (error: unknown, key: string) => void;
  private readonly leaseAttribute: string;
  private readonly leaseUntilAttribute: string;
  private readonly rates = new Map<string, RateState>();
  private readonly slots = new Map<string, SlotState>();
  private readonly pending = new Set<Promise<unknown>>();
  private renewTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: DynamoLimiterOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.batchWindowMs = Math.max(1, options.batchWindowMs ?? 100);
    this.tokenTtlMs = Math.max(1, options.tokenTtlMs ?? 100);
    this.leaseMs = Math.max(1000, options.leaseMs ?? 30_000);
    this.onError = options.onError ?? (() => undefined);
    const processId = options.processId ?? randomBytes(6).toString('hex');
    this.leaseAttribute = `lease_${processId}`;
    this.leaseUntilAttribute = `leaseUntil_${processId}`;
  }

  async acquire(key: string, limits: FunctionLimits): Promise<Admission> {
    const perSecond = limits.perSecond !== undefined && limits.perSecond > 0 ? limits.perSecond : undefined;
    const maxConcurrency = limits.maxConcurrency !== undefined && limits.maxConcurrency > 0 ? limits.maxConcurrency : undefined;
    if (perSecond !== undefined) {
      const refused = await this.takeToken(key, perSecond);
      if (refused) return refused;
    }
    if (maxConcurrency === undefined) return { admitted: true, release: () => undefined };
    let slot: Admission;
    try {
      slot = await this.takeSlot(key, maxConcurrency);
    } catch (error) {
      if (perSecond !== undefined) this.giveBackToken(key);
      throw error;
    }
    if (!slot.admitted && perSecond !== undefined) this.giveBackToken(key);
    return slot;
  }

  /** Waits for the releases still being written (a Lambda handler calls it before returning, so none is frozen). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    await this.settle();
    this.rates.clear();
  }

  // ---- rate ----

  private async takeToken(key: string, perSecond: number): Promise<Refused | undefined> {
    const state = this.rateState(key);
    noteDemand(state, this.now(), this.batchWindowMs);
    for (;;) {
      const now = this.now();
      if (state.tokens >= 1 && now < state.expiresAt) {
        state.tokens -= 1;
        return undefined;
      }
      state.tokens = 0;
      if (!state.taking) break;
      await state.taking;
    }
    let outcome: Refused | undefined;
    let failure: { error: unknown } | undefined;
    const taking = this.takeBatch(key, state, perSecond).then(
      (refused) => {
        outcome = refused;
      },
      (error: unknown) => {
        failure = { error };
      },
    );
    state.taking = taking;
    await taking;
    state.taking = undefined;
    if (failure) throw failure.error;
    if (outcome) return outcome;
    state.tokens -= 1;
    return undefined;
  }

  /**
   * Fills `state.tokens` with a batch from the table, or answers why not. A refused caller is told to come back when
   * a whole batch is there, so that a backlog costs one write per batch, not one per token. A process that lost a
   * race for the bucket lately (others share it) also waits for a whole batch, and reads the item (consistently)
   * before writing: a read costs a fifth of a write, and most such writes would fail.
   */
  private async takeBatch(key: string, state: RateState, perSecond: number): Promise<Refused | undefined> {
    const capacity = burstCapacity(perSecond);
    const interval = 1000 / perSecond;
    const maxBatch = Math.max(1, Math.min(Math.floor(capacity), Math.ceil((perSecond * this.batchWindowMs) / 1000)));
    const wanted = Math.min(maxBatch, Math.max(1, state.windowCount, state.previousCount));
    let now = this.now();
    let take = wanted;
    if (state.tat !== undefined) {
      const available = tokensAt(state.tat, now, capacity, interval);
      const contended = now < state.contendedUntil;
      // A bucket that ran dry lately is a backlog's: take whole batches only. Otherwise (a burst) take what is there.
      const wholeBatch = contended || now - state.refusedAt < CONTENDED_MS;
      if (available < (wholeBatch ? wanted : 1) - EPSILON) return this.refuseRate(state, now, capacity, interval, wanted);
      take = Math.min(wanted, Math.floor(available + EPSILON));
      if (contended) {
        const tat = readNumber(await this.read(key), 'tat');
        if (tat !== undefined) state.tat = Math.max(state.tat, tat);
        now = this.now();
        if (tokensAt(state.tat, now, capacity, interval) < wanted - EPSILON) return this.refuseRate(state, now, capacity, interval, wanted);
      }
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      now = this.now();
      const result = await this.writeTake(key, state.tat, now, take, capacity, interval);
      if (result.taken) {
        state.tat = result.tat;
        state.tokens = take;
        state.expiresAt = now + this.tokenTtlMs;
        this.stats.tokensGranted += take;
        return undefined;
      }
      state.contendedUntil = now + CONTENDED_MS;
      if (result.tat !== undefined) state.tat = Math.max(state.tat ?? -Infinity, result.tat);
      if (state.tat !== undefined && tokensAt(state.tat, now, capacity, interval) < wanted - EPSILON) break;
      take = wanted;
    }
    return this.refuseRate(state, this.now(), capacity, interval, wanted);
  }

  /**
   * One conditional write taking `take` tokens. A bucket whose `tat` is in the past is full: `tat = now + take·interval`.
   * Otherwise `tat += take·interval`, if the bucket holds `take` tokens. On a failed condition, the table's `tat`.
   */
  private async writeTake(
    key: string,
    knownTat: number | undefined,
    now: number,
    take: number,
    capacity: number,
    interval: number,
    switched = false,
  ): Promise<{ taken: true; tat: number } | { taken: false; tat: number | undefined }> {
    const full = knownTat === undefined || knownTat <= now;
    const input: UpdateItemCommandInput = full
      ? {
          TableName: this.tableName,
          Key: { [LIMITS_PARTITION_KEY]: { S: key } },
          UpdateExpression: 'SET tat = :tat, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(tat) OR tat <= :now',
          ExpressionAttributeNames: { '#ttl': LIMITS_TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':tat': num(now + take * interval), ':now': num(now), ':ttl': num(this.ttl(now)) },
        }
      : {
          TableName: this.tableName,
          Key: { [LIMITS_PARTITION_KEY]: { S: key } },
          UpdateExpression: 'SET tat = tat + :cost, #ttl = :ttl',
          ConditionExpression: 'tat > :now AND tat <= :latest',
          ExpressionAttributeNames: { '#ttl': LIMITS_TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':cost': num(take * interval),
            ':now': num(now),
            ':latest': num(now + (capacity - take) * interval + ROUNDING_MS),
            ':ttl': num(this.ttl(now)),
          },
        };
    const outcome = await this.update(input);
    if (outcome.ok) return { taken: true, tat: readNumber(outcome.item, 'tat') ?? now + take * interval };
    const tat = readNumber(outcome.item, 'tat');
    if (switched) return { taken: false, tat };
    // The other form of the write fits the bucket as it really is: try it at once.
    if (full && tat !== undefined && tat > now) return this.writeTake(key, tat, now, take, capacity, interval, true);
    if (!full && (tat === undefined || tat <= now)) return this.writeTake(key, undefined, now, take, capacity, interval, true);
    return { taken: false, tat };
  }

  /**
   * A refusal with a place in line: the time the bucket holds `needed` tokens, then one interval later per caller
   * already refused, so that a postponed backlog comes back spread at the rate.
   */
  private refuseRate(state: RateState, now: number, capacity: number, interval: number, needed: number): Refused {
    const tat = state.tat ?? now;
    const ready = tat - (capacity - Math.min(needed, capacity)) * interval;
    state.refusedAt = now;
    const at = Math.max(ready, now + MIN_RETRY_MS, state.promisedUntil + interval);
    state.promisedUntil = Math.min(at, now + MAX_RETRY_MS);
    return { admitted: false, reason: 'rate', retryAfterMs: clampRetry(at - now) };
  }

  private giveBackToken(key: string): void {
    const state = this.rates.get(key);
    if (state && this.now() < state.expiresAt) state.tokens += 1;
  }

  private rateState(key: string): RateState {
    let state = this.rates.get(key);
    if (!state) {
      state = { tat: undefined, tokens: 0, expiresAt: 0, windowStart: this.now(), windowCount: 0, previousCount: 0, promisedUntil: -Infinity, refusedAt: -Infinity, contendedUntil: -Infinity, taking: undefined };
      this.rates.set(key, state);
    }
    return state;
  }

  // ---- concurrency ----

  private async takeSlot(key: string, maxConcurrency: number): Promise<Admission> {
    const state = this.slotState(key);
    for (let attempt = 0; attempt < 2; attempt++) {
      const now = this.now();
      const outcome = await this.update({
        TableName: this.tableName,
        Key: { [LIMITS_PARTITION_KEY]: { S: key } },
        UpdateExpression: 'ADD inFlight :one, #lease :one SET #until = :until, #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(inFlight) OR inFlight < :max',
        ExpressionAttributeNames: { '#lease': this.leaseAttribute, '#until': this.leaseUntilAttribute, '#ttl': LIMITS_TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':one': num(1), ':max': num(maxConcurrency), ':until': num(now + this.leaseMs), ':ttl': num(this.ttl(now)) },
      });
      if (outcome.ok) return this.admitSlot(key, state, now);
      if (!(await this.reclaimLapsedLeases(key, outcome.item, now))) break;
    }
    const now = this.now();
    const interval = state.averageCallMs / maxConcurrency;
    const at = Math.max(now + interval, state.promisedUntil + interval);
    state.promisedUntil = Math.min(at, now + MAX_RETRY_MS);
    return { admitted: false, reason: 'concurrency', retryAfterMs: clampRetry(at - now) };
  }

  private admitSlot(key: string, state: SlotState, startedAt: number): Admission {
    state.inFlight += 1;
    this.startRenewing();
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        state.inFlight -= 1;
        state.averageCallMs += (Math.max(0, this.now() - startedAt) - state.averageCallMs) * DURATION_WEIGHT;
        this.track(this.writeRelease(key, state, 1));
      },
    };
  }

  private async writeRelease(key: string, state: SlotState, count: number): Promise<void> {
    try {
      await this.update({
        TableName: this.tableName,
        Key: { [LIMITS_PARTITION_KEY]: { S: key } },
        UpdateExpression: 'ADD inFlight :minus, #lease :minus',
        // A lease reclaimed meanwhile (this process was stalled past it) has already given its slots back.
        ConditionExpression: '#lease >= :count',
        ExpressionAttributeNames: { '#lease': this.leaseAttribute },
        ExpressionAttributeValues: { ':minus': num(-count), ':count': num(count) },
      });
    } catch (error) {
      this.onError(error, key);
      state.unreleased += count;
    }
  }

  /** Gives back the slots of other processes' lapsed leases; true when any came back. */
  private async reclaimLapsedLeases(key: string, item: Record<string, AttributeValue> | undefined, now: number): Promise<boolean> {
    let reclaimed = false;
    for (const [name, value] of Object.entries(item ?? {})) {
      if (!name.startsWith('lease_')) continue;
      const untilName = `leaseUntil_${name.slice('lease_'.length)}`;
      const held = Number(value.N ?? 0);
      const until = readNumber(item, untilName);
      if (until === undefined || until >= now) continue;
      const outcome = await this.update({
        TableName: this.tableName,
        Key: { [LIMITS_PARTITION_KEY]: { S: key } },
        UpdateExpression: 'ADD inFlight :minus REMOVE #lease, #until',
        ConditionExpression: '#lease = :held AND #until = :until',
        ExpressionAttributeNames: { '#lease': name, '#until': untilName },
        ExpressionAttributeValues: { ':minus': num(-held), ':held': num(held), ':until': num(until) },
      });
      if (outcome.ok && held > 0) reclaimed = true;
    }
    return reclaimed;
  }

  private startRenewing(): void {
    if (this.renewTimer || this.closed) return;
    this.renewTimer = setInterval(() => this.track(this.renew()), Math.floor(this.leaseMs / 3));
    this.renewTimer.unref();
  }

  /** Extends this process's leases where it holds slots, and retries releases that failed. */
  private async renew(): Promise<void> {
    const now = this.now();
    let holding = false;
    for (const [key, state] of this.slots) {
      if (state.unreleased > 0) {
        const count = state.unreleased;
        state.unreleased = 0;
        await this.writeRelease(key, state, count);
      }
      if (state.inFlight === 0) continue;
      holding = true;
      try {
        await this.update({
          TableName: this.tableName,
          Key: { [LIMITS_PARTITION_KEY]: { S: key } },
          UpdateExpression: 'SET #until = :until, #ttl = :ttl',
          ConditionExpression: 'attribute_exists(#lease)',
          ExpressionAttributeNames: { '#lease': this.leaseAttribute, '#until': this.leaseUntilAttribute, '#ttl': LIMITS_TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':until': num(now + this.leaseMs), ':ttl': num(this.ttl(now)) },
        });
      } catch (error) {
        this.onError(error, key);
      }
    }
    if (!holding && this.renewTimer && [...this.slots.values()].every((s) => s.unreleased === 0)) {
      clearInterval(this.renewTimer);
      this.renewTimer = undefined;
    }
  }

  private slotState(key: string): SlotState {
    let state = this.slots.get(key);
    if (!state) {
      state = { inFlight: 0, unreleased: 0, averageCallMs: INITIAL_CALL_MS, promisedUntil: -Infinity };
      this.slots.set(key, state);
    }
    return state;
  }

  // ---- DynamoDB ----

  /** A conditional UpdateItem: the new item, or the item as it was when the condition failed (when DynamoDB says). */
  private async update(input: UpdateItemCommandInput): Promise<{ ok: boolean; item: Record<string, AttributeValue> | undefined }> {
    try {
      const output = await this.client.send(
        new UpdateItemCommand({ ...input, ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      this.stats.writes += 1;
      return { ok: true, item: output.Attributes };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      this.stats.failedWrites += 1;
      return { ok: false, item: error.Item ?? (await this.read(input.Key![LIMITS_PARTITION_KEY]!.S!)) };
    }
  }

  private async read(key: string): Promise<Record<string, AttributeValue> | undefined> {
    this.stats.reads += 1;
    const output = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { [LIMITS_PARTITION_KEY]: { S: key } }, ConsistentRead: true }),
    );
    return output.Item;
  }

  private track(promise: Promise<unknown>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  private ttl(now: number): number {
    return Math.floor(now / 1000) + ITEM_TTL_SECONDS;
  }
}

/** Tokens in a bucket whose theoretical arrival time is `tat`, at `now`. */
function tokensAt(tat: number, now: number, capacity: number, interval: number): number {
  return Math.min(capacity, capacity - (tat - now) / interval);
}

function noteDemand(state: RateState, now: number, windowMs: number): void {
  if (now - state.windowStart >= windowMs) {
    state.previousCount = now - state.windowStart >= 2 * windowMs ? 0 : state.windowCount;
    state.windowCount = 0;
    state.windowStart = now;
  }
  state.windowCount += 1;
}

function num(value: number): AttributeValue {
  return { N: String(value) };
}

function readNumber(item: Record<string, AttributeValue> | undefined, name: string): number | undefined {
  const value = item?.[name]?.N;
  return value === undefined ? undefined : Number(value);
}

function clampRetry(ms: number): number {
  return Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, Math.ceil(ms)));
}
