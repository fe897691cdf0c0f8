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
   * A batch of rate tokens is this process's demand (acquire calls) in the last `batchWindowMs`, at least 1 and at
   * most `batchWindowMs` of the rate (`perSecond = 100`: up to 25 tokens per write). @default 250
   */
  batchWindowMs?: number;
  /**
   * A reserved token not spent within this time after its due time is dropped (never returned): it bounds how far a
   * call can move from its token's place, hence the slack over the rate in any window (docs/limits.md). @default 250
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
/** How far ahead of the next token refused callers are given places in line (see refuseRate). */
const SPREAD_MS = 1000;
/** Weight of the newest observation in the running share; the share never counts below MIN_SHARE. */
const SHARE_WEIGHT = 0.3;
const MIN_SHARE = 0.05;
/** How far ahead of the present the table hands out tokens (all processes together). */
const HORIZON_MS = 1000;
/**
 * Slack in the take's condition for the rounding of `tat` (a decimal in the table, a double here): a microsecond,
 * a millionth of a token at 1/s.
 */
const ROUNDING_MS = 0.001;

/** One function's rate, as this process sees it. */
interface RateState {
  /** The newest theoretical arrival time read from the table: never later than the table's (it only grows). */
  tat: number | undefined;
  /** Tokens reserved by this process and not spent: the next is usable from `dueFrom`, each later one `interval` after. */
  tokens: number;
  dueFrom: number;
  /** The interval the reservation was made at (a changed rate makes a new one). */
  interval: number;
  /** Demand (acquire calls) in the current and the previous batch window. */
  windowStart: number;
  windowCount: number;
  previousCount: number;
  /** When the last place in line given to a refused caller falls due. */
  promisedUntil: number;
  /** This process's recent share of the bucket's tokens (1: it alone), for spacing refused callers. */
  share: number;
  /** The reservation in flight: callers that find no token wait for it instead of writing too. */
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
 * (GCRA): a call conforms from `tat − (capacity − 1)·interval` on, and moves `tat` one interval on. A process
 * reserves a batch of the next tokens with one conditional UpdateItem (`tat = max(tat, now) + k·interval`, if that
 * stays within {@link HORIZON_MS} of the present), so processes never overwrite one another and no read precedes a
 * write; it then spends each token from its due time on, locally. The batch follows its recent demand (at most
 * `batchWindowMs` of the rate), and a refusal is decided from the newest `tat` it has seen, without a call.
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
    this.batchWindowMs = Math.max(1, options.batchWindowMs ?? 250);
    this.tokenTtlMs = Math.max(1, options.tokenTtlMs ?? 250);
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
    const interval = 1000 / perSecond;
    noteDemand(state, this.now(), this.batchWindowMs);
    for (;;) {
      const now = this.now();
      dropExpired(state, now, this.tokenTtlMs);
      if (state.tokens > 0 && state.interval === interval) {
        if (state.dueFrom <= now) {
          state.tokens -= 1;
          state.dueFrom += interval;
          return undefined;
        }
        return this.refuseRate(state, now, interval, state.dueFrom);
      }
      if (!state.taking) break;
      await state.taking;
    }
    let outcome: Refused | undefined;
    let failure: { error: unknown } | undefined;
    const taking = this.reserve(key, state, perSecond).then(
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
    return this.takeToken(key, perSecond);
  }

  /**
   * Reserves a batch of the bucket's next tokens for this process, each usable from its due time: the batch is this
   * process's recent demand, at most `batchWindowMs` of the rate, and the table hands out tokens at most
   * {@link HORIZON_MS} ahead. Reserving ahead makes the limiter indifferent to the round trip: a process needs one
   * write per batch, however slow the write.
   */
  private async reserve(key: string, state: RateState, perSecond: number): Promise<Refused | undefined> {
    const capacity = burstCapacity(perSecond);
    const interval = 1000 / perSecond;
    const horizon = Math.max(capacity * interval, HORIZON_MS);
    const maxBatch = Math.max(1, Math.min(Math.floor(horizon / interval), Math.ceil((perSecond * this.batchWindowMs) / 1000)));
    let take = Math.min(maxBatch, Math.max(1, state.windowCount, state.previousCount));
    let now = this.now();
    if (state.tat !== undefined && state.tat + interval > now + horizon + ROUNDING_MS) {
      return this.refuseRate(state, now, interval, state.tat - horizon + interval);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      now = this.now();
      const result = await this.writeTake(key, state.tat, now, take, interval, horizon);
      if (result.taken) {
        // This process's share of the bucket: its take against how far `tat` moved since it last looked.
        const moved = state.tat === undefined ? take * interval : result.tat - Math.max(state.tat, now);
        if (moved > 0) state.share += (Math.min(1, (take * interval) / moved) - state.share) * SHARE_WEIGHT;
        state.tat = result.tat;
        state.tokens = take;
        state.interval = interval;
        // GCRA: a call conforms from `tat − (capacity − 1)·interval`; the batch's tokens are the next `take` of them.
        state.dueFrom = result.tat - take * interval - (capacity - 1) * interval;
        this.stats.tokensGranted += take;
        return undefined;
      }
      if (result.tat !== undefined) state.tat = Math.max(state.tat ?? -Infinity, result.tat);
      const room = state.tat === undefined ? take : Math.floor((now + horizon - state.tat) / interval + EPSILON);
      if (room < 1) break;
      take = Math.min(take, room);
    }
    return this.refuseRate(state, now, interval, (state.tat ?? now) - horizon + interval);
  }

