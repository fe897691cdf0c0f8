// The local pollers against the local AWS-compatible servers, through the SDK's per-service endpoint variables.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { parseConnection, type Connection } from '../../lib/core/connections/index.js';
import { SHARD_END } from '../../lib/ports/checkpoint-store.js';
import { connectorHarness, createStreamedTable, dataOf, RecordingSink, waitFor } from '../connectors/helpers.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const kinesisEndpoint = requireEnv('EG_TEST_KINESIS_ENDPOINT');
const sqsEndpoint = requireEnv('EG_TEST_SQS_ENDPOINT');
const dynamoEndpoint = requireEnv('EG_TEST_DYNAMODB_ENDPOINT');
// The pollers set no endpoint: these standard SDK variables point them at the local servers.
process.env['AWS_ENDPOINT_URL_KINESIS'] = kinesisEndpoint;
process.env['AWS_ENDPOINT_URL_SQS'] = sqsEndpoint;
process.env['AWS_ENDPOINT_URL_DYNAMODB_STREAMS'] = dynamoEndpoint;

const suffix = () => randomBytes(4).toString('hex');
const connection = (body: Record<string, unknown>, id = `c-${suffix()}`): Connection =>
  parseConnection(JSON.stringify({ eventType: 'record.arrived', ...body }), { space: 'default', connectionId: id, newId: () => id });

