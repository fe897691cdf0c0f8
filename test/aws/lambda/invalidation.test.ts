import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { DynamoRegistry, registryTableNames, type DynamoDBStreamRecordLike } from '../../../lib/adapters/registry/dynamodb/index.js';
import { readCounter } from '../../../lib/adapters/registry/dynamodb/change-log.js';
import { ConfigService } from '../../../lib/config-api/index.js';
import { openDynamoStores, type DynamoStores } from '../../../lib/gateway/aws.js';
import type { RegistryChange } from '../../../lib/ports/registry.js';
import { createHandler, type InvalidationHandler } from '../../../functions/invalidation.js';
import { awsClientConfig, requireEnv } from '../helpers.js';

const DYNAMODB_ENDPOINT = requireEnv('EG_TEST_DYNAMODB_ENDPOINT');
const RUN = `eg-linv-${randomUUID().slice(0, 8)}`;
const PREFIX = `${RUN}-`;
const BROKEN_PREFIX = `${RUN}-broken-`;

interface EmfDocument {
  [metric: string]: unknown;
}

/** Reads the registry table's Stream on DynamoDB Local from the moment it is opened, as the event source mapping would. */
class StreamReader {
  private constructor(
    private readonly streams: DynamoDBStreamsClient,
    readonly streamArn: string,
    private readonly shards: ShardCursor[],
  ) {}

  static async open(stores: DynamoStores, streams: DynamoDBStreamsClient): Promise<StreamReader> {
    const { Table } = await stores.client.send(new DescribeTableCommand({ TableName: stores.registry.tableNames.registry }));
    const streamArn = Table?.LatestStreamArn ?? '';
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const shards = (StreamDescription?.Shards ?? [])
      .filter((shard) => shard.SequenceNumberRange?.EndingSequenceNumber === undefined)
      .map((shard): ShardCursor => ({ shardId: shard.ShardId ?? '' }));
    const reader = new StreamReader(streams, streamArn, shards);
    // From the moment it is opened: what the earlier tests wrote is read and passed over. (TRIM_HORIZON and sequence
    // numbers rather than LATEST, so that a re-opened iterator resumes exactly where the reader was.)
    for (const shard of shards) while ((await reader.read(shard)).length > 0);
    return reader;
  }

  /**
   * The next `count` records, as a Lambda event carries them: JSON (epoch-second `ApproximateCreationDateTime`),
   * with the stream's ARN as `eventSourceARN`.
   */
  async take(count: number): Promise<DynamoDBStreamRecordLike[]> {
    const records: DynamoDBStreamRecordLike[] = [];
    const deadline = Date.now() + 10_000;
    while (records.length < count) {
      assert.ok(Date.now() < deadline, `the stream gave ${records.length} of ${count} records`);
      for (const shard of this.shards) {
        for (const record of await this.read(shard)) {
          const created = record.dynamodb?.ApproximateCreationDateTime;
          records.push(JSON.parse(JSON.stringify({
            ...record,
            eventSourceARN: this.streamArn,
            dynamodb: { ...record.dynamodb, ApproximateCreationDateTime: created ? Math.floor(created.getTime() / 1000) : undefined },
          })) as DynamoDBStreamRecordLike);
        }
      }
      if (records.length < count) await sleep(50);
    }
    return records;
  }

  /** One GetRecords on a shard, after its last record read. */
  private async read(shard: ShardCursor): Promise<StreamRecord[]> {
    shard.iterator ??= await this.iterator(shard);
    let output;
    try {
      output = await this.streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator }));
    } catch (error) {
      // DynamoDB Local answers TrimmedDataAccessException now and then while other clients read its Streams: the
      // next call takes a new iterator after the last record read.
      if ((error as { name?: string }).name !== 'TrimmedDataAccessException') throw error;
      shard.iterator = undefined;
      return [];
    }
    const records = output.Records ?? [];
    shard.after = records.at(-1)?.dynamodb?.SequenceNumber ?? shard.after;
    shard.iterator = output.NextShardIterator;
    return records;
  }

  private async iterator(shard: ShardCursor): Promise<string | undefined> {
    const { ShardIterator } = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shard.shardId,
        ...(shard.after === undefined
          ? { ShardIteratorType: 'TRIM_HORIZON' }
          : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.after }),
      }),
    );
    return ShardIterator;
  }
}

