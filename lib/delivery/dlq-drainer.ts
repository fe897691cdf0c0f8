import {
  decodeBundle,
  deleteSqsMessages,
  receiveSqsRecords,
  type SQSClient,
  type SqsEventRecord,
} from '../adapters/queue/sqs/index.js';
import type { DeadLetterRecord, DeadLetterStore } from '../ports/dead-letter-store.js';

/**
 * The `lastError` of every dead letter that came through the SQS queue's own DLQ (docs/compatibility.md#dead-letters).
 */
export const EXCEEDED_MAX_RECEIVE_COUNT = 'exceeded maxReceiveCount';

export interface DrainDeadLetterQueueOptions {
  sqs: SQSClient;
  /** The URL of the delivery queue's DLQ (its RedrivePolicy's deadLetterTargetArn). */
  dlqUrl: string;
  store: DeadLetterStore;
  /** Messages to move at most in this run. @default 1000 */
  max?: number;
  /** Long polling per receive; the run ends at the first receive that gets nothing. @default 1 */
  waitSeconds?: number;
  /** How long a message that is not a delivery item stays hidden from this and later runs. @default 300 */
  skipVisibilitySeconds?: number;
  /** Told about each message that is not a delivery item (it stays in the DLQ). */
  onSkipped?: (record: SqsEventRecord, error: unknown) => void;
  now?: () => number;
}

export interface DrainResult {
  /** Messages written to the store (each item of a bundle its own dead letter) and deleted from the DLQ. */
  moved: number;
  /** Dead letters written: the items of the moved messages. */
  items: number;
  /** Not delivery items: left in the DLQ (for a human, or its retention period). */
  skipped: number;
}

/**
 * Moves what the SQS delivery queue's redrive policy put in its DLQ (poison messages, items whose workers kept
 * crashing) into the dead-letter store, where the config API lists and redrives them. Each message is written
 * before it is deleted: a crash in between writes it again next run (a put replaces), never loses it.
 */
export async function drainDeadLetterQueue(options: DrainDeadLetterQueueOptions): Promise<DrainResult> {
  const { sqs, dlqUrl, store } = options;
  const max = options.max ?? 1000;
  const now = options.now ?? Date.now;
  const result: DrainResult = { moved: 0, items: 0, skipped: 0 };
  while (result.moved + result.skipped < max) {
    const records = await receiveSqsRecords(sqs, dlqUrl, {
      max: Math.min(10, max - result.moved - result.skipped),
      waitSeconds: options.waitSeconds ?? 1,
      visibilitySeconds: options.skipVisibilitySeconds ?? 300,
    });
    if (records.length === 0) break;
    const written: string[] = [];
    for (const record of records) {
      let deadLetters: DeadLetterRecord[];
      try {
        deadLetters = sqsDlqRecordToDeadLetters(record, now());
      } catch (error) {
        result.skipped++;
        options.onSkipped?.(record, error);
        continue;
      }
      for (const deadLetter of deadLetters) await store.put(deadLetter);
      result.items += deadLetters.length;
      written.push(record.receiptHandle);
    }
    const notDeleted = await deleteSqsMessages(sqs, dlqUrl, written);
    // Not deleted: it comes back after its visibility timeout and is written again (a put replaces it).
    result.moved += written.length - notDeleted.length;
  }
  return result;
}

/**
 * The dead letters for one message of the DLQ, one per item of its bundle (one for a message of the format before
 * bundles), from a receive of the drainer or a record of a Lambda whose event source is the DLQ. Throws when the
 * message does not hold delivery items.
 *
 * `attempts` and `firstAttemptAt` are the ones the queue recorded at the item's last retry (attempts counts
 * settled attempts only, so it can be 0: the item's workers never finished one); without a recorded first
 * attempt, SQS's first receive of this message stands in. When the last receive happened is not known:
 * `lastAttemptAt` is the drain time, like `deadAt`.
 */
export function sqsDlqRecordToDeadLetters(record: SqsEventRecord, now: number = Date.now()): DeadLetterRecord[] {
  const deadAt = Math.floor(now);
  const firstReceived = Number(record.attributes.ApproximateFirstReceiveTimestamp);
  return decodeBundle(record).map(({ item, state }) => ({
    item,
    attempts: state.attempts,
    firstAttemptAt: state.firstAttemptAt ?? (Number.isSafeInteger(firstReceived) && firstReceived > 0 ? firstReceived : deadAt),
    lastAttemptAt: deadAt,
    deadAt,
    lastError: { message: EXCEEDED_MAX_RECEIVE_COUNT },
  }));
}
