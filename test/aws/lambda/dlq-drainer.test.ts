import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SqsEventRecord } from '../../../lib/adapters/queue/sqs/index.js';
import { registryTableNames } from '../../../lib/adapters/registry/dynamodb/index.js';
import { openDynamoStores, type DynamoStores } from '../../../lib/gateway/aws.js';
import type { NewDeliveryItem } from '../../../lib/ports/delivery-queue.js';
import { createHandler, type DlqDrainerHandler } from '../../../functions/dlq-drainer.js';
import { receiveSqsEventRecords } from './events.js';
import { awsClientConfig, requireEnv } from '../helpers.js';

const DYNAMODB_ENDPOINT = requireEnv('EG_TEST_DYNAMODB_ENDPOINT');
const SQS_ENDPOINT = requireEnv('EG_TEST_SQS_ENDPOINT');
const RUN = `eg-ldlq-${randomUUID().slice(0, 8)}`;
const PREFIX = `${RUN}-`;
const BROKEN_PREFIX = `${RUN}-broken-`;
const NOW = 1_760_000_000_000;

const sqs = new SQSClient(awsClientConfig(SQS_ENDPOINT));

describe('the DLQ drainer Lambda handler [lambda-handler]', () => {
  let dlqUrl: string;
  let dlqArn: string;
  let stores: DynamoStores;
  let handler: DlqDrainerHandler;
  const emf: Record<string, unknown>[] = [];
  const handlers: DlqDrainerHandler[] = [];

  const newHandler = (prefix: string) => {
    const created = createHandler({
      env: {
        AWS_LAMBDA_FUNCTION_NAME: 'event-gateway-dlq-drainer',
        EVENT_GATEWAY_DYNAMODB_ENDPOINT: DYNAMODB_ENDPOINT,
        EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX: prefix,
        EVENT_GATEWAY_LOG_LEVEL: 'silent',
      },
      writeMetrics: (line) => emf.push(JSON.parse(line) as Record<string, unknown>),
      now: () => NOW,
    });
    handlers.push(created);
    return created;
  };

  const item = (label: string): NewDeliveryItem => ({
    id: `${label}-${randomUUID()}`,
    space: 'default',
    subscriptionId: 'subscription',
    functionId: 'function',
    eventType: 'user.created',
    event: JSON.stringify({ eventType: 'user.created', eventID: label, data: { label } }),
    system: false,
    acceptedAt: 1_700_000_000_000,
  });

  /** What the delivery queue's redrive policy leaves in the DLQ: the item, with the state of its last retry. */
  async function sendToDlq(body: string, attributes: Record<string, string> = {}): Promise<void> {
    await sqs.send(new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: body,
      MessageAttributes: Object.fromEntries(
        Object.entries(attributes).map(([name, value]) => [name, { DataType: name === 'eg.lastError' ? 'String' : 'Number', StringValue: value }]),
      ),
    }));
  }

  async function receive(count: number): Promise<SqsEventRecord[]> {
    return receiveSqsEventRecords(sqs, dlqUrl, dlqArn, count);
  }

  before(async () => {
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${RUN}-dlq` }))).QueueUrl ?? '';
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
    dlqArn = Attributes?.QueueArn ?? '';
    stores = await openDynamoStores({ dynamodbEndpoint: DYNAMODB_ENDPOINT, tablePrefix: PREFIX });
    handler = newHandler(PREFIX);
  });

  after(async () => {
    for (const created of handlers) await created.close();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
    for (const table of [...Object.values(registryTableNames(PREFIX)), ...Object.values(registryTableNames(BROKEN_PREFIX))]) {
      await stores.client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    }
    await stores.close();
    sqs.destroy();
  });

  it('turns a DLQ record into a dead letter and reports the record that holds no item', async () => {
    const dead = item('dead');
    await sendToDlq(JSON.stringify(dead), {
      'eg.attempts': '2',
      'eg.firstAttemptAt': '1700000001000',
      'eg.lastError': '{"message":"HTTP status code: 503","status":503}',
    });
    await sendToDlq('{"not":"an item"}');
    const records = await receive(2);
    const garbage = records.find((r) => r.body === '{"not":"an item"}');
    assert.ok(garbage);

    const response = await handler({ Records: records });

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: garbage.messageId }] });
    assert.deepEqual(await stores.deadLetters.get('default', dead.id), {
      item: dead,
      attempts: 2,
      firstAttemptAt: 1_700_000_001_000,
      lastAttemptAt: NOW,
      deadAt: NOW,
      lastError: { message: 'exceeded maxReceiveCount' },
    });
    assert.equal(emf.at(-1)!.Service, 'dlq-drainer');
    assert.equal(emf.at(-1)!.DeadLettersMoved, 1);
    assert.equal(emf.at(-1)!.NotDeliveryItems, 1);
  });

  it('reports a record whose dead letter could not be stored', async () => {
    const broken = newHandler(BROKEN_PREFIX);
    // The cold start creates the broken prefix's tables (a local endpoint); then its dead-letter table goes away.
    assert.deepEqual(await broken({ Records: [] }), { batchItemFailures: [] });
    await stores.client.send(new DeleteTableCommand({ TableName: registryTableNames(BROKEN_PREFIX).deadLetters }));
    await sendToDlq(JSON.stringify(item('unstored')));
    const [record] = await receive(1);

    const response = await broken({ Records: [record!] });

    assert.deepEqual(response, { batchItemFailures: [{ itemIdentifier: record!.messageId }] });
    assert.equal(emf.at(-1)!.Failed, 1);
  });
});
