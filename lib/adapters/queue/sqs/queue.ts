/**
 * The AWS {@link DeliveryQueue} on one SQS standard queue whose messages are bundles of items (bundle.ts). Enqueues
 * go through the send batcher (send-batcher.ts), deletes through the delete batcher (delete-batcher.ts), and
 * `maxPending` is checked against the pending estimate (pending-estimate.ts). How it works: README.md.
 */
import { DEFAULT_MAX_PENDING } from '../../../settings/defaults.js';
import { setMaxListeners } from 'node:events';
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  QueueFullError,
  type DeliveryError,
  type DeliveryItem,
  type DeliveryQueue,
  type NewDeliveryItem,
  type ReceiveOptions,
} from '../../../ports/delivery-queue.js';
import { nonNegative, reportError, sleep, tell } from '../support.js';
import { encodeBundleEntry } from './bundle.js';
import { DeleteBatcher } from './delete-batcher.js';
import { leaseOf, recordToDeliveryItems, type MessageLease, type SqsLease } from './leases.js';
import {
  SQS_MAX_BATCH_ENTRIES,
  SQS_MAX_MESSAGE_BYTES,
  messageToRecord,
  receiveCountOf,
  type DeliveryState,
  type SqsEventRecord,
} from './message.js';
import { PendingEstimate } from './pending-estimate.js';
import { SendBatcher, SendCall } from './send-batcher.js';

export interface SqsDeliveryQueueOptions {
  client: SQSClient;
  /** The queue URL exactly as CreateQueue/GetQueueUrl returned it. */
  queueUrl: string;
  /** Pending items beyond which enqueue throws QueueFullError. @default 100000 */
  maxPending?: number;
  /**
   * How long an open bundle waits for more items while enqueue calls come in slower than one per `maxLingerMs`
   * (idle): a lone event is not held up. @default 2
   */
  lingerMs?: number;
  /**
   * How long an open bundle waits for more items while enqueue calls come in faster (under load): fuller
   * bundles, so fewer SQS requests, for at most this much added accept latency. @default 20
   */
  maxLingerMs?: number;
  /** Items per bundle (one SQS message) at most. @default 500 */
  maxBundleItems?: number;
  /**
   * The largest message the queue takes (its MaximumMessageSize attribute): a bundle is closed before it would
   * grow past it. @default 1048576 (1 MiB, SQS's largest)
   */
  maxMessageBytes?: number;
  /** How long a delete waits for others to share its DeleteMessageBatch request. @default 20 */
  deleteLingerMs?: number;
  /** How old the queue's message count may get before a background GetQueueAttributes refreshes it. @default 1000 */
  pendingRefreshMs?: number;
  /** Sends of a message SQS reports as failed (not the sender's fault) before its enqueue rejects. @default 3 */
  maxSendAttempts?: number;
  /**
   * Told about failures nobody awaits: a message whose body is not a delivery item (left for SQS's redrive policy),
   * the delete of a bundle after its retry copies were stored, a background count refresh.
   * @default emits a process warning
   */
  onError?: (error: unknown) => void;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_WAIT_SECONDS = 20;
/** The rest of a wait shorter than a second is spent in short polls this far apart (WaitTimeSeconds is whole). */
const SHORT_POLL_INTERVAL_MS = 100;
/** A retry's lastError is cut to this many characters when the copy would not fit in a message otherwise. */
const TRUNCATED_ERROR_CHARS = 1024;
/** Bundles partly settled whose settled items this process remembers, at most (the oldest are forgotten). */
const MAX_REMEMBERED_BUNDLES = 10_000;

/** Items of a received bundle not handed out yet (receive returns at most `max`). */
interface Unclaimed {
  item: DeliveryItem;
  message: MessageLease;
}

/**
 * The AWS {@link DeliveryQueue} (README.md). Enqueue resolves once SQS stored every bundle holding the call's items;
 * a bundle is deleted once each of its items is acked, retried or postponed (both re-send the item). Settling needs the
 * receipt handle: pass the object `receive` (or {@link SqsDeliveryQueue.openRecord}) returned. `maxPending` is a
 * soft threshold on an approximate count. The client belongs to the caller: `close` does not destroy it.
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #maxPending: number;
  readonly #maxMessageBytes: number;
  readonly #onError: (error: unknown) => void;
  readonly #now: () => number;
  readonly #sender: SendBatcher;
  readonly #deleter: DeleteBatcher;
  readonly #estimate: PendingEstimate;

  #unclaimed: Unclaimed[] = [];
  /**
   * The settled items (their places) of bundles not deleted yet, by MessageId: a bundle that comes back to this
   * process after its lease brings only the others.
   */
  readonly #settledOf = new Map<string, Set<number>>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #closing = new AbortController();
  #closed = false;

