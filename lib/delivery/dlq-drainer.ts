import { decodeBundle, type SqsEventRecord } from '../adapters/queue/sqs/index.js';
import type { DeadLetterRecord } from '../ports/dead-letter-store.js';

/**
 * The `lastError` of every dead letter that came through the SQS queue's own DLQ (docs/compatibility.md#dead-letters).
 */
export const EXCEEDED_MAX_RECEIVE_COUNT = 'exceeded maxReceiveCount';

/**
 * The dead letters for one message of the DLQ, one per item of its bundle (one for a message of the format before
 * bundles), from a record of the Lambda whose event source is the DLQ. Throws when the
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
