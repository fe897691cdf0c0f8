// Crash test of the local pollers: the real CLI as a child process on its own data dir, a Kinesis, an SQS and a
// DynamoDB Streams connection created through the connections API, records written while the gateway is SIGKILLed
// mid-stream and started again on the same data dir. Every record reaches the subscribed http function at least once,
// and a record delivered twice carries the same webhook-id both times. Against kinesalite, fauxqs and DynamoDB Local.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { assertOneIdPerKey, startCrashGateway, type CrashGateway } from '../connectors/crash-gateway.js';
import { createStreamedTable } from '../connectors/helpers.js';
import { eventually, type ReceivedRequest } from '../helpers/sink.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const kinesisEndpoint = requireEnv('EG_TEST_KINESIS_ENDPOINT');
const sqsEndpoint = requireEnv('EG_TEST_SQS_ENDPOINT');
const dynamoEndpoint = requireEnv('EG_TEST_DYNAMODB_ENDPOINT');
const RECORDS = 40;
/** Kinesis, SQS, DynamoDB Streams. */
const SOURCES = 3;

describe('crash: SIGKILL mid-stream, restart on the same data dir [kinesalite, fauxqs, DynamoDB Local]', () => {
  const kinesis = new KinesisClient({ ...awsClientConfig(kinesisEndpoint), requestHandler: new NodeHttpHandler() });
  const sqs = new SQSClient(awsClientConfig(sqsEndpoint));
  const dynamo = new DynamoDBClient(awsClientConfig(dynamoEndpoint));
  const suffix = randomBytes(4).toString('hex');
  const streamName = `eg-crash-${suffix}`;
  const TableName = `eg-crash-${suffix}`;
  let queueUrl: string;
  let gateway: CrashGateway;

  before(async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 2 }));
    await eventually(async () => (await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }))).StreamDescription?.StreamStatus === 'ACTIVE', 10_000, 'the stream');
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `eg-crash-${suffix}`, Attributes: { VisibilityTimeout: '2' } }))).QueueUrl!;
    const streamArn = await createStreamedTable(dynamo, TableName, 'NEW_IMAGE');
    // The child gateway inherits these: its pollers read the local servers.
    process.env['AWS_ENDPOINT_URL_KINESIS'] = kinesisEndpoint;
    process.env['AWS_ENDPOINT_URL_SQS'] = sqsEndpoint;
    process.env['AWS_ENDPOINT_URL_DYNAMODB_STREAMS'] = dynamoEndpoint;
    gateway = await startCrashGateway('record.arrived');
    // The function answers after 100 ms: the kill lands while deliveries are in flight, whose items are then
    // delivered again after the restart (duplicates, under the same webhook-id).
    gateway.fn.respond = (_req, res) => setTimeout(() => res.writeHead(200).end('{}'), 100);
    for (const [connectionId, type, source] of [
      ['stream', 'awskinesis', { streamName, region: 'us-east-1' }],
      ['queue', 'awssqs', { queueUrl, region: 'us-east-1' }],
      ['table', 'awsdynamodbstreams', { streamArn, region: 'us-east-1' }],
    ] as const) {
      await gateway.createConnection({ connectionId, eventType: 'record.arrived', type, source });
    }
  });

  after(async () => {
    await gateway?.close();
    kinesis.destroy();
    sqs.destroy();
    dynamo.destroy();
  });

  it('delivers every record at least once, none skipped, duplicates under the same webhook-id', async () => {
    const keyOf = (r: ReceivedRequest): string | undefined => {
      const data = (r.json as { data?: { k?: number; s?: number; dynamodb?: { NewImage?: { pk?: { S?: string } } } } } | undefined)?.data;
      if (typeof data?.k === 'number') return `k${data.k}`;
      if (typeof data?.s === 'number') return `s${data.s}`;
      return data?.dynamodb?.NewImage?.pk?.S;
    };
    const write = async (from: number, to: number) => {
      for (let i = from; i < to; i += 10) {
        const ns = Array.from({ length: Math.min(10, to - i) }, (_, j) => i + j);
        await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: ns.map((n) => ({ PartitionKey: `p${n}`, Data: Buffer.from(JSON.stringify({ k: n })) })) }));
        await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: ns.map((n) => ({ Id: String(n), MessageBody: JSON.stringify({ s: n }) })) }));
        await dynamo.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: ns.map((n) => ({ PutRequest: { Item: { pk: { S: `d${n}` } } } })) } }));
      }
    };
    const received = () => gateway.fn.received;
    const distinct = () => new Set(received().map(keyOf).filter((k) => k !== undefined)).size;

    await write(0, RECORDS / 2);
    await eventually(async () => distinct() >= RECORDS / 4, 20_000, 'a quarter of the records delivered');
    await gateway.kill();
    const beforeKill = distinct();
    await write(RECORDS / 2, RECORDS);
    await gateway.restart();
    await eventually(async () => distinct() === SOURCES * RECORDS, 25_000, `all ${SOURCES * RECORDS} records delivered (${distinct()} so far)`);
    assert.ok(beforeKill < SOURCES * RECORDS, 'the kill landed mid-stream');

    const keys = Array.from({ length: RECORDS }, (_, n) => [`k${n}`, `s${n}`, `d${n}`]).flat();
    const deliveries = assertOneIdPerKey(received(), keyOf, keys);
    assert.ok(deliveries > SOURCES * RECORDS, 'deliveries in flight at the kill are made again');
    console.log(`crash test: ${beforeKill} of ${SOURCES * RECORDS} records delivered before the kill, ${deliveries - SOURCES * RECORDS} duplicates after the restart`);
  });
});
