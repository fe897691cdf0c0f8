import { setMaxListeners } from 'node:events';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type QueueAttributeName,
  type SQSClient,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import {
  QueueFullError,
  type DeliveryError,
  type DeliveryItem,
  type DeliveryQueue,
  type NewDeliveryItem,
  type ReceiveOptions,
} from '../../../ports/delivery-queue.js';
import {
  SQS_MAX_MESSAGE_BYTES,
  bundleBody,
  encodeBundleEntry,
  leaseOf,
  messageToRecord,
  receiveCountOf,
  recordToDeliveryItems,
  type DeliveryState,
  type MessageLease,
  type SqsEventRecord,
  type SqsLease,
} from './message.js';
import { nonNegative, reportError, tell } from '../support.js';

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

const MAX_BATCH_ENTRIES = 10;
const MAX_DELAY_SECONDS = 900;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_WAIT_SECONDS = 20;
/** The rest of a wait shorter than a second is spent in short polls this far apart (WaitTimeSeconds is whole). */
const SHORT_POLL_INTERVAL_MS = 100;
/** First pause before resending messages SQS failed; doubles per attempt. */
const RESEND_BASE_MS = 50;
/** A retry's lastError is cut to this many characters when the copy would not fit in a message otherwise. */
const TRUNCATED_ERROR_CHARS = 1024;
/** Weight of the newest gap between enqueue calls in the rate estimate that picks the linger. */
const GAP_WEIGHT = 0.1;
/** A gap counts at most this much in the rate estimate, so one long pause does not hide the next burst for long. */
const MAX_COUNTED_GAP_MS = 1000;
/** Bundles partly settled whose settled items this process remembers, at most (the oldest are forgotten). */
const MAX_REMEMBERED_BUNDLES = 10_000;
const COUNT_ATTRIBUTES: QueueAttributeName[] = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
];

/** The items of one enqueue call (or one retry copy): the call resolves once every bundle holding them is sent. */
class SendCall {
  #left: number;
  #done = false;

  constructor(
    count: number,
    private readonly resolve: () => void,
    private readonly reject: (error: unknown) => void,
    private readonly onItemFailed: () => void = () => {},
  ) {
    this.#left = count;
  }

  succeeded(): void {
    if (--this.#left === 0 && !this.#done) {
      this.#done = true;
      this.resolve();
    }
  }