describe('Kinesis poller [kinesalite]', () => {
  const kinesis = new KinesisClient({ ...awsClientConfig(kinesisEndpoint), requestHandler: new NodeHttpHandler() });
  const streamName = `eg-conn-${suffix()}`;
  const put = async (data: string, key: string) =>
    (await kinesis.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: key, Data: Buffer.from(data) }))).SequenceNumber!;

  before(async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 2 }));
    await waitFor('the stream', async () => (await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }))).StreamDescription?.StreamStatus === 'ACTIVE');
  });
  after(() => kinesis.destroy());

  it('reads every shard from TRIM_HORIZON, waits out 429s, dead-letters a 400, checkpoints per shard, and resumes after the checkpoint', async () => {
    const written: string[] = [];
    for (let i = 0; i < 12; i++) await put(JSON.stringify({ n: i }), `key-${i}`).then(() => written.push(String(i)));
    await put('poison', 'key-poison');
    const sink = new RecordingSink((event, call) => {
      if (call <= 3) return { kind: 'retry', reason: 'queue full', afterMs: 30 };
      if (dataOf(event) === 'poison') return { kind: 'rejected', status: 400, message: 'bad event' };
      return undefined;
    });
    const h = connectorHarness(sink);
    const c = connection({ type: 'awskinesis', source: { streamName, region: 'us-east-1' } });
    await h.manager.apply(c.space, c.connectionId, c);
    await waitFor('12 events and a dead letter', () => sink.accepted.length >= 12 && h.deadLetters.records.length === 1);
    await h.manager.stop();

    assert.deepEqual(sink.accepted.map((e) => (dataOf(e) as { n: number }).n).sort((a, b) => a - b), [...Array(12).keys()]);
    assert.equal(new Set(sink.ids()).size, 12, 'one event per record, ids from shard and sequence number');
    for (const id of sink.ids()) assert.match(id, /^shardId-\d+:\d+$/);
    const first = sink.accepted[0] as Record<string, unknown>;
    assert.equal(first['eventType'], 'record.arrived');
    assert.equal(first['cloudEventsVersion'], '0.1');
    assert.equal(first['contentType'], 'application/json');
    assert.match(String(first['source']), new RegExp(`^arn:aws:kinesis:.*stream/${streamName}$`));
    assert.ok(!Number.isNaN(Date.parse(String(first['eventTime']))), 'eventTime is the arrival time');
    assert.equal(h.deadLetters.records.length, 1, 'the refused record is kept once and the shard goes on');
    assert.equal(h.deadLetters.records[0]?.connectionId, c.connectionId);
    assert.equal(h.deadLetters.records[0]?.status, 400);
    assert.equal(dataOf(h.deadLetters.records[0]!.event), 'poison');
    assert.equal((h.deadLetters.records[0]!.event as { contentType?: string }).contentType, 'text/plain');
    const labels = `space="default",connectionID="${c.connectionId}"`;
    const text = await h.registry.metrics();
    assert.match(text, new RegExp(`^eventgateway_connector_processed_total\\{${labels}\\} 12$`, 'm'));
    const bytes = written.reduce((n, i) => n + Buffer.byteLength(JSON.stringify({ n: Number(i) })), 0);
    assert.match(text, new RegExp(`^eventgateway_connector_processed_bytes\\{${labels}\\} ${bytes}$`, 'm'), 'payload bytes of the accepted records');
    assert.match(text, new RegExp(`^eventgateway_connector_dead_letters_total\\{${labels}\\} 1$`, 'm'));
    assert.match(text, new RegExp(`^eventgateway_connector_errors_total\\{${labels},reason="gateway"\\} 3$`, 'm'), 'each 429 counts');
    for (const shard of ['shardId-000000000000', 'shardId-000000000001']) {
      assert.match(text, new RegExp(`^eventgateway_connector_lag_seconds\\{${labels},shard="${shard}"\\} [0-9.e-]+$`, 'm'), `lag of ${shard} (MillisBehindLatest)`);
    }
    for (const shard of ['shardId-000000000000', 'shardId-000000000001']) {
      assert.match((await h.checkpoints.get('default', c.connectionId, shard)) ?? '', /^\d+$/, `checkpoint of ${shard}`);
    }

    // A restart over the same checkpoints reads only what came after them.
    await put(JSON.stringify({ n: 100 }), 'key-later');
    const again = new RecordingSink();
    const h2 = connectorHarness(again, h.db);
    await h2.manager.apply(c.space, c.connectionId, c);
    await waitFor('the record written after the stop', () => again.accepted.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await h2.manager.stop();
    assert.deepEqual(again.accepted.map(dataOf), [{ n: 100 }]);
  });

  it('with startingPosition LATEST, skips what the stream held before the connection', async () => {
    await put('before', 'k');
    const sink = new RecordingSink();
    const h = connectorHarness(sink);
    const c = connection({ type: 'awskinesis', source: { streamName, region: 'us-east-1', startingPosition: 'LATEST' } });
    await h.manager.apply(c.space, c.connectionId, c);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the shard iterators are taken
    await put('after', 'k');
    await waitFor('the new record', () => sink.accepted.length >= 1);
    await h.manager.stop();
    assert.deepEqual(sink.accepted.map(dataOf), ['after']);

    // Written while the poller is down, on both shards (one of them never checkpointed): a restart reads them all,
    // LATEST applies only to the connection's first start.
    const whileDown = ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => `down-${k}`);
    for (const data of whileDown) await put(data, data);
    const again = new RecordingSink();
    const h2 = connectorHarness(again, h.db);
    await h2.manager.apply(c.space, c.connectionId, c);
    await waitFor('the records written while down', () => whileDown.every((d) => again.accepted.some((e) => dataOf(e) === d)), 10_000);
    await h2.manager.stop();
  });
});

