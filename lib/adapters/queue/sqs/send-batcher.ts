/**
 * The send batcher: packs the items of concurrent calls into bundles (one SQS message each), lingers for more at a
 * rate-adaptive interval, and sends closed bundles in SendMessageBatch requests, re-sending what SQS fails without
 * blaming the sender. See README.md#enqueue-the-send-batcher.
 */
import { SendMessageBatchCommand, type SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { sleep } from '../support.js';
import { bundleBody } from './bundle.js';
import { SQS_MAX_BATCH_ENTRIES, SQS_MAX_MESSAGE_BYTES } from './message.js';

/** First pause before resending messages SQS failed; doubles per attempt. */
export const RESEND_BASE_MS = 50;
/** Weight of the newest gap between enqueue calls in the rate estimate that picks the linger. */
const GAP_WEIGHT = 0.1;
/** A gap counts at most this much in the rate estimate, so one long pause does not hide the next burst for long. */
const MAX_COUNTED_GAP_MS = 1000;

/** The items of one enqueue call (or one retry copy): the call resolves once every bundle holding them is sent. */
export class SendCall {
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
export interface PackedItem {
  itemId: string;
  /** The item's element of the bundle body (encodeBundleEntry). */
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

export interface SendBatcherOptions {
  client: SQSClient;
  queueUrl: string;
  /** The linger while calls come in slower than one per `maxLingerMs`. */
  minLingerMs: number;
  /** The linger while calls come in faster. */
  maxLingerMs: number;
  maxBundleItems: number;
  maxMessageBytes: number;
  /** Sends of a message SQS fails (not the sender's fault) before its items' calls reject. */
  maxSendAttempts: number;
  /** Takes each SendMessageBatch request in flight (to wait for it, and to report its failure). */
  track: (task: Promise<void>) => void;
  /** One message of `items` items was stored by SQS. */
  onSent: (items: number) => void;
}

export class SendBatcher {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #minLingerMs: number;
  readonly #maxLingerMs: number;
  readonly #maxBundleItems: number;
  readonly #maxMessageBytes: number;
  readonly #maxSendAttempts: number;
  readonly #track: (task: Promise<void>) => void;
  readonly #onSent: (items: number) => void;

  /** Open bundles by DelaySeconds (0 for enqueues). */
  readonly #open = new Map<number, Bundle>();
  /** Closed bundles not sent yet. */
  #closedBundles: Bundle[] = [];
  #lingerTimer: NodeJS.Timeout | undefined;
  /** performance.now() of the last enqueue call, and the running mean of the gaps between calls. */
  #lastEnqueueAt = -Infinity;
  #meanGapMs = Infinity;

  constructor(options: SendBatcherOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#minLingerMs = options.minLingerMs;
    this.#maxLingerMs = options.maxLingerMs;
    this.#maxBundleItems = options.maxBundleItems;
    this.#maxMessageBytes = options.maxMessageBytes;
    this.#maxSendAttempts = options.maxSendAttempts;
    this.#track = options.track;
    this.#onSent = options.onSent;
  }

  /** Whether a bundle is still open (it is sent when its linger ends, or by {@link closeOpen}). */
  get hasOpen(): boolean {
    return this.#open.size > 0;
  }

  /** Updates the running mean of the gaps between enqueue calls, which picks the linger of the next bundle. */
  noteCall(): void {
    const now = performance.now();
    const gap = Math.min(MAX_COUNTED_GAP_MS, now - this.#lastEnqueueAt);
    this.#lastEnqueueAt = now;
    this.#meanGapMs = this.#meanGapMs === Infinity ? gap : this.#meanGapMs + GAP_WEIGHT * (gap - this.#meanGapMs);
  }

  /**
   * Adds items to the open bundle of their delay (each to its own message when `alone`), closing a bundle that is
   * full; closed bundles are sent at once, open ones when the linger ends.
   */
  pack(items: PackedItem[], delaySeconds: number, alone: boolean): void {
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
        this.closeOpen();
      }, this.#lingerMs());
    }
  }

  /** Closes every open bundle and sends it. */
  closeOpen(): void {
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    this.#closedBundles.push(...this.#open.values());
    this.#open.clear();
    this.#sendClosed();
  }

  /** Short while idle; `maxLingerMs` once, on average, another call comes in within it. */
  #lingerMs(): number {
    return this.#meanGapMs < this.#maxLingerMs ? this.#maxLingerMs : this.#minLingerMs;
  }

  /** Sends the closed bundles, in SendMessageBatch requests of at most 10 messages and 1 MiB. */
  #sendClosed(): void {
    let batch: Bundle[] = [];
    let bytes = 0;
    for (const bundle of this.#closedBundles) {
      if (batch.length === SQS_MAX_BATCH_ENTRIES || (batch.length > 0 && bytes + bundle.bytes > SQS_MAX_MESSAGE_BYTES)) {
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
          this.#onSent(bundle.items.length);
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
}

function toBatchEntry(bundle: Bundle, index: number): SendMessageBatchRequestEntry {
  const entry: SendMessageBatchRequestEntry = { Id: String(index), MessageBody: bundleBody(bundle.items.map((item) => item.json)) };
  if (bundle.delaySeconds > 0) entry.DelaySeconds = bundle.delaySeconds;
  return entry;
}