  /**
   * One conditional write reserving `take` tokens. A bucket whose `tat` is in the past is full:
   * `tat = now + take·interval`. Otherwise `tat += take·interval`, if that stays within the horizon. On a failed
   * condition, the table's `tat`.
   */
  private async writeTake(
    key: string,
    knownTat: number | undefined,
    now: number,
    take: number,
    interval: number,
    horizon: number,
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
            ':latest': num(now + horizon - take * interval + ROUNDING_MS),
            ':ttl': num(this.ttl(now)),
          },
        };
    const outcome = await this.update(input);
    if (outcome.ok) return { taken: true, tat: readNumber(outcome.item, 'tat') ?? now + take * interval };
    const tat = readNumber(outcome.item, 'tat');
    if (switched) return { taken: false, tat };
    // The other form of the write fits the bucket as it really is: try it at once.
    if (full && tat !== undefined && tat > now) return this.writeTake(key, tat, now, take, interval, horizon, true);
    if (!full && (tat === undefined || tat <= now)) return this.writeTake(key, undefined, now, take, interval, horizon, true);
    return { taken: false, tat };
  }

  /**
   * A refusal with a place in line: the first caller is told `readyAt`, each later one an interval after the one
   * before, so that a postponed backlog comes back spread at the rate; beyond {@link SPREAD_MS} of places (other
   * processes hand out places in the same bucket), callers are spread at random over the next second.
   */
  private refuseRate(state: RateState, now: number, interval: number, readyAt: number): Refused {
    const start = Math.max(readyAt, now + MIN_RETRY_MS);
    // Other processes give places in the same bucket: this one spaces its callers by its share of the tokens.
    const spacing = interval / Math.max(MIN_SHARE, state.share);
    let at = Math.max(start, state.promisedUntil + spacing);
    if (at > start + SPREAD_MS) at = start + Math.random() * SPREAD_MS;
    else state.promisedUntil = at;
    return { admitted: false, reason: 'rate', retryAfterMs: clampRetry(at - now) };
  }

  /** A token taken for a call that was then refused for concurrency goes back to the front of the batch. */
  private giveBackToken(key: string): void {
    const state = this.rates.get(key);
    if (!state) return;
    state.tokens += 1;
    state.dueFrom -= state.interval;
  }

  private rateState(key: string): RateState {
    let state = this.rates.get(key);
    if (!state) {
      state = { tat: undefined, tokens: 0, dueFrom: 0, interval: 0, windowStart: this.now(), windowCount: 0, previousCount: 0, promisedUntil: -Infinity, share: 1, taking: undefined };
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
    return { admitted: true, release: once(() => this.endCall(key, state, startedAt)) };
  }

  /** A call admitted at `startedAt` ended: its slot goes back to the table, its duration into the hint. */
  private endCall(key: string, state: SlotState, startedAt: number): void {
    state.inFlight -= 1;
    const tookMs = Math.max(0, this.now() - startedAt);
    state.averageCallMs += (tookMs - state.averageCallMs) * DURATION_WEIGHT;
    this.track(this.writeRelease(key, state, 1));
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

/** Drops the reserved tokens whose due time passed more than `ttlMs` ago: a token never moves further than that. */
function dropExpired(state: RateState, now: number, ttlMs: number): void {
  if (state.tokens === 0 || state.dueFrom + ttlMs >= now) return;
  const expired = Math.min(state.tokens, Math.floor((now - ttlMs - state.dueFrom) / state.interval) + 1);
  state.tokens -= expired;
  state.dueFrom += expired * state.interval;
}

function noteDemand(state: RateState, now: number, windowMs: number): void {
  if (now - state.windowStart >= windowMs) {
    state.previousCount = now - state.windowStart >= 2 * windowMs ? 0 : state.windowCount;
    state.windowCount = 0;
    state.windowStart = now;
  }
  state.windowCount += 1;
}

/** `fn` on the first call only (a release may be called again). */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
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
