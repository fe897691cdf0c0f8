import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { DynamoDeadLetterStore, ensureDeadLetterTable } from '../../lib/adapters/dead-letters/dynamodb/index.js';
import { SqsDeliveryQueue, bundleBody, encodeBundleEntry, type SqsEventRecord } from '../../lib/adapters/queue/sqs/index.js';
import { sqsDlqRecordToDeadLetters } from '../../functions/dlq-drainer.js';
import type { DeliveryItem, NewDeliveryItem } from '../../lib/ports/delivery-queue.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const sqs = new SQSClient(awsClientConfig(requireEnv('EG_TEST_SQS_ENDPOINT')));
const dynamodb = new DynamoDBClient(awsClientConfig(requireEnv('EG_TEST_DYNAMODB_ENDPOINT')));
const RUN = `eg-dlq-${randomUUID().slice(0, 8)}`;

function makeItem(label: string, text = 'héllo 🌍'): NewDeliveryItem {
  return {
    id: `${label}-${randomUUID()}`,
    space: 'default',
    subscriptionId: 'subscription',
    functionId: 'function',
    eventType: 'user.created',
    event: JSON.stringify({ label, text }),
    system: false,
    acceptedAt: 1_700_000_000_000,
  };
}

async function queueAttributes(queueUrl: string) {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

/**
 * What the DLQ drainer Lambda's event source mapping hands it: the DLQ's messages as event records, with every
 * message attribute and the system attributes the mapping reads.
 */
async function receiveDlqRecords(queueUrl: string): Promise<SqsEventRecord[]> {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
    QueueUrl: queueUrl,
    MaxNumberOfMessages: 10,
    WaitTimeSeconds: 0,
    MessageAttributeNames: ['All'],
    MessageSystemAttributeNames: ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SentTimestamp'],
  }));
  return Messages.map((message) => ({
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: { ...message.Attributes },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, { dataType: value.DataType ?? 'String', stringValue: value.StringValue }]),
    ),
  }) as SqsEventRecord);
}

