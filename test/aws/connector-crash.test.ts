// Crash test of the local pollers: the real CLI as a child process on its own data dir, a Kinesis and an SQS
// connection created through the connections API, records written while the gateway is SIGKILLed mid-stream and
// started again on the same data dir (a DynamoDB Streams connection alongside). Every record reaches the subscribed
// http function at least once, and a record delivered twice carries the same webhook-id both times. Against
// kinesalite, fauxqs and DynamoDB Local.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createStreamedTable } from '../connectors/helpers.js';
import { startCli, stopCli, type CliGateway } from '../helpers/cli.js';
import { call, http } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { eventually, Sink, type ReceivedRequest } from '../helpers/sink.js';
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
  const dataDir = mkdtempSync(join(tmpdir(), 'eg-crash-'));
  let queueUrl: string;
  let streamArn: string;
  const TableName = `eg-crash-${suffix}`;
  let fn: Sink;
  let gateway: CliGateway | undefined;
  let args: string[];
  let ports: { configPort: number; eventsPort: number };
  let connectorUrl: string;

  const start = async (): Promise<CliGateway> => {
    const child = await startCli(args, ports);
    // The connections API listens a moment after the config API.
    await eventually(async () => (await call(connectorUrl, 'GET', '/v1/status').catch(() => ({ status: 0 }))).status === 200, 10_000, 'the connections API');
    return child;
  };

  before(async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 2 }));
    await eventually(async () => (await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }))).StreamDescription?.StreamStatus === 'ACTIVE', 10_000, 'the stream');
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `eg-crash-${suffix}`, Attributes: { VisibilityTimeout: '2' } }))).QueueUrl!;
    streamArn = await createStreamedTable(dynamo, TableName, 'NEW_IMAGE');
    // A function that answers after 100 ms: the kill lands while deliveries are in flight, whose items are then
    // delivered again after the restart (duplicates, under the same webhook-id).
    fn = await Sink.start();
    fn.respond = (_req, res) => setTimeout(() => res.writeHead(200).end('{}'), 100);
    ports = { configPort: await freePort(), eventsPort: await freePort() };
    const connectorPort = await freePort();
    connectorUrl = `http://127.0.0.1:${connectorPort}`;
    args = ['--data-dir', dataDir, '--connector-port', String(connectorPort)];
    process.env['AWS_ENDPOINT_URL_KINESIS'] = kinesisEndpoint;
    process.env['AWS_ENDPOINT_URL_SQS'] = sqsEndpoint;
    process.env['AWS_ENDPOINT_URL_DYNAMODB_STREAMS'] = dynamoEndpoint;
    gateway = await start();

    const configUrl = gateway.configUrl;
    const post = async (resource: string, body: unknown) => {
      const res = await call(configUrl, 'POST', `/v1/spaces/default/${resource}`, body);
      assert.equal(res.status, 201, `${resource}: ${res.text}`);
    };
    await post('functions', { functionId: 'fn', type: 'http', provider: { url: fn.url } });
    await post('eventtypes', { name: 'record.arrived' });
    await post('subscriptions', { type: 'async', eventType: 'record.arrived', functionId: 'fn' });
    let probeAnswer = '';
    // The router applies config changes from the store's change feed: wait until an event is delivered.
    await eventually(async () => {
      const probe = { eventType: 'record.arrived', eventID: 'probe', cloudEventsVersion: '0.1', source: 'urn:test:probe', contentType: 'application/json', data: {} };
      const res = await http(gateway!.eventsUrl, '/', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(probe) });
      probeAnswer = `${res.status} ${res.text}`;
      return fn.received.length > 0;
    }, 10_000, 'the subscription routed').catch((error: Error) => {
      throw new Error(`${error.message}; the events API answered ${probeAnswer}; the gateway printed: ${gateway?.output()}`);
    });
    for (const [connectionId, type, source] of [
      ['stream', 'awskinesis', { streamName, region: 'us-east-1' }],
      ['queue', 'awssqs', { queueUrl, region: 'us-east-1' }],
      ['table', 'awsdynamodbstreams', { streamArn, region: 'us-east-1' }],
    ] as const) {
      const res = await call(connectorUrl, 'POST', '/v1/spaces/default/connections', { connectionId, eventType: 'record.arrived', type, source });
      assert.equal(res.status, 201, res.text);
    }
  });

  after(async () => {
    if (gateway) await stopCli(gateway.child, 'SIGKILL');
    kinesis.destroy();
    sqs.destroy();
    dynamo.destroy();
    await fn?.close();
    rmSync(dataDir, { recursive: true, force: true });
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
    const distinct = () => new Set(fn.received.map(keyOf).filter((k) => k !== undefined)).size;

    await write(0, RECORDS / 2);
    await eventually(async () => distinct() >= RECORDS / 4, 20_000, 'a quarter of the records delivered');
    await stopCli(gateway!.child, 'SIGKILL');
    const beforeKill = distinct();
    await write(RECORDS / 2, RECORDS);
    gateway = await start();
    await eventually(async () => distinct() === SOURCES * RECORDS, 25_000, `all ${SOURCES * RECORDS} records delivered (${distinct()} so far)`);
    assert.ok(beforeKill < SOURCES * RECORDS, 'the kill landed mid-stream');

    const byKey = new Map<string, Set<string>>();
    const ids = new Map<string, Set<string>>();
    for (const r of fn.received) {
      const key = keyOf(r);
      if (key === undefined) continue;
      (byKey.get(key) ?? byKey.set(key, new Set()).get(key)!).add(String(r.headers['webhook-id']));
      (ids.get(key) ?? ids.set(key, new Set()).get(key)!).add(String((r.json as { eventID?: string }).eventID));
    }
    for (let n = 0; n < RECORDS; n++) {
      for (const key of [`k${n}`, `s${n}`, `d${n}`]) {
        assert.equal(byKey.get(key)?.size, 1, `${key}: one webhook-id over its deliveries (${[...(byKey.get(key) ?? [])]})`);
        assert.equal(ids.get(key)?.size, 1, `${key}: one event id`);
      }
    }
    const deliveries = fn.received.filter((r) => keyOf(r) !== undefined).length;
    assert.ok(deliveries > SOURCES * RECORDS, 'deliveries in flight at the kill are made again');
    console.log(`crash test: ${beforeKill} of ${SOURCES * RECORDS} records delivered before the kill, ${deliveries - SOURCES * RECORDS} duplicates after the restart`);
  });
});
