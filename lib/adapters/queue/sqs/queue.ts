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
  encodeDeliveryMessage,
  leaseOf,
  messageToRecord,
  sqsRecordToDeliveryItem,
  type DeliveryState,
  type EncodedMessage,
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
  /** How long the first entry of a batch waits for others (concurrent enqueue calls) to join it. @default 2 */
  lingerMs?: number;
  /** How old the queue's message count may get before a background GetQueueAttributes refreshes it. @default 1000 */
  pendingRefreshMs?: number;
  /** Sends of an entry SQS reports as failed (not the sender's fault) before its enqueue rejects. @default 3 */
  maxSendAttempts?: number;
  /**
   * Told about failures nobody awaits: a message whose body is not a delivery item (left for SQS's redrive policy),
   * the delete of an original after its retry copy was stored, a background count refresh.
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
/** First pause before resending entries SQS failed; doubles per attempt. */
const RESEND_BASE_MS = 50;
/** A retry's lastError is cut to this many characters when the copy would not fit in a message otherwise. */
const TRUNCATED_ERROR_CHARS = 1024;
const COUNT_ATTRIBUTES: QueueAttributeName[] = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
];

/** The entries of one enqueue call (or one retry copy): the call resolves once all are accepted. */
class SendCall {
  #left: number;
  #done = false;

  constructor(
    count: number,
    private readonly resolve: () => void,
    private readonly reject: (error: unknown) => void,
    private readonly onEntryFailed: () => void = () => {},
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
    this.onEntryFailed();
    if (this.#done) return;
    this.#done = true;
    this.reject(error);
  }
}

interface SendEntry {
  itemId: string;
  message: EncodedMessage;
  delaySeconds?: number;
  call: SendCall;
}

interface DeleteEntry {
  receiptHandle: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The AWS {@link DeliveryQueue}: one SQS standard queue. Each item is one message whose body is the accepted item
 * as JSON; its delivery state (attempts, firstAttemptAt, lastError) lives in message attributes.
 *
 * **Enqueue** gathers the entries of concurrent calls for `lingerMs` into `SendMessageBatch` requests of at most
 * 10 entries and 1 MiB; a full batch goes at once. A call resolves once SQS accepted every one of its entries.
 * Entries SQS fails without blaming the sender are sent again (`maxSendAttempts`), then the call rejects; an item
 * too large for one message rejects the call before anything is sent.
 *
 * **maxPending** is checked against SQS's own count (visible, in flight and delayed messages, from
 * GetQueueAttributes, refreshed in the background every `pendingRefreshMs`) plus what this process enqueued and
 * acked since. SQS's count is approximate and can lag by a minute, and other producers are seen only at a
 * refresh, so the limit is a soft back-pressure threshold here, not an exact one.
 *
 * **Receive** long-polls (whole seconds, at most 20 per request) and spends a sub-second rest of `waitMs` in short
 * polls, so it never returns much later than asked; `leaseMs` becomes the VisibilityTimeout, rounded up to whole
 * seconds. An abort or close cancels a long poll in flight: messages SQS had already handed to it stay invisible
 * until their lease ends, then come back (nothing is lost). A message that is not a delivery item is reported to
 * `onError` and left leased: the queue's redrive policy moves it to the DLQ after `maxReceiveCount` receives.
 *
 * **Retry re-sends, it does not use ChangeMessageVisibility.** A retry sends a copy of the item with updated
 * attributes and `DelaySeconds` = the delay (rounded up to whole seconds), then deletes the original.
 * ChangeMessageVisibility cannot change attributes, so `lastError` would need another store, and the attempt
 * count would have to come from ApproximateReceiveCount, which also counts receives whose worker crashed (the
 * contract counts only settled attempts) and cannot be reset by a redrive. Costs of the copy: one more send per
 * retry (batched with enqueues), a new MessageId, and a duplicate delivery if the process dies between the send
 * and the delete (receivers de-duplicate by `webhook-id`). SQS caps DelaySeconds at 15 minutes, so a longer delay
 * (a large Retry-After) also records its due time: a copy received before it is hidden again with
 * ChangeMessageVisibility, in steps of at most 12 hours, and not returned. Each such step counts as a receive
 * towards the redrive policy's maxReceiveCount.
 *
 * **Ack** deletes with `DeleteMessageBatch` (acks of the same turn share requests) and resolves once SQS deleted.
 * Settling needs the receipt handle, so pass the object `receive` (or {@link sqsRecordToDeliveryItem}) returned.
 * Enqueueing an id again adds a second message: acking the first never removes it.
 *
 * The client belongs to the caller: `close` does not destroy it.
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #maxPending: number;
  readonly #lingerMs: number;
  readonly #pendingRefreshMs: number;
  readonly #maxSendAttempts: number;
  readonly #onError: (error: unknown) => void;
  readonly #now: () => number;