  failed(error: unknown): void {
    this.onItemFailed();
    if (this.#done) return;
    this.#done = true;
    this.reject(error);
  }
}

/** One item on its way into a bundle. */
interface PackedItem {
  itemId: string;
  /** The item's element of the bundle body ({@link encodeBundleEntry}). */
  json: string;
  bytes: number;
  call: SendCall;
}

/** A message being filled, or closed and waiting for its SendMessageBatch. */
interface Bundle {
  items: PackedItem[];
  /** The body's size once sent: brackets and commas included. */
  bytes: number;
  delaySeconds: number;
}

interface DeleteEntry {
  receiptHandle: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Items of a received bundle not handed out yet (receive returns at most `max`). */
interface Unclaimed {
  item: DeliveryItem;
  message: MessageLease;
}

/**
 * The AWS {@link DeliveryQueue}: one SQS standard queue whose messages are **bundles**: a JSON array of items,
 * each with its delivery state (attempts, firstAttemptAt, lastError). A message whose body is one JSON object is
 * the single-item format of earlier versions (state in message attributes): it is read as a bundle of one, so
 * messages queued before an upgrade are delivered as before.
 *
 * **Enqueue** packs the items of concurrent calls into one open bundle, closed when the next item would take it
 * past `maxMessageBytes` or `maxBundleItems`, or when its linger ends. The linger adapts to the rate: `lingerMs`
 * while enqueue calls come in slower than one per `maxLingerMs`, `maxLingerMs` when faster; so an idle gateway adds
 * ~2 ms to an accept and a busy one at most ~20 ms, and the requests per event fall as the rate grows. Closed
 * bundles go in `SendMessageBatch` requests of at most 10 messages and 1 MiB. A call resolves once SQS accepted
 * every bundle holding its items. Messages SQS fails without blaming the sender are sent again
 * (`maxSendAttempts`), then the calls of their items reject; an item too large for one message rejects its call
 * before anything is sent.
 *
 * **Receive** long-polls (whole seconds, at most 20 per request) and spends a sub-second rest of `waitMs` in short
 * polls. It hands out items, not messages: at most `max`; the rest of a bundle is kept for the next receive, and
 * its message's visibility is extended when less than half of `leaseMs` is left, so every item handed out has
 * about `leaseMs` to be settled. A message that is not a delivery item is reported to `onError` and left leased:
 * the queue's redrive policy moves it to the DLQ after `maxReceiveCount` receives. An abort or close cancels a
 * long poll in flight; what SQS had already handed to it comes back after the lease.
 *
 * **Settling**: a bundle is deleted once every one of its items is settled: acked, or retried. A worker that dies
 * mid-bundle leaves it in the queue and the whole bundle comes back (at-least-once: items already delivered are
 * delivered again with the same id, the `webhook-id`). A bundle whose lease ends in a live process comes back
 * without the items that process settled (it remembers them by MessageId until the bundle is deleted). A bundle of several items received a second time is split:
 * each item is re-sent as its own message, with its state, and the bundle deleted, so a poison item (one that
 * kills its worker) ends alone in the DLQ through the redrive policy instead of taking its bundle with it.
 *
 * **Retry re-sends, it does not use ChangeMessageVisibility**: the item, with attempts + 1 and its lastError, goes
 * into a new bundle with `DelaySeconds` = the delay (rounded up to whole seconds; retries of the same delay share
 * bundles). A duplicate delivery follows if the process dies between the send and the delete. SQS caps
 * DelaySeconds at 15 minutes, so a longer delay (a large Retry-After) sends the item alone, recording its due time:
 * a copy received before it is hidden again with ChangeMessageVisibility, in steps of at most 12 hours.
 *
 * **maxPending** is checked against SQS's message count (GetQueueAttributes, refreshed in the background every
 * `pendingRefreshMs`) times the items per message this process has seen, plus what it enqueued and settled
 * since. The count is approximate and lags, so the limit is a soft back-pressure threshold.
 *
 * Deletes of the same `deleteLingerMs` share `DeleteMessageBatch` requests; an ack that settles a bundle's last
 * item resolves once SQS deleted it. Settling needs the receipt handle, so pass the object `receive` (or
 * {@link SqsDeliveryQueue.openRecord}) returned. Enqueueing an id again adds a second item: settling the first
 * never removes it.
 *
 * The client belongs to the caller: `close` does not destroy it.
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #maxPending: number;
  readonly #minLingerMs: number;
  readonly #maxLingerMs: number;
  readonly #maxBundleItems: number;
  readonly #maxMessageBytes: number;
  readonly #deleteLingerMs: number;
  readonly #pendingRefreshMs: number;
  readonly #maxSendAttempts: number;
  readonly #onError: (error: unknown) => void;
  readonly #now: () => number;

  /** Open bundles by DelaySeconds (0 for enqueues). */
  readonly #open = new Map<number, Bundle>();
  /** Closed bundles not sent yet. */
  #closedBundles: Bundle[] = [];
  #lingerTimer: NodeJS.Timeout | undefined;
  /** performance.now() of the last enqueue call, and the running mean of the gaps between calls. */
  #lastEnqueueAt = -Infinity;
  #meanGapMs = Infinity;
  #deleteBuffer: DeleteEntry[] = [];
  #deleteTimer: NodeJS.Timeout | undefined;
  #unclaimed: Unclaimed[] = [];
  /**
   * The settled items (their places) of bundles not deleted yet, by MessageId: a bundle that comes back to this
   * process after its lease brings only the others.
   */
  readonly #settledOf = new Map<string, Set<number>>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #closing = new AbortController();
  #closed = false;

  /** SQS's message count at the last refresh; undefined until one succeeded. */
  #countedBySqs: number | undefined;
  /** Items per message when SQS's count was read. */
  #itemsPerMessage = 1;
  /** Items enqueued minus items settled by this process, not yet reflected in {@link #countedBySqs}. */
  #localChange = 0;
  /** Items and messages this process sent, and of those, still in the queue as far as it knows. */
  #sentItems = 0;
  #sentMessages = 0;
  #liveItems = 0;
  #liveMessages = 0;
  #refreshedAt = -Infinity;
  #refreshing: Promise<void> | undefined;
  /** The count the first enqueue calls wait for. */
  #firstCount: Promise<void> | undefined;

