import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { SqsDeliveryQueue, type SqsEventRecord } from '../../../lib/adapters/queue/sqs/index.js';
import { registryTableNames } from '../../../lib/adapters/registry/dynamodb/index.js';
import { readCounter } from '../../../lib/adapters/registry/dynamodb/change-log.js';
import { ConfigService } from '../../../lib/config-api/index.js';
import { openDynamoStores, type DynamoStores } from '../../../lib/gateway/aws.js';
import type { NewDeliveryItem } from '../../../lib/ports/delivery-queue.js';
import { createHandler, type DeliveryHandler } from '../../../functions/delivery.js';
import { Sink } from '../../helpers/sink.js';
import { receiveSqsEventRecords } from './events.js';
import { awsClientConfig, requireEnv, startStreamRelay } from '../helpers.js';

const DYNAMODB_ENDPOINT = requireEnv('EG_TEST_DYNAMODB_ENDPOINT');
const SQS_ENDPOINT = requireEnv('EG_TEST_SQS_ENDPOINT');
const RUN = `eg-ldel-${randomUUID().slice(0, 8)}`;
const PREFIX = `${RUN}-`;
const BROKEN_PREFIX = `${RUN}-broken-`;

const sqs = new SQSClient(awsClientConfig(SQS_ENDPOINT));

interface EmfDocument {
  Service: string;
  [metric: string]: unknown;
}

