import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, PurgeQueueCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { registryTableNames } from '../../../lib/adapters/registry/dynamodb/index.js';
import { ConfigService } from '../../../lib/config-api/index.js';
import { CONNECTOR_METRICS } from '../../../lib/connectors/aws/index.js';
import { connectionItemId, parseConnection, type Connection } from '../../../lib/core/connections/index.js';
import { openDynamoStores, type DynamoStores } from '../../../lib/gateway/aws.js';
import { createHandler as createDelivery, type DeliveryHandler } from '../../../functions/delivery.js';
import { createHandler as createConnector, type ConnectorHandler } from '../../../functions/connector.js';
import { Sink } from '../../helpers/sink.js';
import { receiveSqsEventRecords } from './events.js';
import { awsClientConfig, requireEnv } from '../helpers.js';

const DYNAMODB_ENDPOINT = requireEnv('EG_TEST_DYNAMODB_ENDPOINT');
const SQS_ENDPOINT = requireEnv('EG_TEST_SQS_ENDPOINT');
const RUN = `eg-lcon-${randomUUID().slice(0, 8)}`;
const PREFIX = `${RUN}-`;
const ACCOUNT = '123456789012';
const STREAM_ARN = `arn:aws:kinesis:us-east-2:${ACCOUNT}:stream/lambda-stream`;
const TABLE_STREAM_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/ExampleTableWithStream/stream/2015-06-27T00:48:05.899`;
const BROKER_ARN = `arn:aws:mq:us-west-2:${ACCOUNT}:broker:pizzaBroker:b-9bcfa592-423a-4942-879d-eb284b418fc8`;
const SECRET_ARN = `arn:aws:secretsmanager:us-west-2:${ACCOUNT}:secret:pizza-AbCdEf`;

const sqs = new SQSClient(awsClientConfig(SQS_ENDPOINT));
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');

/** Kinesis records as a mapping hands them over (the shape of Lambda's documented example). */
function kinesisEvent(records: Array<{ sequence: string; data: unknown }>, streamArn = STREAM_ARN) {
  return {
    Records: records.map(({ sequence, data }) => ({
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: '1', sequenceNumber: sequence, data: b64(data), approximateArrivalTimestamp: 1545084650.987 },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000006:${sequence}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/lambda-role`,
      awsRegion: 'us-east-2',
      eventSourceARN: streamArn,
    })),
  };
}

const DYNAMODB_EVENT = {
  Records: [
    {
      eventID: 'c4ca4238a0b923820dcc509a6f75849b',
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        Keys: { Id: { N: '101' } },
        NewImage: { Message: { S: 'New item!' }, Id: { N: '101' } },
        ApproximateCreationDateTime: 1428537600,
        SequenceNumber: '4421584500000000017450439091',
        SizeBytes: 26,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: TABLE_STREAM_ARN,
    },
  ],
};

const RABBITMQ_EVENT = {
  eventSource: 'aws:rmq',
  eventSourceArn: BROKER_ARN,
  rmqMessagesByQueue: {
    'pizzaQueue::/': [
      {
        basicProperties: {
          contentType: 'text/plain',
          contentEncoding: null,
          headers: { 'header1': { bytes: [118, 97, 108, 117, 101, 49] } },
          deliveryMode: 1,
          priority: 34,
          correlationId: null,
          replyTo: null,
          expiration: '60000',
          messageId: 'pizza-1',
          timestamp: 'Jan 1, 1970, 12:33:41 AM',
          type: null,
          userId: 'AIDACKCEVSQ6C2EXAMPLE',
          appId: null,
          clusterId: null,
          bodySize: 80,
        },
        redelivered: false,
        data: b64({ timeout: 0, data: 'CZrmf0Gw8Ov4bqLQxD4E' }),
      },
    ],
  },
};

interface EmfDocument {
  Service: string;
  [metric: string]: unknown;
}

/**
 * The connector Lambda handler fed batches shaped as Lambda's event source mappings send them, on DynamoDB Local
 * and the SQS server: the events it makes travel the async path (the fan-out queue on fauxqs, then the delivery
 * handler) to an http function on 127.0.0.1. The mappings themselves (a real AWS account) are stood in for by the
 * literal batches.
 */