  constructor(options: SqsDeliveryQueueOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#maxPending = options.maxPending ?? 100_000;
    this.#minLingerMs = Math.max(0, options.lingerMs ?? 2);
    this.#maxLingerMs = Math.max(this.#minLingerMs, options.maxLingerMs ?? 20);
    this.#maxBundleItems = Math.max(1, Math.floor(options.maxBundleItems ?? 500));
    this.#maxMessageBytes = Math.min(SQS_MAX_MESSAGE_BYTES, Math.max(1024, options.maxMessageBytes ?? SQS_MAX_MESSAGE_BYTES));
    this.#deleteLingerMs = Math.max(0, options.deleteLingerMs ?? 20);
    this.#pendingRefreshMs = Math.max(0, options.pendingRefreshMs ?? 1000);
    this.#maxSendAttempts = Math.max(1, options.maxSendAttempts ?? 3);
    this.#onError = options.onError ?? reportError;
    this.#now = options.now ?? Date.now;
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
    this.#noteEnqueueCall();
    await this.#countFreshEnough();
    this.#assertOpen();
    const pending = this.#estimate();
    if (pending + items.length > this.#maxPending) throw new QueueFullError(pending, this.#maxPending);
    this.#localChange += items.length;
    return new Promise<void>((resolve, reject) => {
      const call = new SendCall(packed.length, resolve, reject, () => this.#localChange--);
      this.#pack(packed.map((entry) => ({ ...entry, call })), 0, false);
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
    const messages = Math.max(1, Math.min(MAX_BATCH_ENTRIES, Math.ceil(limit / Math.max(1, this.#itemsPerMessageNow()))));
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
      this.#pack(
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
    this.#liveItems -= items.length;
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
    this.#localChange--;
  }

  /** One item of the lease's message settled: the message is deleted after its last. */
  async #settled(lease: SqsLease): Promise<void> {
    const { message } = lease;
    message.open--;
    this.#liveItems--;
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
      this.#liveItems++;
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
    await this.#delete(message.receiptHandle);
    this.#liveMessages--;
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
        this.#pack(
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
    const state: DeliveryState = { attempts: item.attempts };
    if (item.firstAttemptAt !== undefined) state.firstAttemptAt = item.firstAttemptAt;
    if (item.lastError !== undefined) state.lastError = item.lastError;
    if (lease.dueAt !== undefined) state.dueAt = lease.dueAt;
    await this.#resend(item, lease, encodeBundleEntry(item, state), 0, state.dueAt !== undefined, 'released');
  }

  /** Waits for the sends and deletes already queued, then asks SQS for its count (see the class notes). */
  async pending(): Promise<number> {
    this.#assertOpen();
    await this.#drain();
    await this.#refreshCount();
    return this.#estimate();
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

  #estimate(): number {
    return Math.max(0, Math.round((this.#countedBySqs ?? 0) * this.#itemsPerMessage) + this.#localChange);
  }

  /**
   * Items per message: of those this process sent that are still queued as far as it knows, else of all it sent,
   * else 1 (a process that only consumes, or sent nothing yet).
   */
  #itemsPerMessageNow(): number {
    if (this.#liveMessages > 0 && this.#liveItems > 0) return this.#liveItems / this.#liveMessages;
    return this.#sentMessages > 0 ? this.#sentItems / this.#sentMessages : 1;
  }

  /** The first enqueue waits for SQS's count; later ones start a background refresh when it is stale. */
  async #countFreshEnough(): Promise<void> {
    if (this.#refreshedAt === -Infinity) {
      this.#firstCount = this.#refreshCount().catch((error: unknown) => this.#report(error));
    } else if (this.#refreshing === undefined && this.#now() - this.#refreshedAt >= this.#pendingRefreshMs) {
      this.#refreshCount().catch((error: unknown) => this.#report(error));
    }
    if (this.#firstCount !== undefined) {
      await this.#firstCount;
      this.#firstCount = undefined;
    }
  }

  /** Refreshes run one after another, so each subtracts exactly the local changes SQS's answer includes. */
  #refreshCount(): Promise<void> {
    this.#refreshedAt = this.#now();
    const run = async (): Promise<void> => {
      const before = this.#localChange;
      const { Attributes = {} } = await this.#client.send(
        new GetQueueAttributesCommand({ QueueUrl: this.#queueUrl, AttributeNames: COUNT_ATTRIBUTES }),
      );
      this.#countedBySqs = COUNT_ATTRIBUTES.reduce((sum, name) => sum + (Number(Attributes[name]) || 0), 0);
      this.#itemsPerMessage = this.#itemsPerMessageNow();
      this.#localChange -= before;
    };
    const refreshing = (this.#refreshing ?? Promise.resolve()).catch(() => {}).then(run);
    this.#refreshing = refreshing;
    refreshing
      .finally(() => {
        if (this.#refreshing === refreshing) this.#refreshing = undefined;
      })
      .catch(() => {});
    return refreshing;
  }

  /** Updates the running mean of the gaps between enqueue calls, which picks the linger of the next bundle. */
  #noteEnqueueCall(): void {
    const now = performance.now();
    const gap = Math.min(MAX_COUNTED_GAP_MS, now - this.#lastEnqueueAt);
    this.#lastEnqueueAt = now;
    this.#meanGapMs = this.#meanGapMs === Infinity ? gap : this.#meanGapMs + GAP_WEIGHT * (gap - this.#meanGapMs);
  }

  /** Short while idle; `maxLingerMs` once, on average, another call comes in within it. */
  #lingerMs(): number {
    return this.#meanGapMs < this.#maxLingerMs ? this.#maxLingerMs : this.#minLingerMs;
  }

  /**
   * Adds items to the open bundle of their delay (each to its own message when `alone`), closing a bundle that is
   * full; closed bundles are sent at once, open ones when the linger ends.
   */
  #pack(items: PackedItem[], delaySeconds: number, alone: boolean): void {
    for (const item of items) {
      if (alone) {
        this.#closedBundles.push({ items: [item], bytes: item.bytes + 2, delaySeconds });
        continue;
      }
      let bundle = this.#open.get(delaySeconds);
      if (bundle && (bundle.items.length >= this.#maxBundleItems || bundle.bytes + 1 + item.bytes > this.#maxMessageBytes)) {
        this.#closedBundles.push(bundle);
        bundle = undefined;
      }
      if (!bundle) {
        bundle = { items: [], bytes: 1, delaySeconds };
        this.#open.set(delaySeconds, bundle);
      }
      bundle.items.push(item);
      bundle.bytes += item.bytes + 1;
      if (bundle.items.length >= this.#maxBundleItems) {
        this.#closedBundles.push(bundle);
        this.#open.delete(delaySeconds);
      }
    }
    this.#sendClosed();
    if (this.#open.size > 0 && this.#lingerTimer === undefined) {
      this.#lingerTimer = setTimeout(() => {
        this.#lingerTimer = undefined;
        this.#closeOpen();
      }, this.#lingerMs());
    }
  }

  /** Closes every open bundle and sends it. */
  #closeOpen(): void {
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    this.#closedBundles.push(...this.#open.values());
    this.#open.clear();
    this.#sendClosed();
  }

  /** Sends the closed bundles, in SendMessageBatch requests of at most 10 messages and 1 MiB. */
  #sendClosed(): void {
    let batch: Bundle[] = [];
    let bytes = 0;
    for (const bundle of this.#closedBundles) {
      if (batch.length === MAX_BATCH_ENTRIES || (batch.length > 0 && bytes + bundle.bytes > SQS_MAX_MESSAGE_BYTES)) {
        this.#track(this.#sendBatch(batch));
        batch = [];
        bytes = 0;
      }
      batch.push(bundle);
      bytes += bundle.bytes;
    }
    if (batch.length > 0) this.#track(this.#sendBatch(batch));
    this.#closedBundles = [];
  }

  async #sendBatch(bundles: Bundle[]): Promise<void> {
    let remaining = bundles;
    for (let attempt = 1; ; attempt++) {
      let successful: Set<string>;
      let failed: Map<string, { code: string; message: string; senderFault: boolean }>;
      try {
        const output = await this.#client.send(
          new SendMessageBatchCommand({ QueueUrl: this.#queueUrl, Entries: remaining.map(toBatchEntry) }),
        );
        successful = new Set((output.Successful ?? []).map((result) => result.Id ?? ''));
        failed = new Map(
          (output.Failed ?? []).map((result) => [
            result.Id ?? '',
            { code: result.Code ?? 'unknown', message: result.Message ?? '', senderFault: result.SenderFault === true },
          ]),
        );
      } catch (error) {
        for (const bundle of remaining) for (const item of bundle.items) item.call.failed(error);
        return;
      }
      const again: Bundle[] = [];
      remaining.forEach((bundle, index) => {
        const id = String(index);
        if (successful.has(id)) {
          this.#sentMessages++;
          this.#liveMessages++;
          this.#sentItems += bundle.items.length;
          this.#liveItems += bundle.items.length;
          for (const item of bundle.items) item.call.succeeded();
          return;
        }
        const failure = failed.get(id);
        if (failure?.senderFault || attempt >= this.#maxSendAttempts) {
          const reason = failure ? `${failure.code}: ${failure.message}` : 'no result for the message';
          for (const item of bundle.items) {
            item.call.failed(new Error(`SQS did not accept delivery item "${item.itemId}" (attempt ${attempt}): ${reason}`));
          }
          return;
        }
        again.push(bundle);
      });
      if (again.length === 0) return;
      await sleep(RESEND_BASE_MS * 2 ** (attempt - 1));
      remaining = again;
    }
  }

  #delete(receiptHandle: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#deleteBuffer.push({ receiptHandle, resolve, reject });
      if (this.#deleteBuffer.length >= MAX_BATCH_ENTRIES) this.#flushDeletes();
      else this.#deleteTimer ??= setTimeout(() => this.#flushDeletes(), this.#deleteLingerMs);
    });
  }

  #flushDeletes(): void {
    if (this.#deleteTimer !== undefined) clearTimeout(this.#deleteTimer);
    this.#deleteTimer = undefined;
    const buffer = this.#deleteBuffer;
    this.#deleteBuffer = [];
    for (let start = 0; start < buffer.length; start += MAX_BATCH_ENTRIES) {
      this.#track(this.#deleteBatch(buffer.slice(start, start + MAX_BATCH_ENTRIES)));
    }
  }

  async #deleteBatch(entries: DeleteEntry[]): Promise<void> {
    let remaining = entries;
    for (let attempt = 1; ; attempt++) {
      let output;
      try {
        output = await this.#client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.#queueUrl,
            Entries: remaining.map((entry, index) => ({ Id: String(index), ReceiptHandle: entry.receiptHandle })),
          }),
        );
      } catch (error) {
        for (const entry of remaining) entry.reject(error);
        return;
      }
      const successful = new Set((output.Successful ?? []).map((result) => result.Id ?? ''));
      const failed = new Map((output.Failed ?? []).map((result) => [result.Id ?? '', result]));
      const again: DeleteEntry[] = [];
      remaining.forEach((entry, index) => {
        const id = String(index);
        if (successful.has(id)) return entry.resolve();
        const failure = failed.get(id);
        if (failure?.SenderFault === true || attempt >= this.#maxSendAttempts) {
          const reason = failure ? `${failure.Code ?? 'unknown'}: ${failure.Message ?? ''}` : 'no result for the entry';
          return entry.reject(new Error(`SQS did not delete the message (attempt ${attempt}): ${reason}`));
        }
        again.push(entry);
      });
      if (again.length === 0) return;
      await sleep(RESEND_BASE_MS * 2 ** (attempt - 1));
      remaining = again;
    }
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
    this.#closeOpen();
    this.#flushDeletes();
    while (this.#inFlight.size > 0 || this.#open.size > 0 || this.#deleteBuffer.length > 0) {
      this.#closeOpen();
      this.#flushDeletes();
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

function toBatchEntry(bundle: Bundle, index: number): SendMessageBatchRequestEntry {
  const entry: SendMessageBatchRequestEntry = { Id: String(index), MessageBody: bundleBody(bundle.items.map((item) => item.json)) };
  if (bundle.delaySeconds > 0) entry.DelaySeconds = bundle.delaySeconds;
  return entry;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
