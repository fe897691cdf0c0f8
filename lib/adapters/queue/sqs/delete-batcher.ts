/**
 * The delete batcher: deletes that come within `deleteLingerMs` of each other share DeleteMessageBatch requests,
 * re-sent when SQS fails them without blaming the sender. See README.md#settling.
 */
import { DeleteMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sleep } from '../support.js';
import { SQS_MAX_BATCH_ENTRIES } from './message.js';
import { RESEND_BASE_MS } from './send-batcher.js';

interface DeleteEntry {
  receiptHandle: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface DeleteBatcherOptions {
  client: SQSClient;
  queueUrl: string;
  lingerMs: number;
  /** Requests of an entry SQS fails (not the sender's fault) before its delete rejects. */
  maxAttempts: number;
  /** Takes each DeleteMessageBatch request in flight (to wait for it, and to report its failure). */
  track: (task: Promise<void>) => void;
}

export class DeleteBatcher {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #lingerMs: number;
  readonly #maxAttempts: number;
  readonly #track: (task: Promise<void>) => void;
  #buffer: DeleteEntry[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(options: DeleteBatcherOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#lingerMs = options.lingerMs;
    this.#maxAttempts = options.maxAttempts;
    this.#track = options.track;
  }

  /** Whether deletes wait for their request. */
  get hasBuffered(): boolean {
    return this.#buffer.length > 0;
  }

  /** Resolves once SQS deleted the message. */
  delete(receiptHandle: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#buffer.push({ receiptHandle, resolve, reject });
      if (this.#buffer.length >= SQS_MAX_BATCH_ENTRIES) this.flush();
      else this.#timer ??= setTimeout(() => this.flush(), this.#lingerMs);
    });
  }

  /** Sends every buffered delete now. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const buffer = this.#buffer;
    this.#buffer = [];
    for (let start = 0; start < buffer.length; start += SQS_MAX_BATCH_ENTRIES) {
      this.#track(this.#deleteBatch(buffer.slice(start, start + SQS_MAX_BATCH_ENTRIES)));
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
        if (failure?.SenderFault === true || attempt >= this.#maxAttempts) {
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
}
