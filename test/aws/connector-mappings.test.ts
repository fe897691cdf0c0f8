import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { EventSourceMappings, MAPPING_SETTINGS } from '../../lib/connectors/aws/index.js';
import { parseConnection, type Connection } from '../../lib/core/connections/index.js';
import { BadRequestError, ConflictError, InternalError } from '../../lib/core/errors/index.js';
import { createLogger } from '../../lib/observability/logger.js';
import { FakeLambda } from './fakes/lambda.js';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const CONNECTOR = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:eg-connector`;
const STREAM_ARN = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/clicks`;
const TABLE_STREAM = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders/stream/2026-01-01T00:00:00.000`;
const QUEUE_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/jobs`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:jobs`;
const BROKER = `arn:aws:mq:${REGION}:${ACCOUNT}:broker:rabbit:b-0123abcd-4567-89ab-cdef-0123456789ab`;
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rabbit-login-AbCdEf`;

/**
 * The AWS connection runtime against a fake of the Lambda API's event-source-mapping operations (REST-JSON over
 * 127.0.0.1), called through the real SDK client: stands in for a real AWS account, which cannot be reached here.
 */
describe('connections on AWS: event source mappings to the connector Lambda (fake Lambda API, real SDK client)', () => {
  let fake: FakeLambda;
  let client: LambdaClient;
  let stored: Connection[];
  let runtime: EventSourceMappings;

  const connection = (body: Record<string, unknown>, space = 'default'): Connection =>
    parseConnection(JSON.stringify({ eventType: 'record.received', ...body }), { space, newId: () => String(body['connectionId']) });

  /** What the connections API does: store the change, then tell the runtime. */
  async function put(c: Connection): Promise<void> {
    stored = [...stored.filter((s) => !(s.space === c.space && s.connectionId === c.connectionId)), c];
    await runtime.apply(c.space, c.connectionId, c);
  }
  async function remove(space: string, connectionId: string): Promise<void> {
    stored = stored.filter((s) => !(s.space === space && s.connectionId === connectionId));
    await runtime.apply(space, connectionId, undefined);
  }
  const mappings = () => [...fake.mappings.values()];

  before(async () => {
    fake = await FakeLambda.start();
    client = new LambdaClient({ endpoint: fake.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  });
  after(async () => {
    client.destroy();
    await fake.stop();
  });
  beforeEach(() => {
    fake.reset();
    fake.setFunction('eg-connector');
    stored = [];
    runtime = new EventSourceMappings({ client, functionArn: CONNECTOR, connections: async () => stored, logger: createLogger({ level: 'silent' }) });
  });

  it('maps a Kinesis connection to a mapping from its stream, at its starting position, with partial failures, bisect and endless retries', async () => {
    await put(connection({ connectionId: 'clicks', type: 'awskinesis', source: { streamName: 'clicks', region: REGION } }));
    const create = fake.mappingCalls.find((c) => c.operation === 'CreateEventSourceMapping');
    assert.deepEqual(create?.body, {
      FunctionName: CONNECTOR,
      EventSourceArn: STREAM_ARN,
      Enabled: true,
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 0,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: -1,
    });
    assert.equal(create?.signer?.service, 'lambda');
    assert.deepEqual(mappings().map((m) => [m.EventSourceArn, m.FunctionArn, m.State]), [[STREAM_ARN, CONNECTOR, 'Enabled']]);
  });

  it("maps a DynamoDB stream at LATEST, an SQS queue by the ARN of its URL, and an Amazon MQ queue with the broker's secret and virtual host", async () => {
    await put(connection({ connectionId: 'orders', type: 'awsdynamodbstreams', source: { streamArn: TABLE_STREAM, region: REGION, startingPosition: 'LATEST' } }));
    await put(connection({ connectionId: 'jobs', type: 'awssqs', source: { queueUrl: QUEUE_URL, region: REGION } }));
    await put(
      connection({
        connectionId: 'rabbit',
        type: 'amqp',
        source: { url: 'amqps://eg:secret@b-0123abcd-4567-89ab-cdef-0123456789ab.mq.eu-west-1.amazonaws.com:5671/shop', queueName: 'orders', brokerArn: BROKER, secretArn: SECRET },
      }),
    );
    const byArn = new Map(mappings().map((m) => [m.EventSourceArn, m]));
    assert.equal(byArn.get(TABLE_STREAM)?.StartingPosition, 'LATEST');
    assert.equal(byArn.get(TABLE_STREAM)?.BisectBatchOnFunctionError, true);
    const sqs = byArn.get(QUEUE_ARN);
    assert.equal(sqs?.StartingPosition, undefined);
    assert.deepEqual(sqs?.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.equal(sqs?.BatchSize, MAPPING_SETTINGS.sqs.BatchSize);
    const mq = byArn.get(BROKER);
    assert.deepEqual(mq?.Queues, ['orders']);
    assert.deepEqual(mq?.SourceAccessConfigurations, [
      { Type: 'BASIC_AUTH', URI: SECRET },
      { Type: 'VIRTUAL_HOST', URI: 'shop' },
    ]);
    assert.equal(mq?.FunctionResponseTypes, undefined);
    assert.equal(mappings().length, 3);
  });

  it('shares one mapping among the connections of one source, and deletes it with the last of them', async () => {
    await put(connection({ connectionId: 'a', type: 'awskinesis', source: { streamName: 'clicks', region: REGION } }));
    await put(connection({ connectionId: 'b', type: 'awskinesis', source: { streamName: 'clicks', region: REGION } }, 'other'));
    assert.equal(mappings().length, 1);
    assert.equal(fake.mappingCalls.filter((c) => c.operation === 'CreateEventSourceMapping').length, 1);
    await remove('default', 'a');
    assert.equal(mappings().length, 1, 'the other space still reads the stream');
    await remove('other', 'b');
    assert.deepEqual(mappings(), []);
    assert.equal(fake.mappingCalls.filter((c) => c.operation === 'DeleteEventSourceMapping').length, 1);
  });

  it('moves the mapping when an update points the connection at another source, and leaves other functions\' mappings alone', async () => {
    fake.setFunction('someone-else');
    const foreign = await runtime.list(); // nothing of ours yet
    assert.deepEqual(foreign, []);
    await client.send(
      new (await import('@aws-sdk/client-lambda')).CreateEventSourceMappingCommand({ FunctionName: 'someone-else', EventSourceArn: QUEUE_ARN }),
    );
    await put(connection({ connectionId: 'c', type: 'awssqs', source: { queueUrl: QUEUE_URL, region: REGION } }));
    await put(connection({ connectionId: 'c', type: 'awskinesis', source: { streamName: 'clicks', region: REGION } }));
    const ours = mappings().filter((m) => m.FunctionArn === CONNECTOR);
    assert.deepEqual(ours.map((m) => m.EventSourceArn), [STREAM_ARN]);
    assert.equal(mappings().filter((m) => m.FunctionArn !== CONNECTOR).length, 1, "the other function's mapping of the queue stays");
  });

  it('puts back settings that drifted and enables a disabled mapping, and reads every page of the listing', async () => {
    fake.pageSize = 1;
    await put(connection({ connectionId: 'a', type: 'awskinesis', source: { streamName: 'clicks', region: REGION } }));
    await put(connection({ connectionId: 'b', type: 'awssqs', source: { queueUrl: QUEUE_URL, region: REGION } }));
    const kinesis = mappings().find((m) => m.EventSourceArn === STREAM_ARN)!;
    kinesis.BatchSize = 7;
    kinesis.State = 'Disabled';
    await runtime.sync(stored);
    const update = fake.mappingCalls.find((c) => c.operation === 'UpdateEventSourceMapping');
    assert.equal(update?.uuid, kinesis.UUID);
    assert.deepEqual(update?.body, { FunctionName: CONNECTOR, BatchSize: 100, Enabled: true });
    assert.equal(fake.mappings.get(kinesis.UUID)?.State, 'Enabled');
    assert.equal(mappings().length, 2, 'no duplicate made for a mapping on a later page');
    assert.ok(fake.mappingCalls.some((c) => c.operation === 'ListEventSourceMappings' && c.query?.['Marker'] === '1'));
  });

  it('refuses, before anything is stored, a source with access keys (a mapping cannot use them) and an amqp source without its broker', () => {
    const withKeys = connection({ connectionId: 'k', type: 'awskinesis', source: { streamName: 'clicks', region: REGION, awsAccessKeyId: 'AKIA', awsSecretAccessKey: 's' } });
    assert.throws(() => runtime.check(withKeys), (error: unknown) => {
      assert.ok(error instanceof BadRequestError);
      assert.match(error.message, /"source.awsAccessKeyId", "source.awsSecretAccessKey" cannot be used on AWS: .*event source mapping.*role/);
      return true;
    });
    const amqp = connection({ connectionId: 'q', type: 'amqp', source: { url: 'amqp://localhost/', queueName: 'q' } });
    assert.throws(() => runtime.check(amqp), /"source.brokerArn" must name the Amazon MQ for RabbitMQ broker.*"source.secretArn"/);
    const badQueue = connection({ connectionId: 'u', type: 'awssqs', source: { queueUrl: 'http://localhost:9324/queue/jobs', region: REGION } });
    assert.throws(() => runtime.check(badQueue), /"source.queueUrl" must be an SQS queue URL/);
    assert.equal(fake.mappingCalls.length, 0);
  });

  it("answers Lambda's refusal of the changed connection's source as a 400 in its own words, and a source still being deleted as a 409", async () => {
    fake.eventSources = new Set([QUEUE_ARN]);
    await assert.rejects(
      put(connection({ connectionId: 'gone', type: 'awskinesis', source: { streamName: 'clicks', region: REGION } })),
      (error: unknown) => error instanceof BadRequestError && error.message.includes(`Source not found: ${STREAM_ARN}`),
    );
    // Another connection's failing source does not fail this change: it is logged, and retried by the next one.
    await put(connection({ connectionId: 'jobs', type: 'awssqs', source: { queueUrl: QUEUE_URL, region: REGION } }));
    assert.deepEqual(mappings().map((m) => m.EventSourceArn), [QUEUE_ARN]);

    fake.deletingMs = 60_000;
    await remove('default', 'jobs');
    assert.deepEqual(mappings().map((m) => m.State), ['Deleting']);
    await assert.rejects(
      put(connection({ connectionId: 'jobs', type: 'awssqs', source: { queueUrl: QUEUE_URL, region: REGION } })),
      (error: unknown) => error instanceof ConflictError && /still being deleted; try again in a minute/.test(error.message),
    );
  });

  it('answers a missing connector function as a 500 naming it (an operator\'s problem, not the request\'s)', async () => {
    fake.deleteFunction('eg-connector');
    await assert.rejects(
      put(connection({ connectionId: 'x', type: 'awskinesis', source: { streamName: 'clicks', region: REGION } })),
      (error: unknown) => error instanceof InternalError && error.message.includes('ResourceNotFoundException: Function not found'),
    );
  });
});
