import { CreateTableCommand, type DynamoDBClient, type StreamViewType } from '@aws-sdk/client-dynamodb';
import { Registry } from 'prom-client';
import { SqliteCheckpointStore } from '../../lib/adapters/checkpoints/sqlite/index.js';
import { openDatabase, type SqliteDatabase } from '../../lib/adapters/sqlite/index.js';
import type { CloudEventsVersion, GatewayEvent } from '../../lib/core/cloudevents/model.js';
import type { Connection, SourceRecord } from '../../lib/core/connections/index.js';
import {
  ConnectorManager,
  ConnectorMetrics,
  RecordIntake,
  type ConnectionDeadLetters,
  type EventSink,
  type PollerTiming,
  type SinkResult,
} from '../../lib/connectors/index.js';
import { createLogger } from '../../lib/observability/logger.js';

/** What the gateway answers, per event, in a test; undefined accepts it. */
export type Answer = (event: GatewayEvent, call: number) => SinkResult | undefined;

/** Stands in for the gateway's intake: records every accepted event, answers as `answer` says. */
export class RecordingSink implements EventSink {
  readonly accepted: GatewayEvent[] = [];
  calls = 0;
  constructor(public answer: Answer = () => undefined) {}

  async accept(_c: Connection, _r: SourceRecord, event: GatewayEvent): Promise<SinkResult> {
    const result = this.answer(event, ++this.calls) ?? { kind: 'accepted' };
    if (result.kind === 'accepted') this.accepted.push(event);
    return result;
  }

  ids(): string[] {
    return this.accepted.map((e) => String((e as { eventID?: string }).eventID ?? (e as { id?: string }).id));
  }
}

export class RecordingDeadLetters implements ConnectionDeadLetters {
  readonly records: Array<{ connectionId: string; event: GatewayEvent; status?: number }> = [];
  async put(connection: Connection, _record: SourceRecord, event: GatewayEvent, error: { status?: number }): Promise<void> {
    this.records.push({ connectionId: connection.connectionId, event, ...(error.status !== undefined ? { status: error.status } : {}) });
  }
}

/** A connector manager over a sink, with checkpoints in `db` (a new in-memory database unless given). */
export function connectorHarness(
  sink: EventSink,
  db: SqliteDatabase = openDatabase({ filename: ':memory:' }),
  cloudEventsVersion: CloudEventsVersion = '0.1',
  timing: PollerTiming = {},
) {
  const registry = new Registry();
  const metrics = new ConnectorMetrics(registry);
  const logger = createLogger({ level: process.env['EG_TEST_LOG'] === '1' ? 'debug' : 'silent' });
  const deadLetters = new RecordingDeadLetters();
  const intake = new RecordIntake({ sink, deadLetters, metrics, logger, cloudEventsVersion, minBackoffMs: 20, maxBackoffMs: 200 });
  const checkpoints = new SqliteCheckpointStore(db);
  const manager = new ConnectorManager({ intake, checkpoints, metrics, logger, idleMs: 50, shardRefreshMs: 300, sqsWaitSeconds: 1, maxBackoffMs: 500, ...timing });
  return { manager, metrics, registry, deadLetters, checkpoints, db };
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function dataOf(event: GatewayEvent): unknown {
  return (event as { data?: unknown }).data;
}

/** Creates a table keyed by a string `pk` with its stream enabled, and answers the stream's ARN. */
export async function createStreamedTable(dynamo: DynamoDBClient, TableName: string, viewType: StreamViewType = 'NEW_AND_OLD_IMAGES'): Promise<string> {
  const table = await dynamo.send(
    new CreateTableCommand({
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: viewType },
    }),
  );
  return table.TableDescription!.LatestStreamArn!;
}
