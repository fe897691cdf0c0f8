/**
 * The pending-count estimate behind `maxPending`: SQS's approximate message count (GetQueueAttributes, refreshed
 * in the background) times the items per message, plus what this process enqueued and settled since. See
 * README.md#maxpending-the-pending-estimate.
 */
import { GetQueueAttributesCommand, type QueueAttributeName, type SQSClient } from '@aws-sdk/client-sqs';

const COUNT_ATTRIBUTES: QueueAttributeName[] = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
];

export interface PendingEstimateOptions {
  client: SQSClient;
  queueUrl: string;
  /** How old the count may get before an enqueue starts a background refresh. */
  refreshMs: number;
  now: () => number;
  /** Told about a background refresh that failed. */
  report: (error: unknown) => void;
}

export class PendingEstimate {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #refreshMs: number;
  readonly #now: () => number;
  readonly #report: (error: unknown) => void;

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

  constructor(options: PendingEstimateOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#refreshMs = options.refreshMs;
    this.#now = options.now;
    this.#report = options.report;
  }

  estimate(): number {
    return Math.max(0, Math.round((this.#countedBySqs ?? 0) * this.#itemsPerMessage) + this.#localChange);
  }

  /** Items this process enqueued (positive) or settled (negative) since the count was read. */
  changeLocally(items: number): void {
    this.#localChange += items;
  }

  /** One message of `items` items was stored by SQS. */
  sent(items: number): void {
    this.#sentMessages++;
    this.#liveMessages++;
    this.#sentItems += items;
    this.#liveItems += items;
  }

  /** Items of messages this process sent left the queue (negative: they did not after all). */
  itemsGone(items: number): void {
    this.#liveItems -= items;
  }

  /** A message left the queue. */
  messageGone(): void {
    this.#liveMessages--;
  }

  /**
   * Items per message: of those this process sent that are still queued as far as it knows, else of all it sent,
   * else 1 (a process that only consumes, or sent nothing yet).
   */
  itemsPerMessage(): number {
    if (this.#liveMessages > 0 && this.#liveItems > 0) return this.#liveItems / this.#liveMessages;
    return this.#sentMessages > 0 ? this.#sentItems / this.#sentMessages : 1;
  }

  /** The first enqueue waits for SQS's count; later ones start a background refresh when it is stale. */
  async freshEnough(): Promise<void> {
    if (this.#refreshedAt === -Infinity) {
      this.#firstCount = this.refresh().catch((error: unknown) => this.#report(error));
    } else if (this.#refreshing === undefined && this.#now() - this.#refreshedAt >= this.#refreshMs) {
      this.refresh().catch((error: unknown) => this.#report(error));
    }
    if (this.#firstCount !== undefined) {
      await this.#firstCount;
      this.#firstCount = undefined;
    }
  }

  /** Refreshes run one after another, so each subtracts exactly the local changes SQS's answer includes. */
  refresh(): Promise<void> {
    this.#refreshedAt = this.#now();
    const run = async (): Promise<void> => {
      const before = this.#localChange;
      const { Attributes = {} } = await this.#client.send(
        new GetQueueAttributesCommand({ QueueUrl: this.#queueUrl, AttributeNames: COUNT_ATTRIBUTES }),
      );
      this.#countedBySqs = COUNT_ATTRIBUTES.reduce((sum, name) => sum + (Number(Attributes[name]) || 0), 0);
      this.#itemsPerMessage = this.itemsPerMessage();
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
}
