import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { appendEntries, FenceError, MAX_IMAGE_BYTES, type AppendOptions, type NewChangeLogEntry } from './change-log.js';
import { DEFAULT_CHANGE_RETENTION_SECONDS, parseItemKey, registryTableNames } from './tables.js';

/** The parts of a DynamoDB attribute value the handler reads (a Lambda event's JSON or the Streams SDK's type). */
export interface StreamAttributeValueLike {
  S?: string;
  N?: string;
  BOOL?: boolean;
}

/** The parts of a DynamoDB Stream record the handler reads; a Lambda event record and the SDK's `_Record` fit. */
export interface DynamoDBStreamRecordLike {
  eventID?: string;
  eventName?: string;
  eventSourceARN?: string;
  dynamodb?: {
    Keys?: Record<string, StreamAttributeValueLike>;
    NewImage?: Record<string, StreamAttributeValueLike>;
    OldImage?: Record<string, StreamAttributeValueLike>;
    SequenceNumber?: string;
  };
}

export interface ApplyStreamRecordsDeps {
  client: DynamoDBClient;
  tablePrefix: string;
  /** @default 86400 (24 hours) */
  changeRetentionSeconds?: number;
  /** @default Date.now */
  now?: () => number;
  /** Extra actions in each chunk's transaction (the Stream relay's lease check and checkpoint). @default none */
  fence?: AppendOptions['fence'];
  /** Told of each record the change log refused, before it is logged by its key alone. @default nothing */
  onRefused?: (record: DynamoDBStreamRecordLike, error: ChangeLogWriteError) => void;
}

export interface ApplyStreamRecordsResult {
  /** Versions given to the logged changes, in record order. */
  versions: number[];
  /** Records that are not config item changes (other item types, other event names). */
  skipped: number;
  /** Records the change log refused with their image, logged by their key alone. */
  keyOnly: number;
}

/**
 * Thrown when part of a batch could not be logged. `firstUnloggedSequenceNumber` is the record to resume from
 * (a Lambda handler reports it in `batchItemFailures`); the records before it are logged.
 */
export class ChangeLogWriteError extends Error {
  constructor(
    readonly firstUnloggedSequenceNumber: string | undefined,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`could not write the registry change log: ${reason}`, options);
    this.name = 'ChangeLogWriteError';
  }
}

/**
 * The one mapping from the registry table's Stream records to change log entries, shared by the invalidation Lambda
 * and the gateway's own Stream relay (stream-relay.ts): turns records into entries and appends them, in record
 * order. Records of one item share a shard and arrive in order, so the log keeps each item's history in order.
 *
 * Each chunk of up to 99 records is one transaction that moves the version counter and writes the chunk's entries
 * (see {@link appendEntries}), so the log never shows a version without its entry. A retried batch is logged again
 * under new versions: a reader then replays the same item states once more, in the same order, which ends in the
 * same state.
 *
 * A record the change log refuses (DynamoDB rejects what it would write, so retrying it can never succeed) must not
 * hold back every later change: the rest of the batch is then logged one record at a time, and a refused record by
 * its key alone (`imageOmitted`, so readers read the item from the registry instead). What fails even so, or for
 * another reason (throttling, a missing table), throws a {@link ChangeLogWriteError} at its record.
 */
export async function applyStreamRecords(
  records: readonly DynamoDBStreamRecordLike[],
  deps: ApplyStreamRecordsDeps,
): Promise<ApplyStreamRecordsResult> {
  try {
    return { ...(await appendRecords(records, deps)), keyOnly: 0 };
  } catch (error) {
    if (!isRefusedRecord(error)) throw error;
    return applyOneByOne(records, error, deps);
  }
}