describe('the delivery Lambda handler [lambda-handler]', () => {
  let sink: Sink;
  let queueUrl: string;
  let queueArn: string;
  let stores: DynamoStores;
  let config: ConfigService;
  let producer: SqsDeliveryQueue;
  let subscriptionId: string;
  let handler: DeliveryHandler;
  const emf: EmfDocument[] = [];
  const handlers: DeliveryHandler[] = [];

  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    AWS_LAMBDA_FUNCTION_NAME: 'event-gateway-delivery',
    EVENT_GATEWAY_DYNAMODB_ENDPOINT: DYNAMODB_ENDPOINT,
    EVENT_GATEWAY_SQS_ENDPOINT: SQS_ENDPOINT,
    EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX: PREFIX,
    EVENT_GATEWAY_SQS_QUEUE_URL: queueUrl,
    EVENT_GATEWAY_LOG_LEVEL: 'silent',
    ...extra,
  });

  const item = (label: string, overrides: Partial<NewDeliveryItem> = {}): NewDeliveryItem => ({
    id: `${label}-${randomUUID()}`,
    space: 'default',
    subscriptionId,
    functionId: 'sink',
    eventType: 'user.created',
    event: JSON.stringify({
      eventType: 'user.created',
      eventID: label,
      cloudEventsVersion: '0.1',
      source: '/lambda-tests',
      eventTime: '2026-01-01T00:00:00.000Z',
      contentType: 'application/json',
      data: { label },
    }),
    system: false,
    acceptedAt: Date.now(),
    ...overrides,
  });

  /** Receives from fauxqs until `count` messages are in hand, in the shape the event source mapping hands over. */
  async function receiveRecords(count: number): Promise<SqsEventRecord[]> {
    return receiveSqsEventRecords(sqs, queueUrl, queueArn, count);
  }

  async function queueCounts() {
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
    return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
  }

  const newHandler = (extraEnv: NodeJS.ProcessEnv = {}) => {
    const created = createHandler({ env: env(extraEnv), writeMetrics: (line) => emf.push(JSON.parse(line) as EmfDocument) });
    handlers.push(created);
    return created;
  };

  before(async () => {
    sink = await Sink.start();
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${RUN}-queue` }))).QueueUrl ?? '';
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    queueArn = Attributes?.QueueArn ?? '';
    stores = await openDynamoStores({ dynamodbEndpoint: DYNAMODB_ENDPOINT, tablePrefix: PREFIX });
    config = new ConfigService(stores.registry);
    await config.createEventType('default', '{"name":"user.created"}');
    await config.createFunction('default', JSON.stringify({ functionId: 'sink', type: 'http', provider: { url: sink.url } }));
    subscriptionId = (await config.createSubscription('default', '{"type":"async","eventType":"user.created","functionId":"sink"}')).subscriptionId;
    producer = new SqsDeliveryQueue({ client: sqs, queueUrl });
    // Loopback is a private target: the tests open it explicitly, as an operator would with --allow-targets.
    handler = newHandler({ EVENT_GATEWAY_ALLOW_TARGETS: '127.0.0.1/32' });
  });

  after(async () => {
    for (const created of handlers) await created.close();
    await producer.close();
    await sink.close();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    for (const table of [...Object.values(registryTableNames(PREFIX)), ...Object.values(registryTableNames(BROKEN_PREFIX))]) {
      await stores.client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    }
    await stores.close();
    sqs.destroy();
  });

  it('delivers every item of a bundle record to a loopback sink and reports the record that holds no item', async () => {
    const first = item('first');
    const second = item('second');
    // One enqueue call: both items in one message (a bundle).
    await producer.enqueue([first, second]);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'not a delivery item' }));
    const records = await receiveRecords(2);
    const garbage = records.find((r) => r.body === 'not a delivery item');
    assert.ok(garbage);

    const response = await handler({ Records: records });

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: garbage.messageId }] });
    const received = await sink.waitFor(2);
    assert.deepEqual(received.map((r) => (r.json as { eventID: string }).eventID).sort(), ['first', 'second']);
    assert.deepEqual(received.map((r) => r.headers['webhook-id']).sort(), [first.id, second.id].sort());
    // The handler deletes nothing: Lambda deletes the bundle it did not report; the reported one comes back after
    // its timeout.
    assert.deepEqual(await queueCounts(), { visible: 0, inFlight: 2 });
    const last = emf.at(-1)!;
    assert.equal(last.Service, 'delivery');
    assert.equal(last.Records, 2);
    assert.equal(last.Items, 2);
    assert.equal(last.Delivered, 2);
    assert.equal(last.NotDeliveryItems, 1);
    assert.equal(last.Failed, 0);
  });

  it('starts no item when too little of the invocation is left: the items move unchanged into a new message', async () => {
    const late = [item('late-1'), item('late-2')];
    await producer.enqueue(late);
    const [record] = await receiveRecords(1);
    const before = sink.received.length;

    // 1 s left of the invocation, under the 30 s reserve: nothing is started, the record is not reported.
    const response = await handler({ Records: [record!] }, { getRemainingTimeInMillis: () => 1000 });

    assert.deepEqual(response, { batchItemFailures: [] });
    await sleep(100);
    assert.equal(sink.received.length, before, 'nothing delivered');
    assert.equal(emf.at(-1)!.Released, 2);
    // The next invocation, with time to spare, delivers them from their new message, as first attempts.
    const again = await receiveRecords(1);
    assert.notEqual(again[0]!.messageId, record!.messageId);
    assert.deepEqual(await handler({ Records: again }, { getRemainingTimeInMillis: () => 60_000 }), { batchItemFailures: [] });
    const received = await sink.waitFor(before + 2);
    assert.deepEqual(received.slice(before).map((r) => r.headers['webhook-id']).sort(), late.map((i) => i.id).sort());
    assert.equal(emf.at(-1)!.Delivered, 2);
  });

  it('defers a record whose retry is not due yet, and reports it instead of delivering it', async () => {
    const later = item('later');
    await sqs.send(new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(later),
      MessageAttributes: {
        'eg.attempts': { DataType: 'Number', StringValue: '3' },
        'eg.dueAt': { DataType: 'Number', StringValue: String(Date.now() + 3_600_000) },
      },
    }));
    const [record] = await receiveRecords(1);
    const before = sink.received.length;

    const response = await handler({ Records: [record!] });

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: record!.messageId }] });
    await sleep(100);
    assert.equal(sink.received.length, before);
    assert.equal(emf.at(-1)!.Deferred, 1);
  });

  it('reports a record whose delivery throws (its dead letter cannot be stored)', async () => {
    // Another prefix: an empty registry (so the item's function is unknown and it is dead-lettered), whose
    // dead-letter table goes away after the cold start created it.
    const broken = newHandler({ EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX: BROKEN_PREFIX });
    assert.deepEqual(await broken({ Records: [] }), { batchItemFailures: [] });
    await stores.client.send(new DeleteTableCommand({ TableName: registryTableNames(BROKEN_PREFIX).deadLetters }));
    await producer.enqueue([item('unstorable')]);
    const [record] = await receiveRecords(1);
    const leased = await queueCounts();

    const response = await broken({ Records: [record!] });

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: record!.messageId }] });
    assert.equal(emf.at(-1)!.Failed, 1);
    // Not deleted: it comes back after its visibility timeout (or goes to the DLQ by the redrive policy).
    assert.deepEqual(await queueCounts(), leased);
  });

  it('catches up with the change log before delivering to a function created after its cold start', async () => {
    const changes = registryTableNames(PREFIX).changes;
    // Writes the change log as the invalidation Lambda would (the gateway's own relay, same mapping).
    const relay = await startStreamRelay(DYNAMODB_ENDPOINT, PREFIX);
    try {
      // The relay first logs what was written before it started: wait until that is done.
      let start = await readCounter(stores.client, changes);
      for (let settled = 0; settled < 5; ) {
        await sleep(100);
        const now = await readCounter(stores.client, changes);
        settled = now === start ? settled + 1 : 0;
        start = now;
      }
      const lateSink = await Sink.start();
      try {
        await config.createFunction('default', JSON.stringify({ functionId: 'late', type: 'http', provider: { url: lateSink.url } }));
        const late = await config.createSubscription('default', '{"type":"async","eventType":"user.created","functionId":"late"}');
        const deadline = Date.now() + 10_000;
        while ((await readCounter(stores.client, changes)) < start + 2) {
          assert.ok(Date.now() < deadline, 'the change log never logged the new function and subscription');
          await sleep(20);
        }
        await producer.enqueue([item('late', { functionId: 'late', subscriptionId: late.subscriptionId })]);
        const records = await receiveRecords(1);

        // At once: the handler's change feed has not polled yet, so only the catch-up makes the function known.
        const response = await handler({ Records: records });

        assert.deepEqual(response, { batchItemFailures: [] });
        assert.equal(emf.at(-1)!.Delivered, 1);
        assert.equal(emf.at(-1)!.DeadLettered, 0);
        assert.equal(((await lateSink.waitFor(1))[0]!.json as { eventID: string }).eventID, 'late');
      } finally {
        await lateSink.close();
      }
    } finally {
      await relay.stop();
    }
  });

  it('keeps the SSRF guard on: a loopback target is refused without EVENT_GATEWAY_ALLOW_TARGETS', async () => {
    const strict = newHandler();
    await producer.enqueue([item('guarded')]);
    const records = await receiveRecords(1);
    const before = sink.received.length;

    const response = await strict({ Records: records });

    // Refused calls are transport failures: retried later (a delayed copy), not reported as batch failures.
    assert.deepEqual(response, { batchItemFailures: [] });
    assert.equal(emf.at(-1)!.Retried, 1);
    await sleep(100);
    assert.equal(sink.received.length, before);
  });
});
