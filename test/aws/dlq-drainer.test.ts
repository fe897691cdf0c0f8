import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { SqsDeliveryQueue, bundleBody, encodeBundleEntry, type SqsEventRecord } from '../../lib/adapters/queue/sqs/index.js';
import { messageToRecord } from '../../lib/adapters/queue/sqs/message.js';
import { sqsDlqRecordToDeadLetters } from '../../lib/delivery/dlq-drainer.js';
import type { DeliveryItem, NewDeliveryItem } from '../../lib/ports/delivery-queue.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const sqs = new SQSClient(awsClientConfig(requireEnv('EG_TEST_SQS_ENDPOINT')));
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

describe('dead letters from the SQS DLQ', () => {
  let dlqUrl: string;
  let mainUrl: string;
  let queue: SqsDeliveryQueue;

  before(async () => {
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
  });

  /** Every message in the DLQ, as the records the DLQ drainer Lambda is handed (SDK receives until one is empty). */
  async function receiveDlq(): Promise<SqsEventRecord[]> {
    const records: SqsEventRecord[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 30,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SentTimestamp'],
        }),
      );
      if (Messages.length === 0) return records;
      records.push(...Messages.map(messageToRecord));
    }
  }

  /** The dead letters of every message in the DLQ, by item id. */
  async function deadLettersInDlq(now: number) {
    return new Map((await receiveDlq()).flatMap((record) => sqsDlqRecordToDeadLetters(record, now)).map((letter) => [letter.item.id, letter]));
  }

  /** Receives (lease 0: the worker "crashes" at once) until `id` arrives. */
  async function receiveCrashing(id: string): Promise<DeliveryItem> {
    const deadline = Date.now() + 5000;
    for (;;) {
      assert.ok(Date.now() < deadline, `${id} never arrived`);
      const found = (await queue.receive(10, { leaseMs: 0, waitMs: 200 })).find((item) => item.id === id);
      if (found) return found;
    }
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

  it('[sqs] what the redrive policy put in the DLQ becomes dead letters carrying the state of the last retry', async () => {
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
    const letters = await deadLettersInDlq(drainedAt);
    assert.equal(letters.size, 2);

    const crashedLetter = letters.get(crashed.id);
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
    assert.deepEqual(letters.get(retried.id), {
      item: retried,
      attempts: 1,
      firstAttemptAt,
      lastAttemptAt: drainedAt,
      deadAt: drainedAt,
      lastError: { message: 'exceeded maxReceiveCount' },
    });
  });

  it('[sqs] a message in the DLQ that is not a delivery item is refused, naming the message', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: 'not json' }));
    const [record] = await receiveDlq();
    assert.ok(record);
    assert.throws(
      () => sqsDlqRecordToDeadLetters(record),
      new RegExp(`^Error: SQS message ${record.messageId} does not hold a delivery item: the body is not JSON$`),
    );
  });

  it('[sqs] a bundle in the DLQ becomes one dead letter per item, each with its own state', async () => {
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
    const letters = await deadLettersInDlq(drainedAt);
    assert.equal(letters.size, 2);
    assert.equal(letters.get(fresh.id)?.attempts, 0);
    assert.deepEqual(letters.get(tried.id), {
      item: tried,
      attempts: 2,
      firstAttemptAt: 1_700_000_000_100,
      lastAttemptAt: drainedAt,
      deadAt: drainedAt,
      lastError: { message: 'exceeded maxReceiveCount' },
    });
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