/** Maps the records to entries and appends them, in record order. */
async function appendRecords(
  records: readonly DynamoDBStreamRecordLike[],
  deps: ApplyStreamRecordsDeps,
): Promise<Omit<ApplyStreamRecordsResult, 'keyOnly'>> {
  const entries: { entry: NewChangeLogEntry; sequenceNumber: string | undefined }[] = [];
  let skipped = 0;
  for (const record of records) {
    const entry = toEntry(record);
    if (entry) entries.push({ entry, sequenceNumber: record.dynamodb?.SequenceNumber });
    else skipped++;
  }
  if (entries.length === 0) return { versions: [], skipped };

  const table = registryTableNames(deps.tablePrefix).changes;
  const options = {
    retentionSeconds: deps.changeRetentionSeconds ?? DEFAULT_CHANGE_RETENTION_SECONDS,
    now: deps.now ?? Date.now,
    fence: deps.fence,
  };
  const versions: number[] = [];
  try {
    await appendEntries(deps.client, table, entries.map(({ entry }) => entry), options, versions);
  } catch (cause) {
    if (cause instanceof FenceError) throw cause;
    throw new ChangeLogWriteError(entries[versions.length]?.sequenceNumber, { cause });
  }
  return { versions, skipped };
}

/** DynamoDB refused what a record would write (a validation error): retrying the same record cannot succeed. */
function isRefusedRecord(error: unknown): error is ChangeLogWriteError {
  if (!(error instanceof ChangeLogWriteError) || error.firstUnloggedSequenceNumber === undefined) return false;
  const cause = error.cause as { name?: unknown; CancellationReasons?: Array<{ Code?: string }> } | undefined;
  return cause?.name === 'ValidationException' || (cause?.CancellationReasons ?? []).some((reason) => reason.Code === 'ValidationError');
}

/** The record with its image left out: the change log then tells readers to read the item from the registry. */
function withoutImage(record: DynamoDBStreamRecordLike): DynamoDBStreamRecordLike {
  const { NewImage: _image, ...dynamodb } = record.dynamodb ?? {};
  return { ...record, dynamodb };
}

/**
 * After a refused record: everything before the first unlogged record is logged; the rest goes one record at a
 * time, a refused one by its key alone. Throws a ChangeLogWriteError at the first record that still fails.
 */
async function applyOneByOne(
  records: readonly DynamoDBStreamRecordLike[],
  refused: ChangeLogWriteError,
  deps: ApplyStreamRecordsDeps,
): Promise<ApplyStreamRecordsResult> {
  const start = records.findIndex((record) => record.dynamodb?.SequenceNumber === refused.firstUnloggedSequenceNumber);
  if (start < 0) throw refused;
  // What came before `start` was logged by the failed call; its versions are not known here, only counted.
  const result: ApplyStreamRecordsResult = { versions: [], skipped: 0, keyOnly: 0 };
  for (const record of records.slice(start)) {
    let one: Omit<ApplyStreamRecordsResult, 'keyOnly'>;
    try {
      one = await appendRecords([record], deps);
    } catch (error) {
      if (!isRefusedRecord(error)) throw error;
      deps.onRefused?.(record, error);
      one = await appendRecords([withoutImage(record)], deps);
      result.keyOnly++;
    }
    result.versions.push(...one.versions);
    result.skipped += one.skipped;
  }
  return result;
}

function toEntry(record: DynamoDBStreamRecordLike): NewChangeLogEntry | undefined {
  const { eventName, dynamodb } = record;
  if (eventName !== 'INSERT' && eventName !== 'MODIFY' && eventName !== 'REMOVE') return undefined;
  const pk = dynamodb?.Keys?.['pk']?.S;
  const sk = dynamodb?.Keys?.['sk']?.S;
  if (pk === undefined || sk === undefined) return undefined;
  const key = parseItemKey(pk, sk);
  if (!key) return undefined;

  const entry: NewChangeLogEntry = { ...key, deleted: eventName === 'REMOVE' };
  if (dynamodb?.SequenceNumber !== undefined) entry.sequenceNumber = dynamodb.SequenceNumber;
  if (eventName === 'REMOVE') {
    const writeId = dynamodb?.OldImage?.['writeId']?.S;
    if (writeId !== undefined) entry.writeId = writeId;
    return entry;
  }
  const image = dynamodb?.NewImage;
  const json = image?.['json']?.S;
  if (json === undefined || Buffer.byteLength(json) > MAX_IMAGE_BYTES) entry.imageOmitted = true;
  else entry.json = json;
  const writeId = image?.['writeId']?.S;
  if (writeId !== undefined) entry.writeId = writeId;
  const writtenAt = image?.['writtenAt']?.N;
  if (writtenAt !== undefined) entry.writtenAt = Number(writtenAt);
  return entry;
}