  constructor(options: SqsDeliveryQueueOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    this.#maxMessageBytes = Math.min(SQS_MAX_MESSAGE_BYTES, Math.max(1024, options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES));
    this.#onError = options.onError ?? reportError;
    this.#now = options.now ?? Date.now;
    const minLingerMs = Math.max(0, options.lingerMs ?? 2);
    const maxSendAttempts = Math.max(1, options.maxSendAttempts ?? 3);
    const track = (task: Promise<void>) => this.#track(task);
    this.#estimate = new PendingEstimate({
      client: this.#client,
      queueUrl: this.#queueUrl,
      refreshMs: Math.max(0, options.pendingRefreshMs ?? 1000),
      now: this.#now,
      report: (error) => this.#report(error),
    });
    this.#sender = new SendBatcher({
      client: this.#client,
      queueUrl: this.#queueUrl,
      minLingerMs,
      maxLingerMs: Math.max(minLingerMs, options.maxLingerMs ?? 20),
      maxBundleItems: Math.max(1, Math.floor(options.maxBundleItems ?? 500)),
      maxMessageBytes: this.#maxMessageBytes,
      maxSendAttempts,
      track,
      onSent: (items) => this.#estimate.sent(items),
    });
    this.#deleter = new DeleteBatcher({
      client: this.#client,
      queueUrl: this.#queueUrl,
      lingerMs: Math.max(0, options.deleteLingerMs ?? 20),
      maxAttempts: maxSendAttempts,
      track,
    });
    // Every waiting receive listens to it.
    setMaxListeners(0, this.#closing.signal);
  }

  async enqueue(items: readonly NewDeliveryItem[]): Promise<void> {
    this.#assertOpen();
    if (items.length === 0) return;
    const packed = items.map((item) => {
      const json = encodeBundleEntry(item);
      return { itemId: item.id, json, bytes: Buffer.byteLength(json) };
    });
    for (const { itemId, bytes } of packed) {
      if (bytes + 2 > this.#maxMessageBytes) {
        throw new RangeError(
          `delivery item "${itemId}" is ${bytes + 2} bytes as an SQS message, over the queue's limit of ${this.#maxMessageBytes} bytes`,
        );
      }
    }
    this.#sender.noteCall();
    await this.#estimate.freshEnough();
    this.#assertOpen();
    const pending = this.#estimate.estimate();
    if (pending + items.length > this.#maxPending) throw new QueueFullError(pending, this.#maxPending);
    this.#estimate.changeLocally(items.length);
    return new Promise<void>((resolve, reject) => {
      const call = new SendCall(packed.length, resolve, reject, () => this.#estimate.changeLocally(-1));
      this.#sender.pack(packed.map((entry) => ({ ...entry, call })), 0, false);
    });
  }

  async receive(max: number, options: ReceiveOptions): Promise<DeliveryItem[]> {
    this.#assertOpen();
    const limit = Math.floor(max);
    const leaseMs = nonNegative(options.leaseMs, 'leaseMs');
    const waitMs = nonNegative(options.waitMs, 'waitMs');
    const { signal } = options;
    if (!(limit >= 1) || signal?.aborted) return [];
    const claimed = await this.#claim(limit, leaseMs);
    if (claimed.length > 0) return claimed;
    const visibility = Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(leaseMs / 1000));
    // One signal for the caller's abort and close; its listeners go when the receive ends.
    const stopper = new AbortController();
    const abort = () => stopper.abort();
    signal?.addEventListener('abort', abort, { once: true });
    this.#closing.signal.addEventListener('abort', abort, { once: true });
    try {
      return await this.#receiveUntil(stopper.signal, limit, visibility, performance.now() + waitMs);
    } finally {
      signal?.removeEventListener('abort', abort);
      this.#closing.signal.removeEventListener('abort', abort);
    }
  }

  async #receiveUntil(stop: AbortSignal, limit: number, visibility: number, deadline: number): Promise<DeliveryItem[]> {
    // Messages, not items: a bundle holds several, so ask for about as many as `limit` items fill.
    const messages = Math.max(1, Math.min(SQS_MAX_BATCH_ENTRIES, Math.ceil(limit / Math.max(1, this.#estimate.itemsPerMessage()))));
    for (;;) {
      const waitSeconds = Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.floor((deadline - performance.now()) / 1000)));
      let records: SqsEventRecord[];
      const receivedAt = performance.now();
      try {
        // Only a long poll is cancelled: a short one returns at once, and cancelling it could strand leases.
        records = await this.#receiveRecords(messages, visibility, waitSeconds, waitSeconds > 0 ? stop : undefined);
      } catch (error) {
        if (stop.aborted) return [];
        throw error;
      }
      // Fresh items are handed out whatever their lease (0 included): only leftovers of earlier receives expire.
      const items = (await this.#takeRecords(records, receivedAt + visibility * 1000)).splice(0, limit).map(({ item }) => item);
      if (items.length > 0) return items;
      const left = deadline - performance.now();
      if (stop.aborted || this.#closed || left <= 0) return [];
      if (waitSeconds === 0) await sleep(Math.min(left, SHORT_POLL_INTERVAL_MS), stop);
    }
  }

  /**
   * Up to `limit` unclaimed items whose message is still hidden, extending a message's visibility first when less
   * than half of `leaseMs` is left. Items of a message whose lease ended are dropped: the message is back in the
   * queue, and they come with it.
   */
  async #claim(limit: number, leaseMs: number): Promise<DeliveryItem[]> {
    const now = performance.now();
    this.#unclaimed = this.#unclaimed.filter(({ message }) => (message.visibleUntil ?? Infinity) > now);
    if (this.#unclaimed.length === 0) return [];
    const claimed = this.#unclaimed.splice(0, limit);
    const extend = new Set<MessageLease>();
    for (const { message } of claimed) {
      if ((message.visibleUntil ?? Infinity) - now < leaseMs / 2) extend.add(message);
    }
    await Promise.all(
      [...extend].map(async (message) => {
        const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(leaseMs / 1000));
        try {
          await this.#client.send(
            new ChangeMessageVisibilityCommand({ QueueUrl: this.#queueUrl, ReceiptHandle: message.receiptHandle, VisibilityTimeout: seconds }),
          );
          message.visibleUntil = performance.now() + seconds * 1000;
        } catch (error) {
          // The items keep the lease they have; at worst their bundle comes back early and is delivered again.
          this.#report(error);
        }
      }),
    );
    return claimed.map(({ item }) => item);
  }

  /** The items of received messages become unclaimed, less those deferred to their due time and bundles split. */
  async #takeRecords(records: SqsEventRecord[], visibleUntil: number): Promise<Unclaimed[]> {
    const waits: Promise<unknown>[] = [];
    // Only reached with no leftovers: what is not handed out now becomes the leftovers.
    const taken = this.#unclaimed;
    for (const record of records) {
      let opened: ReturnType<typeof recordToDeliveryItems>;
      try {
        opened = recordToDeliveryItems(record, true);
      } catch (error) {
        this.#report(error);
        continue;
      }
      opened.message.visibleUntil = visibleUntil;
      const items = this.#unsettled(opened.items, opened.message);
      if (items.length === 0) {
        waits.push(this.#deleteMessage(opened.message).catch((error: unknown) => this.#report(error)));
        continue;
      }
      if (items.length > 1 && receiveCountOf(record) > 1) {
        waits.push(this.#split(items, opened.message).catch((error: unknown) => this.#report(error)));
        continue;
      }
      for (const item of items) {
        if ((leaseOf(item)?.dueAt ?? 0) <= this.#now()) taken.push({ item, message: opened.message });
        else waits.push(this.deferIfNotDue(item).catch((error: unknown) => this.#report(error)));
      }
    }
    await Promise.all(waits);
    return taken;
  }

  /**
   * For the SQS-triggered Lambda: the items of an event record, to deliver and settle like received ones (Lambda
   * deletes the message after a batch that does not report it, so settling here deletes nothing). A bundle of
   * several items that Lambda handed out before (its receive count is above 1) is split instead: each item is
   * re-sent alone, and `[]` returned: the record is done. Throws when the record holds no delivery item.
   */
  async openRecord(record: SqsEventRecord): Promise<DeliveryItem[]> {
    this.#assertOpen();
    const opened = recordToDeliveryItems(record, false);
    const { message } = opened;
    const items = this.#unsettled(opened.items, message);
    if (items.length > 1 && receiveCountOf(record) > 1) {
      await this.#split(items, message);
      return [];
    }
    return items;
  }

  /** The items of a message that this process has not settled before (its lease ended and it came back). */
  #unsettled(items: DeliveryItem[], message: MessageLease): DeliveryItem[] {
    const settled = this.#settledOf.get(message.messageId);
    if (!settled) return items;
    const left = items.filter((item) => !settled.has(leaseOf(item)?.index ?? -1));
    message.open = left.length;
    return left;
  }

  /** Re-sends each item of a bundle as its own message, with its state, then lets the bundle go. */
  async #split(items: DeliveryItem[], message: MessageLease): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const call = new SendCall(items.length, resolve, reject);
      this.#sender.pack(
        items.map((item) => {
          const lease = leaseOf(item);
          const state: DeliveryState = { attempts: item.attempts };
          if (item.firstAttemptAt !== undefined) state.firstAttemptAt = item.firstAttemptAt;
          if (item.lastError !== undefined) state.lastError = item.lastError;
          if (lease?.dueAt !== undefined) state.dueAt = lease.dueAt;
          const json = encodeBundleEntry(item, state);
          return { itemId: item.id, json, bytes: Buffer.byteLength(json), call };
        }),
        0,
        true,
      );
    });
    message.open = 0;
    this.#estimate.itemsGone(items.length);
    this.#settledOf.delete(message.messageId);
    if (message.deleteWhenSettled) await this.#deleteMessage(message);
  }

  async ack(item: DeliveryItem): Promise<void> {
    this.#assertOpen();
    const lease = this.#leaseOf(item, 'ack');
    if (lease.settled) return;
    lease.settled = true;
    try {
      await this.#settled(lease);
    } catch (error) {
      lease.settled = false;
      throw error;
    }
    this.#estimate.changeLocally(-1);
  }

  /** One item of the lease's message settled: the message is deleted after its last. */
  async #settled(lease: SqsLease): Promise<void> {
    const { message } = lease;
    message.open--;
    this.#estimate.itemsGone(1);
    if (message.open > 0) {
      this.#remember(message.messageId, lease.index);
      return;
    }
    this.#settledOf.delete(message.messageId);
    if (!message.deleteWhenSettled) return;
    try {
      await this.#deleteMessage(message);
    } catch (error) {
      message.open++;
      this.#estimate.itemsGone(-1);
      throw error;
    }
  }

  #remember(messageId: string, index: number): void {
    let settled = this.#settledOf.get(messageId);
    if (!settled) {
      if (this.#settledOf.size >= MAX_REMEMBERED_BUNDLES) this.#settledOf.delete(this.#settledOf.keys().next().value!);
      settled = new Set();
      this.#settledOf.set(messageId, settled);
    }
    settled.add(index);
  }

  async #deleteMessage(message: MessageLease): Promise<void> {
    await this.#deleter.delete(message.receiptHandle);
    this.#estimate.messageGone();
  }

  async retry(item: DeliveryItem, delayMs: number, error: DeliveryError): Promise<void> {
    this.#assertOpen();
    const delay = nonNegative(delayMs, 'delayMs');
    if (typeof error.message !== 'string') throw new TypeError('retry: error.message must be a string');
    if (error.status !== undefined && !Number.isSafeInteger(error.status)) {
      throw new TypeError('retry: error.status must be an integer');
    }
    const lease = this.#leaseOf(item, 'retry');
    if (lease.settled) return;
    const now = this.#now();
    const lastError = error.status === undefined ? { message: error.message } : { message: error.message, status: error.status };
    const state: DeliveryState = { attempts: item.attempts + 1, firstAttemptAt: Math.floor(item.firstAttemptAt ?? now), lastError };
    if (delay > MAX_DELAY_SECONDS * 1000) state.dueAt = Math.ceil(now + delay);
    let json = encodeBundleEntry(item, state);
    if (Buffer.byteLength(json) + 2 > this.#maxMessageBytes && lastError.message.length > TRUNCATED_ERROR_CHARS) {
      const truncated = `${lastError.message.slice(0, TRUNCATED_ERROR_CHARS)}…`;
      json = encodeBundleEntry(item, { ...state, lastError: { ...lastError, message: truncated } });
    }
    await this.#resend(item, lease, json, delay, state.dueAt !== undefined, 'retried');
  }

  /**
   * Moves one item of a received bundle into a new message (sent after `delayMs`), then settles it in the old one,
   * which is deleted after its last item. The other items of the bundle are untouched.
   */
  async #resend(item: DeliveryItem, lease: SqsLease, json: string, delayMs: number, alone: boolean, what: string): Promise<void> {
    lease.settled = true;
    try {
      await new Promise<void>((resolve, reject) =>
        this.#sender.pack(
          [{ itemId: item.id, json, bytes: Buffer.byteLength(json), call: new SendCall(1, resolve, reject) }],
          Math.min(MAX_DELAY_SECONDS, Math.ceil(delayMs / 1000)),
          // An item with a due time is deferred by hiding its message: alone, so it holds back no other item.
          alone,
        ),
      );
    } catch (sendError) {
      lease.settled = false;
      throw sendError;
    }
    try {
      await this.#settled(lease);
    } catch (deleteError) {
      // The copy is stored, so the item holds; the bundle only comes back once more after its lease.
      this.#report(
        new Error(`delivery queue: the message of ${what} item "${item.id}" was not deleted; its items will be delivered again`, {
          cause: deleteError,
        }),
      );
    }
  }

  /**
   * For the SQS-triggered Lambda, before delivering an item: when its due time (a retry delay longer than SQS's
   * 15-minute DelaySeconds) is still ahead, hides its message (which holds only it) until then and returns true.
   * The record must then not be delivered, and must be reported in `batchItemFailures`, or Lambda would delete
   * the message. `receive` does this itself.
   */
  async deferIfNotDue(item: DeliveryItem): Promise<boolean> {
    this.#assertOpen();
    const lease = this.#leaseOf(item, 'deferIfNotDue');
    const remainingMs = (lease.dueAt ?? 0) - this.#now();
    if (remainingMs <= 0 || lease.settled) return false;
    await this.#client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.#queueUrl,
        ReceiptHandle: lease.receiptHandle,
        VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(remainingMs / 1000)),
      }),
    );
    lease.settled = true;
    return true;
  }

  /**
   * A delivery cancelled by a shutdown: the item goes back to the queue unchanged (no attempt counted), visible at
   * once in a message of its own, so the other items of its bundle are neither held back nor delivered twice.
   */
  async release(item: DeliveryItem): Promise<void> {
    this.#assertOpen();
    const lease = this.#leaseOf(item, 'release');
    if (lease.settled) return;
    const state = unchangedState(item, lease.dueAt);
    await this.#resend(item, lease, encodeBundleEntry(item, state), 0, state.dueAt !== undefined, 'released');
  }

  /**
   * Held back by a limit (docs/limits.md): the item goes back unchanged (no attempt counted) in a new message, sent with `DelaySeconds` = the delay rounded up to whole seconds (at least 1: SQS cannot hide a message
   * for less), or with a due time beyond SQS's 15 minutes, as {@link retry} does. SQS keeps no order, so neither
   * does this.
   */
  async postpone(item: DeliveryItem, delayMs: number): Promise<void> {
    this.#assertOpen();
    const delay = Math.max(1000, nonNegative(delayMs, 'delayMs'));
    const lease = this.#leaseOf(item, 'postpone');
    if (lease.settled) return;
    const dueAt = delay > MAX_DELAY_SECONDS * 1000 ? Math.ceil(this.#now() + delay) : undefined;
    const state = unchangedState(item, dueAt);
    await this.#resend(item, lease, encodeBundleEntry(item, state), delay, dueAt !== undefined, 'postponed');
  }

  /** Waits for the sends and deletes already queued, then asks SQS for its count (README.md#maxpending-the-pending-estimate). */
  async pending(): Promise<number> {
    this.#assertOpen();
    await this.#drain();
    await this.#estimate.refresh();
    return this.#estimate.estimate();
  }

  /**
   * Sends every open bundle and queued delete, ends waiting receives with `[]`, and rejects later calls. Items
   * received and not handed out come back with their bundle after its lease.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    this.#unclaimed = [];
    await this.#drain();
  }

  async #receiveRecords(
    max: number,
    visibility: number,
    waitSeconds: number,
    signal: AbortSignal | undefined,
  ): Promise<SqsEventRecord[]> {
    const output = await this.#client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#queueUrl,
        MaxNumberOfMessages: max,
        VisibilityTimeout: visibility,
        WaitTimeSeconds: waitSeconds,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
      signal ? { abortSignal: signal } : {},
    );
    return (output.Messages ?? []).map(messageToRecord);
  }

  #track(task: Promise<void>): void {
    const tracked = task.catch((error: unknown) => this.#report(error)).finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  /** Sends everything open and waits until no send or delete is in flight. */
  async #drain(): Promise<void> {
    this.#sender.closeOpen();
    this.#deleter.flush();
    while (this.#inFlight.size > 0 || this.#sender.hasOpen || this.#deleter.hasBuffered) {
      this.#sender.closeOpen();
      this.#deleter.flush();
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  #leaseOf(item: DeliveryItem, operation: string): SqsLease {
    const lease = leaseOf(item);
    if (!lease) {
      throw new TypeError(
        `${operation}: item "${item.id}" carries no SQS receipt handle; pass the object that receive or openRecord returned`,
      );
    }
    return lease;
  }

  #report(error: unknown): void {
    tell(this.#onError, error);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the delivery queue is closed');
  }
}

/** An item's delivery state as it is: no attempt counted (a release, a postponement). */
function unchangedState(item: DeliveryItem, dueAt: number | undefined): DeliveryState {
  const state: DeliveryState = { attempts: item.attempts };
  if (item.firstAttemptAt !== undefined) state.firstAttemptAt = item.firstAttemptAt;
  if (item.lastError !== undefined) state.lastError = item.lastError;
  if (dueAt !== undefined) state.dueAt = dueAt;
  return state;
}