  #sendBuffer: SendEntry[] = [];
  #lingerTimer: NodeJS.Timeout | undefined;
  #deleteBuffer: DeleteEntry[] = [];
  #deleteImmediate: NodeJS.Immediate | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #closing = new AbortController();
  #closed = false;

  /** SQS's count at the last refresh; undefined until one succeeded. */
  #countedBySqs: number | undefined;
  /** Items enqueued minus items acked by this process, not yet reflected in {@link #countedBySqs}. */
  #localChange = 0;
  #refreshedAt = -Infinity;
  #refreshing: Promise<void> | undefined;
  /** The count the first enqueue calls wait for. */
  #firstCount: Promise<void> | undefined;

  constructor(options: SqsDeliveryQueueOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#maxPending = options.maxPending ?? 100_000;
    this.#lingerMs = Math.max(0, options.lingerMs ?? 2);
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
    const entries = items.map((item) => ({ itemId: item.id, message: encodeDeliveryMessage(item) }));
    for (const { itemId, message } of entries) {
      if (message.bytes > SQS_MAX_MESSAGE_BYTES) {
        throw new RangeError(
          `delivery item "${itemId}" is ${message.bytes} bytes as an SQS message, over SQS's limit of ${SQS_MAX_MESSAGE_BYTES} bytes`,
        );
      }
    }
    await this.#countFreshEnough();
    this.#assertOpen();
    const pending = this.#estimate();
    if (pending + items.length > this.#maxPending) throw new QueueFullError(pending, this.#maxPending);
    this.#localChange += items.length;
    return new Promise<void>((resolve, reject) => {
      const call = new SendCall(entries.length, resolve, reject, () => this.#localChange--);
      this.#addSends(entries.map((entry) => ({ ...entry, call })));
    });
  }

  async receive(max: number, options: ReceiveOptions): Promise<DeliveryItem[]> {
    this.#assertOpen();
    const limit = Math.floor(max);
    const leaseMs = nonNegative(options.leaseMs, 'leaseMs');
    const waitMs = nonNegative(options.waitMs, 'waitMs');
    const { signal } = options;
    if (!(limit >= 1) || signal?.aborted) return [];
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
    const first = Math.min(MAX_BATCH_ENTRIES, limit);
    for (;;) {
      const waitSeconds = Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.floor((deadline - performance.now()) / 1000)));
      let records: SqsEventRecord[];
      try {
        // Only a long poll is cancelled: a short one returns at once, and cancelling it could strand leases.
        records = await this.#receiveRecords(first, visibility, waitSeconds, waitSeconds > 0 ? stop : undefined);
      } catch (error) {
        if (stop.aborted) return [];
        throw error;
      }
      if (records.length === first && limit > first) records.push(...(await this.#topUp(limit - first, visibility)));
      const items = await this.#dueItems(records);
      if (items.length > 0) return items;
      const left = deadline - performance.now();
      if (stop.aborted || this.#closed || left <= 0) return [];
      if (waitSeconds === 0) await sleep(Math.min(left, SHORT_POLL_INTERVAL_MS), stop);
    }
  }

  async ack(item: DeliveryItem): Promise<void> {
    this.#assertOpen();
    const lease = this.#leaseOf(item, 'ack');
    if (lease.settled) return;
    lease.settled = true;
    try {
      await this.#delete(lease.receiptHandle);
    } catch (error) {
      lease.settled = false;
      throw error;
    }
    this.#localChange--;
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
    let message = encodeDeliveryMessage(item, state);
    if (message.bytes > SQS_MAX_MESSAGE_BYTES && lastError.message.length > TRUNCATED_ERROR_CHARS) {
      const truncated = `${lastError.message.slice(0, TRUNCATED_ERROR_CHARS)}…`;
      message = encodeDeliveryMessage(item, { ...state, lastError: { ...lastError, message: truncated } });
    }
    lease.settled = true;
    try {
      await new Promise<void>((resolve, reject) =>
        this.#addSends([
          {
            itemId: item.id,
            message,
            delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(delay / 1000)),
            call: new SendCall(1, resolve, reject),
          },
        ]),
      );
    } catch (sendError) {
      lease.settled = false;
      throw sendError;
    }
    try {
      await this.#delete(lease.receiptHandle);
    } catch (deleteError) {
      // The copy is stored, so the retry holds; the original only comes back once more after its lease.
      this.#report(
        new Error(`delivery queue: the original of retried item "${item.id}" was not deleted; it will be delivered again`, {
          cause: deleteError,
        }),
      );
    }
  }

  /**
   * For the SQS-triggered Lambda, before delivering a record: when the item's due time (a retry delay longer than
   * SQS's 15-minute DelaySeconds) is still ahead, hides the message until then and returns true. The record must
   * then not be delivered, and must be reported in `batchItemFailures`, or Lambda would delete the message.
   * `receive` does this itself.
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

  /** Makes the message visible again at once (VisibilityTimeout 0): a delivery cancelled by a shutdown. */
  async release(item: DeliveryItem): Promise<void> {
    this.#assertOpen();
    const lease = this.#leaseOf(item, 'release');
    if (lease.settled) return;
    await this.#client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.#queueUrl, ReceiptHandle: lease.receiptHandle, VisibilityTimeout: 0 }),
    );
    lease.settled = true;
  }

  /** Waits for the sends and deletes already queued, then asks SQS for its count (see the class notes). */
  async pending(): Promise<number> {
    this.#assertOpen();
    await this.#drain();
    await this.#refreshCount();
    return this.#estimate();
  }

  /** Sends every queued enqueue and ack, ends waiting receives with `[]`, and rejects later calls. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    await this.#drain();
  }

  #estimate(): number {
    return Math.max(0, (this.#countedBySqs ?? 0) + this.#localChange);
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

  #addSends(entries: SendEntry[]): void {
    this.#sendBuffer.push(...entries);
    this.#flushSends(false);
    if (this.#sendBuffer.length > 0 && this.#lingerTimer === undefined) {
      this.#lingerTimer = setTimeout(() => {
        this.#lingerTimer = undefined;
        this.#flushSends(true);
      }, this.#lingerMs);
    }
  }

  /** Sends every full batch in the buffer; with `all`, the last partial one too. */
  #flushSends(all: boolean): void {
    const batches: SendEntry[][] = [];
    let batch: SendEntry[] = [];
    let bytes = 0;
    for (const entry of this.#sendBuffer) {
      if (batch.length === MAX_BATCH_ENTRIES || (batch.length > 0 && bytes + entry.message.bytes > SQS_MAX_MESSAGE_BYTES)) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(entry);
      bytes += entry.message.bytes;
    }
    if (batch.length > 0 && (all || batch.length === MAX_BATCH_ENTRIES)) {
      batches.push(batch);
      batch = [];
    }
    this.#sendBuffer = batch;
    if (batch.length === 0 && this.#lingerTimer !== undefined) {
      clearTimeout(this.#lingerTimer);
      this.#lingerTimer = undefined;
    }
    for (const full of batches) this.#track(this.#sendBatch(full));
  }

  async #sendBatch(entries: SendEntry[]): Promise<void> {
    let remaining = entries;
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
        for (const entry of remaining) entry.call.failed(error);
        return;
      }
      const again: SendEntry[] = [];
      remaining.forEach((entry, index) => {
        const id = String(index);
        if (successful.has(id)) return entry.call.succeeded();
        const failure = failed.get(id);
        if (failure?.senderFault || attempt >= this.#maxSendAttempts) {
          const reason = failure ? `${failure.code}: ${failure.message}` : 'no result for the entry';
          return entry.call.failed(
            new Error(`SQS did not accept delivery item "${entry.itemId}" (attempt ${attempt}): ${reason}`),
          );
        }
        again.push(entry);
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
      else this.#deleteImmediate ??= setImmediate(() => this.#flushDeletes());
    });
  }

  #flushDeletes(): void {
    if (this.#deleteImmediate !== undefined) clearImmediate(this.#deleteImmediate);
    this.#deleteImmediate = undefined;
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
      }),
      signal ? { abortSignal: signal } : {},
    );
    return (output.Messages ?? []).map(messageToRecord);
  }

  /** More than 10 asked for and the first request came back full: short polls in parallel for the rest. */
  async #topUp(count: number, visibility: number): Promise<SqsEventRecord[]> {
    const requests: Promise<SqsEventRecord[]>[] = [];
    for (let left = count; left > 0; left -= MAX_BATCH_ENTRIES) {
      requests.push(this.#receiveRecords(Math.min(MAX_BATCH_ENTRIES, left), visibility, 0, undefined));
    }
    const records: SqsEventRecord[] = [];
    for (const result of await Promise.allSettled(requests)) {
      // The first request's items are in hand: a failed top-up only means fewer items this time.
      if (result.status === 'fulfilled') records.push(...result.value);
      else this.#report(result.reason);
    }
    return records;
  }

  /** The records as items, less those that are not items (reported) and those deferred to their due time. */
  async #dueItems(records: SqsEventRecord[]): Promise<DeliveryItem[]> {
    const items: DeliveryItem[] = [];
    const deferrals: Promise<unknown>[] = [];
    for (const record of records) {
      let item: DeliveryItem;
      try {
        item = sqsRecordToDeliveryItem(record);
      } catch (error) {
        this.#report(error);
        continue;
      }
      const due = (leaseOf(item)?.dueAt ?? 0) <= this.#now();
      if (due) items.push(item);
      else deferrals.push(this.deferIfNotDue(item).catch((error: unknown) => this.#report(error)));
    }
    await Promise.all(deferrals);
    return items;
  }

  #track(task: Promise<void>): void {
    const tracked = task.catch((error: unknown) => this.#report(error)).finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  /** Sends everything buffered and waits until no send or delete is in flight. */
  async #drain(): Promise<void> {
    this.#flushSends(true);
    this.#flushDeletes();
    while (this.#inFlight.size > 0 || this.#sendBuffer.length > 0 || this.#deleteBuffer.length > 0) {
      this.#flushSends(true);
      this.#flushDeletes();
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  #leaseOf(item: DeliveryItem, operation: string): SqsLease {
    const lease = leaseOf(item);
    if (!lease) {
      throw new TypeError(
        `${operation}: item "${item.id}" carries no SQS receipt handle; pass the object that receive or sqsRecordToDeliveryItem returned`,
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

function toBatchEntry(entry: SendEntry, index: number): SendMessageBatchRequestEntry {
  const batchEntry: SendMessageBatchRequestEntry = { Id: String(index), MessageBody: entry.message.body };
  if (Object.keys(entry.message.attributes).length > 0) batchEntry.MessageAttributes = entry.message.attributes;
  if (entry.delaySeconds !== undefined) batchEntry.DelaySeconds = entry.delaySeconds;
  return batchEntry;
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