describe('SQS poller [fauxqs]', () => {
  const sqs = new SQSClient(awsClientConfig(sqsEndpoint));
  after(() => sqs.destroy());

  it('long-polls, waits out 429s, and deletes messages only after acceptance', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `eg-conn-${suffix()}`, Attributes: { VisibilityTimeout: '2' } }));
    const sentIds = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: i === 6 ? 'plain text' : JSON.stringify({ i }) }));
      sentIds.add(sent.MessageId!);
    }
    let refusing = true;
    const sink = new RecordingSink(() => (refusing ? { kind: 'retry', reason: 'queue full', afterMs: 50 } : undefined));
    const h = connectorHarness(sink, undefined, '1.0');
    const c = connection({ type: 'awssqs', source: { queueUrl: QueueUrl, region: 'us-east-1' } });
    await h.manager.apply(c.space, c.connectionId, c);
    await waitFor('the poller to be refused', () => sink.calls >= 5);
    const held = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    const stored = Number(held.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(held.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    assert.equal(stored, 7, 'nothing is deleted while the gateway refuses');
    refusing = false;
    await waitFor('7 events', () => new Set(sink.ids()).size >= 7);
    await waitFor('an empty queue', async () => {
      const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes ?? {};
      return Number(attrs.ApproximateNumberOfMessages) + Number(attrs.ApproximateNumberOfMessagesNotVisible) === 0;
    });
    await h.manager.stop();
    const events = sink.accepted as Array<Record<string, unknown>>;
    const texts = events.filter((e) => e['datacontenttype'] === 'text/plain').map((e) => e['data']);
    assert.deepEqual([...new Set(texts)], ['plain text']);
    const jsons = events.filter((e) => e['datacontenttype'] === 'application/json').map((e) => (e['data'] as { i: number }).i);
    assert.deepEqual([...new Set(jsons)].sort(), [0, 1, 2, 3, 4, 5]);
    for (const e of events) {
      assert.equal(e['specversion'], '1.0');
      assert.equal(e['type'], 'record.arrived');
      assert.equal(e['source'], QueueUrl);
      assert.equal(sentIds.has(String(e['id'])), true, 'the event id is the SQS message id');
    }
    const text = await h.registry.metrics();
    assert.match(text, new RegExp(`^eventgateway_connector_processed_total\\{space="default",connectionID="${c.connectionId}"\\} ${events.length}$`, 'm'));
    assert.match(text, new RegExp(`^eventgateway_connector_lag_seconds\\{space="default",connectionID="${c.connectionId}",shard="queue"\\} [0-9.e-]+$`, 'm'));
  });
});

describe('DynamoDB Streams poller [DynamoDB Local]', () => {
  const dynamo = new DynamoDBClient(awsClientConfig(dynamoEndpoint));
  after(() => dynamo.destroy());

  it('reads every change from TRIM_HORIZON as Lambda shows it, checkpoints, and resumes after a restart', async () => {
    const TableName = `eg-conn-${suffix()}`;
    const streamArn = await createStreamedTable(dynamo, TableName);
    for (let i = 0; i < 5; i++) await dynamo.send(new PutItemCommand({ TableName, Item: { pk: { S: `item-${i}` }, n: { N: String(i) } } }));
    const sink = new RecordingSink();
    const h = connectorHarness(sink);
    const c = connection({ type: 'awsdynamodbstreams', source: { streamArn, region: 'us-east-1' } });
    await h.manager.apply(c.space, c.connectionId, c);
    await waitFor('5 changes', () => sink.accepted.length >= 5);
    await h.manager.stop();
    const labels = `space="default",connectionID="${c.connectionId}"`;
    const text = await h.registry.metrics();
    assert.match(text, new RegExp(`^eventgateway_connector_processed_total\\{${labels}\\} 5$`, 'm'));
    assert.match(text, new RegExp(`^eventgateway_connector_lag_seconds\\{${labels},shard="[^"]+"\\} [0-9.e-]+$`, 'm'), 'lag of the shard, from the records\' creation times');
    const first = dataOf(sink.accepted[0]!) as { eventName: string; eventSourceARN: string; dynamodb: { NewImage: unknown; ApproximateCreationDateTime: number } };
    assert.equal(first.eventName, 'INSERT');
    assert.equal(first.eventSourceARN, streamArn);
    assert.deepEqual(first.dynamodb.NewImage, { pk: { S: 'item-0' }, n: { N: '0' } });
    assert.equal(typeof first.dynamodb.ApproximateCreationDateTime, 'number');

    await dynamo.send(new PutItemCommand({ TableName, Item: { pk: { S: 'item-0' }, n: { N: '42' } } }));
    const again = new RecordingSink();
    const h2 = connectorHarness(again, h.db);
    await h2.manager.apply(c.space, c.connectionId, c);
    await waitFor('the change after the stop', () => again.accepted.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await h2.manager.stop();
    assert.deepEqual(again.accepted.map((e) => (dataOf(e) as { eventName: string }).eventName), ['MODIFY']);
    const shardId = String((again.accepted[0] as { eventID?: string }).eventID).split(':')[0]!;
    assert.match((await h.checkpoints.get('default', c.connectionId, shardId)) ?? '', /^\d+$/, 'a checkpoint of the shard');
    assert.notEqual(await h.checkpoints.get('default', c.connectionId, shardId), SHARD_END);
  });
});
