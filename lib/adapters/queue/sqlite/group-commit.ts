/**
 * Group commit: the operations of many concurrent calls are gathered and committed in one transaction on the next
 * turn of the event loop (or after a linger). See README.md#group-commit.
 */
import type { DeliveryError, DeliveryItem } from '../../../ports/delivery-queue.js';
import type { StoredRow } from './table.js';

export interface EnqueueOp {
  kind: 'enqueue';
  rows: StoredRow[];
  /** The `lease` the rows are written with when they are held in memory. */
  token: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Set by the write pass: whether the rows are held, how many were new, and each row's `seq`. */
  held?: boolean;
  inserted?: number;
  seqs?: number[];
  error?: unknown;
}
export interface AckOp {
  kind: 'ack';
  id: string;
  lease: number | undefined;
  /** Set by the write pass: rows deleted. */
  deleted?: number;
}
export interface RetryOp {
  kind: 'retry';
  id: string;
  lease: number | undefined;
  visibleAt: number;
  attemptAt: number;
  error: DeliveryError;
  resolve: () => void;
  reject: (error: unknown) => void;
}
/** Not yet: due again at `visibleAt`, attempts and last error untouched (docs/limits.md). */
export interface PostponeOp {
  kind: 'postpone';
  id: string;
  lease: number | undefined;
  visibleAt: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}
/** A receive is served in order with the writes: after the commit of those queued before it. */
export interface ReceiveOp {
  kind: 'receive';
  max: number;
  leaseMs: number;
  signal: AbortSignal | undefined;
  resolve: (items: DeliveryItem[]) => void;
  reject: (error: unknown) => void;
}
/** Resolves once every operation queued before it is committed. */
export interface BarrierOp {
  kind: 'barrier';
  resolve: () => void;
}
export type Op = EnqueueOp | AckOp | RetryOp | PostponeOp | ReceiveOp | BarrierOp;
export type WriteOp = EnqueueOp | AckOp | RetryOp | PostponeOp;

export interface GroupCommitOptions {
  /** Longest a batch that holds enqueues waits to gather more; 0 commits on the next turn of the event loop. */
  maxLingerMs: number;
  /** Items (enqueued, acked or retried) per batch at most; one enqueue call is never split. */
  maxBatchItems: number;
  /** Commits one batch, in order: its writes in one transaction, then its receives and barriers. */
  commit: (batch: Op[]) => void;
}

/** Queues operations and hands them to `commit` in batches of at most `maxBatchItems` items. */
export class GroupCommit {
  readonly #maxLingerMs: number;
  readonly #maxBatchItems: number;
  readonly #commit: (batch: Op[]) => void;
  readonly #ops: Op[] = [];
  /** Items (enqueued, acked, retried) in {@link #ops}. */
  #queuedWeight = 0;
  #immediate: NodeJS.Immediate | undefined;
  #lingerTimer: NodeJS.Timeout | undefined;

  constructor(options: GroupCommitOptions) {
    this.#maxLingerMs = options.maxLingerMs;
    this.#maxBatchItems = options.maxBatchItems;
    this.#commit = options.commit;
  }

  /** Operations waiting for their commit. */
  get queued(): number {
    return this.#ops.length;
  }

  submit(op: Op): void {
    this.#ops.push(op);
    this.#queuedWeight += weightOf(op);
    if (this.#queuedWeight >= this.#maxBatchItems) {
      this.#flushOnNextTurn();
    } else if (this.#immediate === undefined && this.#lingerTimer === undefined) {
      if (op.kind === 'enqueue' && this.#maxLingerMs > 0) {
        this.#lingerTimer = setTimeout(() => this.flush(), this.#maxLingerMs);
      } else {
        this.#flushOnNextTurn();
      }
    }
  }

  /** Commits every queued operation, in order, in transactions of at most `maxBatchItems` items. */
  flush(): void {
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#immediate = undefined;
    this.#lingerTimer = undefined;
    while (this.#ops.length > 0) {
      let weight = 0;
      let end = 0;
      for (; end < this.#ops.length; end++) {
        const next = weightOf(this.#ops[end] as Op);
        if (weight > 0 && weight + next > this.#maxBatchItems) break;
        weight += next;
      }
      const batch = this.#ops.splice(0, end);
      this.#queuedWeight -= weight;
      this.#commit(batch);
    }
  }

  #flushOnNextTurn(): void {
    if (this.#lingerTimer !== undefined) {
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = undefined;
    }
    this.#immediate ??= setImmediate(() => this.flush());
  }
}

export function isWrite(op: Op): op is WriteOp {
  return op.kind === 'enqueue' || op.kind === 'ack' || op.kind === 'retry' || op.kind === 'postpone';
}

function weightOf(op: Op): number {
  switch (op.kind) {
    case 'enqueue':
      return op.rows.length;
    case 'ack':
    case 'retry':
    case 'postpone':
      return 1;
    default:
      return 0;
  }
}