describe('dead letters from the SQS DLQ (the mapping of the DLQ drainer Lambda)', () => {
  const tableName = `${RUN}-deadletters`;
  let dlqUrl: string;
  let mainUrl: string;
  let queue: SqsDeliveryQueue;
  let store: DynamoDeadLetterStore;

  before(async () => {
    await ensureDeadLetterTable(dynamodb, tableName);
    store = new DynamoDeadLetterStore({ client: dynamodb, tableName });
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${RUN}-dlq` }))).QueueUrl ?? '';
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
    // fauxqs applies the redrive policy itself: the receive after the first moves the message to the DLQ.
    mainUrl =
      (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: `${RUN}-main`,
            Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 1 }) },
          }),
        )
      ).QueueUrl ?? '';
    queue = new SqsDeliveryQueue({ client: sqs, queueUrl: mainUrl });
  });

  after(async () => {
    await queue.close();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: mainUrl }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl: dlqUrl }));
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  });

  /** Receives (lease 0: the worker "crashes" at once) until `id` arrives. */
  async function receiveCrashing(id: string): Promise<DeliveryItem> {
    const deadline = Date.now() + 5000;
    for (;;) {
      assert.ok(Date.now() < deadline, `${id} never arrived`);
      const found = (await queue.receive(10, { leaseMs: 0, waitMs: 200 })).find((item) => item.id === id);
      if (found) return found;
    }
  }

  /** What the DLQ drainer does with each record: its dead letters stored, then the message deleted. */
  async function drain(now: number): Promise<number> {
    let items = 0;
    for (const record of await receiveDlqRecords(dlqUrl)) {
      const deadLetters = sqsDlqRecordToDeadLetters(record, now);
      for (const deadLetter of deadLetters) await store.put(deadLetter);
      items += deadLetters.length;
      await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: record.receiptHandle }));
    }
    return items;
  }

  /** Receives until the main queue is empty: the redrive policy moves what was received before to the DLQ. */
  async function receiveUntilMoved(): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      assert.ok(Date.now() < deadline, 'the redrive policy moved nothing');
      assert.deepEqual(await queue.receive(10, { leaseMs: 0, waitMs: 100 }), []);
      const { visible, inFlight } = await queueAttributes(mainUrl);
      if (visible + inFlight === 0) return;
    }
  }

  it('[sqs] keeps each item\'s attempts, first attempt and receive time through the redrive policy into its dead letter', async () => {
    const crashed = makeItem('crashed');
    const retried = makeItem('retried');
    const startedAt = Date.now();
    // A settled attempt first: its attempts, firstAttemptAt and lastError travel with the copy into the DLQ.
    await queue.enqueue([retried]);
    const [first] = await queue.receive(10, { leaseMs: 60_000, waitMs: 1000 });
    assert.equal(first?.id, retried.id);
    const firstAttemptAt = Date.now() - 1000;
    first.firstAttemptAt = firstAttemptAt;
    await queue.retry(first, 0, { message: 'HTTP status code: 503', status: 503 });
    await queue.enqueue([crashed]);
    await receiveCrashing(crashed.id);
    await receiveUntilMoved();
    assert.equal((await queueAttributes(dlqUrl)).visible, 2);

    const drainedAt = Date.now();
    assert.equal(await drain(drainedAt), 2);
    assert.deepEqual(await queueAttributes(dlqUrl), { visible: 0, inFlight: 0 });

    const crashedLetter = await store.get('default', crashed.id);
    assert.ok(crashedLetter);
    const { firstAttemptAt: crashedFirst, ...crashedRest } = crashedLetter;
    assert.deepEqual(crashedRest, {
      item: crashed,
      attempts: 0,
      lastAttemptAt: drainedAt,
      deadAt: drainedAt,
      lastError: { message: 'exceeded maxReceiveCount' },
    });
    assert.ok(crashedFirst >= startedAt && crashedFirst <= drainedAt, 'the first receive stands in for the first attempt');
    assert.deepEqual(await store.get('default', retried.id), {
      item: retried,
      attempts: 1,
      firstAttemptAt,
      lastAttemptAt: drainedAt,
      deadAt: drainedAt,
      lastError: { message: 'exceeded maxReceiveCount' },
    });
  });

  it('[sqs] unpacks a bundle in the DLQ into one dead letter per item, each with its own state', async () => {
    const fresh = makeItem('bundled-fresh');
    const tried = makeItem('bundled-tried');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: dlqUrl,
        MessageBody: bundleBody([
          encodeBundleEntry(fresh),
          encodeBundleEntry(tried, { attempts: 2, firstAttemptAt: 1_700_000_000_100, lastError: { message: 'HTTP status code: 502', status: 502 } }),
        ]),
      }),
    );
    const drainedAt = Date.now();
    assert.equal(await drain(drainedAt), 2);
    assert.equal((await store.get('default', fresh.id))?.attempts, 0);
    assert.deepEqual(await store.get('default', tried.id), {
      item: tried,
      attempts: 2,
      firstAttemptAt: 1_700_000_000_100,
      lastAttemptAt: drainedAt,
      deadAt: drainedAt,
      lastError: { message: 'exceeded maxReceiveCount' },
    });
    assert.equal((await queueAttributes(dlqUrl)).visible, 0);
  });

  it('[sqs] turns a Lambda record from the DLQ into a dead letter', () => {
    const item = makeItem('lambda');
    const record: SqsEventRecord = {
      messageId: randomUUID(),
      receiptHandle: 'handle',
      body: JSON.stringify(item),
      attributes: { ApproximateReceiveCount: '4', SentTimestamp: '1700000000500', ApproximateFirstReceiveTimestamp: '1700000000600' },
      messageAttributes: {
        'eg.attempts': { dataType: 'Number', stringValue: '3', stringListValues: [], binaryListValues: [] },
        'eg.firstAttemptAt': { dataType: 'Number', stringValue: '1700000000700', stringListValues: [], binaryListValues: [] },
        'eg.lastError': { dataType: 'String', stringValue: '{"message":"timeout"}', stringListValues: [], binaryListValues: [] },
      },
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:dlq',
      awsRegion: 'us-east-1',
    };
    assert.deepEqual(sqsDlqRecordToDeadLetters(record, 1_700_000_009_000), [{
      item,
      attempts: 3,
      firstAttemptAt: 1_700_000_000_700,
      lastAttemptAt: 1_700_000_009_000,
      deadAt: 1_700_000_009_000,
      lastError: { message: 'exceeded maxReceiveCount' },
    }]);
    const bare = { ...record, messageAttributes: {} };
    assert.equal(sqsDlqRecordToDeadLetters(bare, 1_700_000_009_000)[0]?.firstAttemptAt, 1_700_000_000_600);
    assert.throws(() => sqsDlqRecordToDeadLetters({ ...record, body: '{}' }), /"id" is not a string/);
  });
});
