import type { CloudEventsVersion } from '../../core/cloudevents/model.js';
import { connectionEvent, type Connection } from '../../core/connections/index.js';
import type { Logger } from '../../observability/logger.js';
import type { ConnectionDeadLetters } from '../intake.js';
import type { EventSink } from '../sink.js';
import { batchRecords, type BatchRecord } from './events.js';
import { mappingSourceOf, type MappingAccount } from './sources.js';

/** How long the connector reuses the list of connections; a source none of them reads makes it read the list again. */
export const CONNECTIONS_CACHE_MS = 10_000;
/** Records of one batch taken into the gateway at once. */
export const CONNECTOR_CONCURRENCY = 16;

/** The connector's EMF metric names. */
export const CONNECTOR_METRICS = {
  processed: 'ConnectorRecordsProcessed',
  processedBytes: 'ConnectorBytesProcessed',
  deadLetters: 'ConnectorDeadLetters',
  retried: 'ConnectorRecordsRetried',
  orphaned: 'ConnectorRecordsWithoutConnection',
} as const;

/**
 * The connections reading each event source, from the stored connections (cached for {@link CONNECTIONS_CACHE_MS},
 * read again at once for a source that none reads: a connection created a moment ago).
 */
export class ConnectionsBySource {
  private cached: { at: number; connections: readonly Connection[] } | undefined;

  constructor(
    private readonly list: () => Promise<readonly Connection[]>,
    private readonly now: () => number = Date.now,
  ) {}

  async of(key: string, eventSourceArn: string): Promise<Connection[]> {
    const account = accountOfArn(eventSourceArn);
    const fresh = this.cached !== undefined && this.now() - this.cached.at < CONNECTIONS_CACHE_MS;
    let found = this.cached && fresh ? matching(this.cached.connections, key, account) : [];
    if (found.length === 0) {
      const connections = await this.list();
      this.cached = { at: this.now(), connections };
      found = matching(connections, key, account);
    }
    return found;
  }
}

function matching(connections: readonly Connection[], key: string, account: MappingAccount): Connection[] {
  return connections.filter((c) => {
    try {
      return mappingSourceOf(c, account).key === key;
    } catch {
      return false; // a connection no mapping reads
    }
  });
}

/** Partition, region and account of a source ARN: a mapping reads its own account's Kinesis streams by name. */
function accountOfArn(arn: string): MappingAccount {
  const [, partition = 'aws', , region = '', accountId = ''] = arn.split(':');
  return { partition, region, accountId };
}

export interface ConnectorBatchDeps {
  connections: ConnectionsBySource;
  /** In-process into the routing of the connection's space, or over HTTP to its `target`. */
  sinkFor(connection: Connection): EventSink;
  deadLetters: ConnectionDeadLetters;
  cloudEventsVersion: CloudEventsVersion;
  logger: Logger;
  /** Counts a metric of the invocation. */
  count(name: string, value?: number): void;
  /** Aborts the offers in flight (the invocation is running out of time). */
  signal: AbortSignal;
}

/** `batchItemFailures` of a mapping with `ReportBatchItemFailures`. */
export interface ConnectorBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/**
 * One batch of an event source mapping: each record becomes one event of each connection that reads its source
 * (the same event as the local pollers make), taken into the gateway. A record every connection's gateway accepted,
 * or refused for good (kept as a dead letter of the connection), is done; any other (queue full, target down) failed:
 * - SQS: each failed message is reported and comes back after its visibility timeout;
 * - streams: the first failed record is reported, and Lambda retries from it (later ones again too: duplicates with
 *   the same ids);
 * - Amazon MQ (no partial failures): the invocation fails and the whole batch is delivered again.
 * Records of a source no connection reads any more (a mapping about to be deleted) are dropped and counted.
 */
export async function handleConnectorBatch(event: unknown, deps: ConnectorBatchDeps): Promise<ConnectorBatchResponse> {
  const { kind, records } = batchRecords(event);
  const failed = new Set<BatchRecord>();
  const byKey = new Map<string, Connection[]>();
  for (const record of records) {
    if (!byKey.has(record.key)) byKey.set(record.key, await deps.connections.of(record.key, record.key.split('\n')[0]!));
  }
  let next = 0;
  const worker = async () => {
    while (next < records.length) {
      const record = records[next++]!;
      const connections = byKey.get(record.key) ?? [];
      if (connections.length === 0) {
        deps.count(CONNECTOR_METRICS.orphaned);
        deps.logger.warn({ source: record.key.split('\n')[0] }, 'a record of a source no connection reads; dropped');
        continue;
      }
      const outcomes = await Promise.all(connections.map((connection) => takeIn(record, connection, deps)));
      if (outcomes.includes(false)) failed.add(record);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECTOR_CONCURRENCY, records.length) }, worker));

  if (failed.size === 0) return { batchItemFailures: [] };
  deps.count(CONNECTOR_METRICS.retried, failed.size);
  if (kind === 'rmq') throw new Error(`${failed.size} of ${records.length} messages not taken into the gateway; the batch is retried`);
  if (kind === 'sqs') return { batchItemFailures: records.filter((r) => failed.has(r)).map((r) => ({ itemIdentifier: r.itemIdentifier })) };
  const first = records.find((r) => failed.has(r))!;
  return { batchItemFailures: [{ itemIdentifier: first.itemIdentifier }] };
}

/** True when the record is done for this connection (accepted, or kept as a dead letter). */
async function takeIn(record: BatchRecord, connection: Connection, deps: ConnectorBatchDeps): Promise<boolean> {
  const labels = { space: connection.space, connectionId: connection.connectionId };
  const source = record.toSourceRecord(connection);
  const event = connectionEvent(connection.eventType, source, deps.cloudEventsVersion);
  try {
    const result = await deps.sinkFor(connection).accept(connection, source, event, deps.signal);
    if (result.kind === 'accepted') {
      deps.count(CONNECTOR_METRICS.processed);
      deps.count(CONNECTOR_METRICS.processedBytes, record.bytes);
      return true;
    }
    if (result.kind === 'rejected') {
      await deps.deadLetters.put(connection, source, event, { message: result.message, status: result.status });
      deps.count(CONNECTOR_METRICS.deadLetters);
      deps.logger.warn({ ...labels, eventId: source.eventId, status: result.status, err: result.message }, 'record refused by the gateway; kept as a dead letter');
      return true;
    }
    deps.logger.info({ ...labels, eventId: source.eventId, reason: result.reason }, 'gateway busy; the record is retried');
    return false;
  } catch (error) {
    deps.logger.warn({ ...labels, eventId: source.eventId, err: error }, 'taking a record in failed; it is retried');
    return false;
  }
}