interface ShardCursor {
  shardId: string;
  iterator?: string | undefined;
  /** Sequence number of the last record read from the shard. */
  after?: string;
}

type StreamRecord = _Record;

const isGuard = (record: DynamoDBStreamRecordLike) => record.dynamodb?.Keys?.['pk']?.S?.startsWith('guard#') === true;

describe('the invalidation Lambda handler [lambda-handler]', () => {
  let stores: DynamoStores;
  let writer: DynamoRegistry;
  let config: ConfigService;
  let streams: DynamoDBStreamsClient;
  let handler: InvalidationHandler;
  const emf: EmfDocument[] = [];
  const handlers: InvalidationHandler[] = [];

  const newHandler = (prefix: string) => {
    const created = createHandler({
      env: {
        AWS_LAMBDA_FUNCTION_NAME: 'event-gateway-invalidation',
        EVENT_GATEWAY_DYNAMODB_ENDPOINT: DYNAMODB_ENDPOINT,
        EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX: prefix,
        EVENT_GATEWAY_LOG_LEVEL: 'silent',
      },
      writeMetrics: (line) => emf.push(JSON.parse(line) as EmfDocument),
    });
    handlers.push(created);
    return created;
  };

  before(async () => {
    stores = await openDynamoStores({ dynamodbEndpoint: DYNAMODB_ENDPOINT, tablePrefix: PREFIX });
    writer = new DynamoRegistry({ client: stores.client, tablePrefix: PREFIX });
    config = new ConfigService(writer);
    streams = new DynamoDBStreamsClient(awsClientConfig(DYNAMODB_ENDPOINT));
    handler = newHandler(PREFIX);
  });

  after(async () => {
    for (const created of handlers) await created.close();
    await writer.close();
    for (const table of [...Object.values(registryTableNames(PREFIX)), ...Object.values(registryTableNames(BROKEN_PREFIX))]) {
      await stores.client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    }
    await stores.close();
    streams.destroy();
  });

  it('logs the Stream records of config writes: the change log version moves and a registry listener sees the changes', async () => {
    const changes: RegistryChange[] = [];
    // A router's registry: it polls the change log and never reads the Stream.
    const router = new DynamoRegistry({ client: stores.client, tablePrefix: PREFIX, pollIntervalMs: 50 });
    const unsubscribe = router.onChange((change) => changes.push(change));
    try {
      const reader = await StreamReader.open(stores, streams);
      const versionBefore = await readCounter(stores.client, stores.registry.tableNames.changes);
      await config.createEventType('default', '{"name":"user.created"}');
      await config.createFunction('default', '{"functionId":"hello","type":"http","provider":{"url":"https://example.com/"}}');
      // The event type's write also bumps its guard item: three records, two of them config items.
      const records = await reader.take(3);
      assert.deepEqual(records.map((r) => r.eventName), ['INSERT', 'INSERT', 'INSERT']);
      assert.equal(records.filter(isGuard).length, 1);
      await sleep(200);
      assert.equal(changes.length, 0, 'nothing is logged before the handler runs');

      const response = await handler({ Records: records });

      assert.deepEqual(response, { batchItemFailures: [] });
      assert.equal(await readCounter(stores.client, stores.registry.tableNames.changes), versionBefore + 2);
      const deadline = Date.now() + 5000;
      while (changes.length < 2) {
        assert.ok(Date.now() < deadline, `the listener saw ${changes.length} of 2 changes`);
        await sleep(20);
      }
      assert.deepEqual(
        changes.map(({ kind, space, id, item, version }) => ({ kind, space, id, item, version })),
        [
          { kind: 'eventtype', space: 'default', id: 'user.created', item: { space: 'default', name: 'user.created' }, version: versionBefore + 1 },
          {
            kind: 'function',
            space: 'default',
            id: 'hello',
            item: { space: 'default', functionId: 'hello', type: 'http', provider: { url: 'https://example.com/' } },
            version: versionBefore + 2,
          },
        ],
      );
      assert.equal(emf.at(-1)!.ChangesLogged, 2);
      assert.equal(emf.at(-1)!.RecordsSkipped, 1);
      assert.equal(emf.at(-1)!.Service, 'invalidation');
    } finally {
      unsubscribe();
      await router.close();
    }
  });

  it('logs a delete from its old image', async () => {
    const reader = await StreamReader.open(stores, streams);
    const versionBefore = await readCounter(stores.client, stores.registry.tableNames.changes);
    await config.deleteFunction('default', 'hello');
    const [record] = await reader.take(1);
    assert.equal(record!.eventName, 'REMOVE');

    assert.deepEqual(await handler({ Records: [record!] }), { batchItemFailures: [] });

    assert.equal(await readCounter(stores.client, stores.registry.tableNames.changes), versionBefore + 1);
  });

  it('reports the first unlogged record\'s sequence number when the change log cannot be written', async () => {
    const broken = newHandler(BROKEN_PREFIX);
    // The cold start creates the broken prefix's tables (a local endpoint); then its change log goes away.
    assert.deepEqual(await broken({ Records: [] }), { batchItemFailures: [] });
    await stores.client.send(new DeleteTableCommand({ TableName: registryTableNames(BROKEN_PREFIX).changes }));
    const reader = await StreamReader.open(stores, streams);
    await config.createEventType('default', '{"name":"order.placed"}');
    const records = await reader.take(2);
    const firstConfigRecord = records.find((r) => !isGuard(r));
    assert.ok(firstConfigRecord?.dynamodb?.SequenceNumber);

    const response = await broken({ Records: records });

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: firstConfigRecord.dynamodb.SequenceNumber }] });
    assert.equal(emf.at(-1)!.ChangeLogWriteErrors, 1);
  });

  it('logs a record the change log refuses by its key alone, so the changes after it still reach the routers', async () => {
    const changes: RegistryChange[] = [];
    const router = new DynamoRegistry({ client: stores.client, tablePrefix: PREFIX, pollIntervalMs: 50 });
    const unsubscribe = router.onChange((change) => changes.push(change));
    try {
      const reader = await StreamReader.open(stores, streams);
      const versionBefore = await readCounter(stores.client, stores.registry.tableNames.changes);
      await config.createFunction('default', '{"functionId":"poisoned","type":"http","provider":{"url":"https://example.com/p"}}');
      await config.createFunction('default', '{"functionId":"after","type":"http","provider":{"url":"https://example.com/a"}}');
      const records: DynamoDBStreamRecordLike[] = [];
      while (records.length < 2) records.push(...(await reader.take(1)).filter((r) => !isGuard(r)));
      assert.equal(records.length, 2);
      // A record DynamoDB refuses to log as it is: its write time is not a number.
      const bad = JSON.parse(JSON.stringify(records[0])) as DynamoDBStreamRecordLike;
      bad.dynamodb!.NewImage = { ...bad.dynamodb!.NewImage, writtenAt: { N: 'not-a-number' } };

      const response = await handler({ Records: [bad, records[1]!] });

      assert.deepEqual(response, { batchItemFailures: [] }, 'nothing is left for the mapping to retry');
      assert.equal(await readCounter(stores.client, stores.registry.tableNames.changes), versionBefore + 2);
      const deadline = Date.now() + 5000;
      while (changes.length < 2) {
        assert.ok(Date.now() < deadline, `the listener saw ${changes.length} of 2 changes`);
        await sleep(20);
      }
      assert.deepEqual(
        changes.map(({ kind, id, item }) => ({ kind, id, url: (item as { provider?: { url?: string } } | undefined)?.provider?.url })),
        [
          { kind: 'function', id: 'poisoned', url: 'https://example.com/p' },
          { kind: 'function', id: 'after', url: 'https://example.com/a' },
        ],
      );
      assert.equal(emf.at(-1)!.RecordsLoggedByKeyOnly, 1);
      assert.equal(emf.at(-1)!.ChangesLogged, 2);
    } finally {
      unsubscribe();
      await router.close();
    }
  });

  it('fails the whole invocation for an event that is not a Stream event, so Lambda retries the batch', async () => {
    await assert.rejects(handler({} as never), /expects a DynamoDB Stream event/);
  });
});