describe('the connector Lambda handler [lambda-handler]', () => {
  let sink: Sink;
  let target: Sink;
  let fanoutUrl: string;
  let fanoutArn: string;
  let sourceQueueUrl: string;
  let sourceQueueArn: string;
  let connectionQueueUrl: string;
  let stores: DynamoStores;
  let connections: Connection[];
  let connector: ConnectorHandler;
  let delivery: DeliveryHandler;
  let subscriptionId: string;
  const emf: EmfDocument[] = [];

  const env: () => NodeJS.ProcessEnv = () => ({
    AWS_LAMBDA_FUNCTION_NAME: 'event-gateway-connector',
    EVENT_GATEWAY_DYNAMODB_ENDPOINT: DYNAMODB_ENDPOINT,
    EVENT_GATEWAY_SQS_ENDPOINT: SQS_ENDPOINT,
    EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX: PREFIX,
    EVENT_GATEWAY_SQS_QUEUE_URL: fanoutUrl,
    EVENT_GATEWAY_LOG_LEVEL: 'silent',
    EVENT_GATEWAY_ALLOW_TARGETS: '127.0.0.1/32',
    EVENT_GATEWAY_EVENTS_URL: 'https://events.example.com/',
  });

  const connection = (body: Record<string, unknown>): Connection =>
    parseConnection(JSON.stringify({ eventType: 'record.received', ...body }), { space: 'default', newId: () => String(body['connectionId']) });

  /**
   * Takes what the connector enqueued off the fan-out queue and hands it to the delivery handler, until the sink
   * received `count` more deliveries (a message is a bundle of one or more items).
   */
  async function deliverQueued(count: number): Promise<void> {
    const wanted = sink.received.length + count;
    while (sink.received.length < wanted) {
      const records = await receiveSqsEventRecords(sqs, fanoutUrl, fanoutArn, 1);
      assert.deepEqual(await delivery({ Records: records }, { getRemainingTimeInMillis: () => 60_000 }), { batchItemFailures: [] });
    }
    assert.equal(sink.received.length, wanted);
  }

  async function queued(): Promise<number> {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: fanoutUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(Attributes.ApproximateNumberOfMessages);
  }

  before(async () => {
    sink = await Sink.start();
    target = await Sink.start();
    fanoutUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${RUN}-fanout` }))).QueueUrl ?? '';
    fanoutArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: fanoutUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
    sourceQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${RUN}-source` }))).QueueUrl ?? '';
    sourceQueueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: sourceQueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
    stores = await openDynamoStores({ dynamodbEndpoint: DYNAMODB_ENDPOINT, tablePrefix: PREFIX });
    const config = new ConfigService(stores.registry);
    await config.createEventType('default', '{"name":"record.received"}');
    await config.createFunction('default', JSON.stringify({ functionId: 'sink', type: 'http', provider: { url: sink.url } }));
    subscriptionId = (await config.createSubscription('default', '{"type":"async","eventType":"record.received","functionId":"sink"}')).subscriptionId;
    // The source queue's URL as a connection names it on AWS: the queue's account and name under SQS's regional host.
    // (The SQS server answers with `http://sqs.<region>.127.0.0.1:<port>/…`, a host WHATWG URLs refuse, so the path is cut by hand.)
    const [queueAccount, queueName] = sourceQueueUrl.replace(/^https?:\/\/[^/]+\//, '').split('/');
    assert.equal(sourceQueueArn, `arn:aws:sqs:us-east-1:${queueAccount}:${queueName}`);
    connectionQueueUrl = `https://sqs.us-east-1.amazonaws.com/${queueAccount}/${queueName}`;
    connections = [
      connection({ connectionId: 'clicks', type: 'awskinesis', source: { streamName: 'lambda-stream', region: 'us-east-2' } }),
      connection({ connectionId: 'items', type: 'awsdynamodbstreams', source: { streamArn: TABLE_STREAM_ARN, region: 'us-east-1' } }),
      connection({ connectionId: 'jobs', type: 'awssqs', source: { queueUrl: connectionQueueUrl, region: 'us-east-1' } }),
      connection({
        connectionId: 'pizza',
        type: 'amqp',
        source: { url: 'amqps://pizza:secret@b-9bcfa592-423a-4942-879d-eb284b418fc8.mq.us-west-2.amazonaws.com:5671', queueName: 'pizzaQueue', brokerArn: BROKER_ARN, secretArn: SECRET_ARN },
      }),
    ];
    connector = createConnector({ env: env(), connections: async () => connections, writeMetrics: (line) => emf.push(JSON.parse(line) as EmfDocument), catchUpTimeoutMs: 200 });
    delivery = createDelivery({ env: env(), writeMetrics: () => {}, catchUpTimeoutMs: 200 });
  });

  beforeEach(async () => {
    sink.reset();
    target.reset();
    emf.length = 0;
  });

  after(async () => {
    await connector.close();
    await delivery.close();
    await sink.close();
    await target.close();
    for (const url of [fanoutUrl, sourceQueueUrl]) await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    for (const table of Object.values(registryTableNames(PREFIX))) await stores.client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    await stores.close();
    sqs.destroy();
  });

  it('turns a Kinesis batch into events of the connection, ids from the shard and sequence number, delivered through the fan-out queue', async () => {
    const batch = kinesisEvent([
      { sequence: '49590338271490256608559692538361571095921575989136588898', data: { order: 1 } },
      { sequence: '49590338271490256608559692538361571095921575989136588899', data: 'plain text' },
    ]);
    assert.deepEqual(await connector(batch, { getRemainingTimeInMillis: () => 30_000 }), { batchItemFailures: [] });
    await deliverQueued(2);
    const events = sink.events<Record<string, unknown>>().sort((a, b) => String(a['eventID']).localeCompare(String(b['eventID'])));
    assert.deepEqual(events[0], {
      eventType: 'record.received',
      cloudEventsVersion: '0.1',
      source: STREAM_ARN,
      eventID: 'shardId-000000000006:49590338271490256608559692538361571095921575989136588898',
      eventTime: new Date(1545084650987).toISOString(),
      contentType: 'application/json',
      data: { order: 1 },
    });
    assert.equal(events[1]!['contentType'], 'text/plain');
    assert.equal(events[1]!['data'], 'plain text');
    const ids = sink.received.map((r) => r.headers['webhook-id']).sort();
    const expected = batch.Records.map((r) => connectionItemId('default', 'clicks', r.eventID, subscriptionId)).sort();
    assert.deepEqual(ids, expected);

    // The mapping retries the batch (a later record failed): the same records are enqueued under the same ids.
    sink.reset();
    await connector(batch);
    await deliverQueued(2);
    assert.deepEqual(sink.received.map((r) => r.headers['webhook-id']).sort(), expected);
    const metrics = emf.find((d) => d.Service === 'connector');
    assert.equal(metrics?.[CONNECTOR_METRICS.processed], 2);
  });

  it('turns a DynamoDB Streams record into an event whose data is the stream record, id from the record', async () => {
    assert.deepEqual(await connector(DYNAMODB_EVENT), { batchItemFailures: [] });
    await deliverQueued(1);
    const [event] = sink.events<Record<string, unknown>>();
    assert.equal(event!['eventID'], 'c4ca4238a0b923820dcc509a6f75849b');
    assert.equal(event!['source'], TABLE_STREAM_ARN);
    assert.equal(event!['eventTime'], '2015-04-09T00:00:00.000Z');
    assert.deepEqual(event!['data'], DYNAMODB_EVENT.Records[0]);
  });

  it('turns SQS messages received from the SQS server into events whose source is the queue URL the connection names, id the message id', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: sourceQueueUrl, MessageBody: 'Test message.' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: sourceQueueUrl, MessageBody: '{"job":7}' }));
    const records = await receiveSqsEventRecords(sqs, sourceQueueUrl, sourceQueueArn, 2);
    assert.deepEqual(await connector({ Records: records }), { batchItemFailures: [] });
    await deliverQueued(2);
    const events = sink.events<Record<string, unknown>>();
    assert.deepEqual(events.map((e) => e['eventID']).sort(), records.map((r) => r.messageId).sort());
    assert.ok(events.every((e) => e['source'] === connectionQueueUrl));
    assert.deepEqual(events.map((e) => e['data']).sort((a, b) => String(typeof a).localeCompare(String(typeof b))), [{ job: 7 }, 'Test message.']);
  });

  it('turns an Amazon MQ (RabbitMQ) batch into events with the message id, its source the broker URL without credentials', async () => {
    assert.deepEqual(await connector(RABBITMQ_EVENT), { batchItemFailures: [] });
    await deliverQueued(1);
    const [event] = sink.events<Record<string, unknown>>();
    assert.equal(event!['eventID'], 'pizza-1');
    assert.equal(event!['source'], 'amqps://b-9bcfa592-423a-4942-879d-eb284b418fc8.mq.us-west-2.amazonaws.com:5671/%2F/pizzaQueue');
    assert.deepEqual(event!['data'], { timeout: 0, data: 'CZrmf0Gw8Ov4bqLQxD4E' });
  });

  it('reports the first stream record not taken in, each SQS message not taken in, and fails an MQ batch as a whole', async () => {
    // A connection with its own target: the records go there over HTTP, and that target is down (503).
    const saved = connections;
    target.reply = { status: 503, body: '{"errors":[{"message":"busy"}]}' };
    connections = saved.map((c) => ({ ...c, target: `${target.url}/` }) as Connection);
    const fresh = createConnector({ env: env(), connections: async () => connections, writeMetrics: (line) => emf.push(JSON.parse(line) as EmfDocument), catchUpTimeoutMs: 200 });
    try {
      const batch = kinesisEvent([
        { sequence: '100', data: { n: 1 } },
        { sequence: '101', data: { n: 2 } },
      ]);
      assert.deepEqual(await fresh(batch), { batchItemFailures: [{ itemIdentifier: '100' }] });
      await sqs.send(new SendMessageCommand({ QueueUrl: sourceQueueUrl, MessageBody: 'retry me' }));
      const records = await receiveSqsEventRecords(sqs, sourceQueueUrl, sourceQueueArn, 1);
      assert.deepEqual(await fresh({ Records: records }), { batchItemFailures: [{ itemIdentifier: records[0]!.messageId }] });
      await assert.rejects(fresh(RABBITMQ_EVENT), /1 of 1 messages not taken into the gateway/);
      assert.ok(target.received.length >= 4);
      assert.equal(await queued(), 0, 'nothing went into the fan-out queue');

      // The target comes back: the retried batch goes through, to the target, in structured mode.
      target.reply = { status: 202 };
      assert.deepEqual(await fresh(batch), { batchItemFailures: [] });
      const last = target.received.at(-1)!;
      assert.equal(last.headers['content-type'], 'application/cloudevents+json');
      assert.equal((last.json as { type?: string; eventType?: string }).eventType, 'record.received');
    } finally {
      connections = saved;
      await fresh.close();
    }
  });

  it('keeps a record its target refuses for good (400) as a dead letter of the connection, without failing the batch', async () => {
    const saved = connections;
    target.reply = { status: 400, body: '{"errors":[{"message":"no such event type"}]}' };
    connections = saved.map((c) => (c.connectionId === 'clicks' ? ({ ...c, target: `${target.url}/` } as Connection) : c));
    const fresh = createConnector({ env: env(), connections: async () => connections, writeMetrics: (line) => emf.push(JSON.parse(line) as EmfDocument), catchUpTimeoutMs: 200 });
    try {
      const batch = kinesisEvent([{ sequence: '200', data: { refused: true } }]);
      assert.deepEqual(await fresh(batch), { batchItemFailures: [] });
      const { records } = await stores.deadLetters.list('default', {}, { limit: 10 });
      const dead = records.find((r) => r.item.id === connectionItemId('default', 'clicks', 'shardId-000000000006:200', ''));
      assert.ok(dead, 'a dead letter of the record');
      assert.equal(dead.lastError.status, 400);
      assert.match(dead.lastError.message, /^connection clicks: no such event type$/);
      assert.equal((JSON.parse(dead.item.event) as { eventID: string }).eventID, 'shardId-000000000006:200');
      assert.equal(emf.at(-1)?.[CONNECTOR_METRICS.deadLetters], 1);
    } finally {
      connections = saved;
      await fresh.close();
    }
  });

  it('drops, and counts, records of a source no connection reads any more; emits in-process to a target on its own events URL', async () => {
    assert.deepEqual(await connector(kinesisEvent([{ sequence: '300', data: {} }], `arn:aws:kinesis:us-east-2:${ACCOUNT}:stream/forgotten`)), { batchItemFailures: [] });
    assert.equal(emf.at(-1)?.[CONNECTOR_METRICS.orphaned], 1);
    assert.equal(await queued(), 0);

    const saved = connections;
    connections = saved.map((c) => (c.connectionId === 'clicks' ? ({ ...c, target: 'https://events.example.com/' } as Connection) : c));
    const fresh = createConnector({ env: env(), connections: async () => connections, writeMetrics: () => {}, catchUpTimeoutMs: 200 });
    try {
      assert.deepEqual(await fresh(kinesisEvent([{ sequence: '301', data: { here: true } }])), { batchItemFailures: [] });
      await deliverQueued(1);
      assert.deepEqual(sink.events<{ data: unknown }>().map((e) => e.data), [{ here: true }]);
    } finally {
      connections = saved;
      await fresh.close();
    }
  });

  it('refuses an event no mapping of the gateway sends with a TypeError', async () => {
    await assert.rejects(connector({ hello: 'world' }), TypeError);
    await sqs.send(new PurgeQueueCommand({ QueueUrl: sourceQueueUrl })).catch(() => undefined);
  });
});
