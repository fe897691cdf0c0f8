import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDeadLetterStore, ensureDeadLetterTable } from '../../lib/adapters/dead-letters/dynamodb/index.js';
import { SqsDeliveryQueue } from '../../lib/adapters/queue/sqs/index.js';
import { SqliteRegistry } from '../../lib/adapters/registry/sqlite/index.js';
import { openDatabase, type SqliteDatabase } from '../../lib/adapters/sqlite/index.js';
import { ConfigService, DeadLetterService } from '../../lib/config-api/index.js';
import { DeliveryWorkers } from '../../lib/delivery/worker.js';
import { HookRunner, loadHooks } from '../../lib/hooks/index.js';
import { HttpInvoker } from '../../lib/invokers/index.js';
import { createLogger } from '../../lib/observability/index.js';
import { GatewayMetrics } from '../../lib/observability/metrics.js';
import type { NewDeliveryItem } from '../../lib/ports/delivery-queue.js';
import { InvokerRegistry, LiveRoutingTable, SystemEvents } from '../../lib/dispatch/index.js';
import { Sink, eventually } from '../helpers/sink.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const sqs = new SQSClient(awsClientConfig(requireEnv('EG_TEST_SQS_ENDPOINT')));
const dynamodb = new DynamoDBClient(awsClientConfig(requireEnv('EG_TEST_DYNAMODB_ENDPOINT')));
const RUN = `eg-roundtrip-${randomUUID().slice(0, 8)}`;

describe('dead letters on AWS: exhaust → list → get → redrive → delivered', () => {
  const tableName = `${RUN}-deadletters`;
  let queueUrl: string;
  let db: SqliteDatabase;
  let routing: LiveRoutingTable;
  let queue: SqsDeliveryQueue;
  let store: DynamoDeadLetterStore;
  let workers: DeliveryWorkers;
  let sink: Sink;
  let config: ConfigService;
  let healthy = false;

  before(async () => {
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${RUN}-queue` }))).QueueUrl ?? '';
    await ensureDeadLetterTable(dynamodb, tableName);
    sink = await Sink.start(() => (healthy ? { status: 200, body: '{}' } : { status: 503, body: 'down' }));
    db = openDatabase({ filename: ':memory:' });
    const registry = new SqliteRegistry(db);
    config = new ConfigService(registry);
    await config.createEventType('default', JSON.stringify({ name: 'order.placed' }));
    await config.createFunction('default', JSON.stringify({ functionId: 'target', type: 'http', provider: { url: sink.url } }));
    const logger = createLogger({ level: 'silent' });
    routing = await LiveRoutingTable.start(registry, logger);
    queue = new SqsDeliveryQueue({ client: sqs, queueUrl });
    store = new DynamoDeadLetterStore({ client: dynamodb, tableName });
    const metrics = new GatewayMetrics();
    const systemEvents = new SystemEvents({ queue, hooks: new HookRunner(await loadHooks([]), logger), metrics, logger, version: '0.1' });
    workers = new DeliveryWorkers({
      queue,
      routing,
      invokers: new InvokerRegistry([new HttpInvoker()]),
      systemEvents,
      metrics,
      logger,
      deadLetters: store,
      leaseMs: 30_000,
    });
  });

  after(async () => {
    await workers.stop();
    await queue.close();
    await store.close();
    routing.close();
    db.close();
    await sink.close();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  });

  it('[sqs] [dynamodb] dead-letters an exhausted item, lists and gets it, and redrives it to delivery', async () => {
    const subscription = await config.createSubscription(
      'default',
      JSON.stringify({
        type: 'async',
        eventType: 'order.placed',
        functionId: 'target',
        path: '/',
        retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      }),
    );
    await eventually(() => routing.current.subscription('default', subscription.subscriptionId) !== undefined, 5000, 'routed');
    workers.start();

    const item: NewDeliveryItem = {
      id: `order-${randomUUID()}`,
      space: 'default',
      subscriptionId: subscription.subscriptionId,
      functionId: 'target',
      eventType: 'order.placed',
      event: JSON.stringify({ eventType: 'order.placed', eventID: 'e1', cloudEventsVersion: '0.1', source: '/test', data: { total: 42 } }),
      system: false,
      acceptedAt: Date.now(),
    };
    await queue.enqueue([item]);

    // Exhaust: two attempts (the second after an SQS-delayed retry copy), then the DynamoDB dead-letter table.
    const service = new DeadLetterService(store, queue);
    let listed: Awaited<ReturnType<DeadLetterService['list']>> = { deadLetters: [] };
    await eventually(async () => {
      listed = await service.list('default', new URLSearchParams({ subscriptionId: subscription.subscriptionId }));
      return listed.deadLetters.length === 1;
    }, 10_000, 'dead-lettered');
    assert.equal(sink.received.length, 2);
    const [dead] = listed.deadLetters;
    assert.ok(dead);
    assert.equal(dead.deadLetterId, item.id);
    assert.equal(dead.attempts, 2);
    assert.deepEqual(dead.lastError, { message: 'HTTP status code: 503', status: 503 });
    assert.deepEqual(dead.event, JSON.parse(item.event));
    assert.deepEqual(await service.get('default', item.id), dead);
    const record = await store.get('default', item.id);
    assert.deepEqual(record?.item, item);
    assert.equal(await queue.pending(), 0, 'the dead-lettered item left the queue');

    // Redrive: re-enqueued into SQS with a fresh attempt count, removed from the table, delivered.
    healthy = true;
    await service.redriveOne('default', item.id);
    await sink.waitFor(3, 10_000);
    assert.equal(await store.get('default', item.id), undefined);
    const webhookIds = sink.received.map((request) => request.headers['webhook-id']);
    assert.deepEqual(webhookIds, [item.id, item.id, item.id], 'the same webhook-id on every attempt and after the redrive');
    await eventually(async () => (await queue.pending()) === 0, 5000, 'the delivered item acked');
  });
});
