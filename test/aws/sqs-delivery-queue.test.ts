import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import {
  SqsDeliveryQueue,
  sqsRecordToDeliveryItem,
  type SqsDeliveryQueueOptions,
  type SqsEventRecord,
} from '../../lib/adapters/queue/sqs/index.js';
import { QueueFullError, type DeliveryItem, type NewDeliveryItem } from '../../lib/ports/delivery-queue.js';
import { messageToRecord } from '../../lib/adapters/queue/sqs/message.js';
import { runDeliveryQueueContract } from '../contracts/delivery-queue.contract.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const client = new SQSClient(awsClientConfig(requireEnv('EG_TEST_SQS_ENDPOINT')));
/** fauxqs is shared by the files running in parallel: every queue of this run gets this prefix. */
const RUN = `eg-sqs-${randomUUID().slice(0, 8)}`;
let queueCount = 0;

async function createQueue(attributes: Record<string, string> = {}): Promise<string> {
  const { QueueUrl } = await client.send(
    new CreateQueueCommand({ QueueName: `${RUN}-${++queueCount}`, Attributes: attributes }),
  );
  assert.ok(QueueUrl);
  return QueueUrl;
}

async function deleteQueue(queueUrl: string): Promise<void> {
  await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
}

runDeliveryQueueContract('sqs', async (options) => {
  const queueUrl = await createQueue();
  const queue = new SqsDeliveryQueue({ client, queueUrl, ...(options.maxPending ? { maxPending: options.maxPending } : {}) });
  return {
    queue,
    async cleanup() {
      await queue.close();
      await deleteQueue(queueUrl);
    },
  };
});

const LONG_LEASE_MS = 60_000;

function makeItem(label: string, overrides: Partial<NewDeliveryItem> = {}): NewDeliveryItem {
  return {
    id: `${label}-${randomUUID()}`,
    space: 'default',
    subscriptionId: 'subscription',
    functionId: 'function',
    eventType: 'user.created',
    event: JSON.stringify({ label }),
    system: false,
    acceptedAt: 1_700_000_000_000,
    ...overrides,
  };
}

/** A client whose SendMessageBatch calls are recorded, and optionally answered by `fake` instead of fauxqs. */
function recordingClient(
  fake?: (input: SendMessageBatchCommandInput, call: number) => SendMessageBatchCommandOutput | undefined,
) {
  const recording = new SQSClient(awsClientConfig(requireEnv('EG_TEST_SQS_ENDPOINT')));
  const batches: SendMessageBatchCommandInput[] = [];
  const commands: string[] = [];
  recording.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push(context.commandName ?? '');
      if (context.commandName === 'SendMessageBatchCommand') {
        const input = args.input as SendMessageBatchCommandInput;
        batches.push(input);
        const faked = fake?.(input, batches.length);
        if (faked) return { output: faked, response: {} };
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return { client: recording, batches, commands };
}

/** Receives until `count` items arrived (each leased for a minute). */
async function receiveCount(queue: SqsDeliveryQueue, count: number): Promise<DeliveryItem[]> {
  const received: DeliveryItem[] = [];
  const deadline = Date.now() + 5000;
  while (received.length < count) {
    assert.ok(Date.now() < deadline, `received ${received.length} of ${count} items`);
    received.push(...(await queue.receive(count - received.length, { leaseMs: LONG_LEASE_MS, waitMs: 1000 })));
  }
  return received;
}

/** The item ids in a bundle's body. */
function bundleIds(body: string | undefined): string[] {
  const parsed: unknown = JSON.parse(body ?? '');
  assert.ok(Array.isArray(parsed), 'the body is a bundle');
  return parsed.map((element: { id: string }) => element.id);
}

function batchBytes(input: SendMessageBatchCommandInput): number {
  let bytes = 0;
  for (const entry of input.Entries ?? []) {
    bytes += Buffer.byteLength(entry.MessageBody ?? '');
    for (const [name, value] of Object.entries(entry.MessageAttributes ?? {})) {
      bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
    }
  }
  return bytes;
}

describe('SqsDeliveryQueue', () => {
  const queues: string[] = [];
  const opened: SqsDeliveryQueue[] = [];

  async function open(options: Partial<SqsDeliveryQueueOptions> = {}, attributes?: Record<string, string>) {
    const queueUrl = await createQueue(attributes);
    queues.push(queueUrl);
    const queue = new SqsDeliveryQueue({ client, queueUrl, ...options });
    opened.push(queue);
    return { queue, queueUrl };
  }

  after(async () => {
    for (const queue of opened) await queue.close();
    for (const queueUrl of queues) await deleteQueue(queueUrl);
  });

  it('[sqs] packs the items of 25 concurrent enqueue calls into one message of one SendMessageBatch request', async () => {
    const recording = recordingClient();
    const { queue } = await open({ client: recording.client });
    const items = Array.from({ length: 25 }, (_, index) => makeItem(`count-${index}`));
    await Promise.all(items.map((item) => queue.enqueue([item])));
    assert.deepEqual(
      recording.batches.map((batch) => batch.Entries?.map((entry) => bundleIds(entry.MessageBody).length)),
      [[25]],
    );
    const received = await receiveCount(queue, 25);
    assert.deepEqual(
      received.map((item) => item.id).sort(),
      items.map((item) => item.id).sort(),
    );
  });

  it('[sqs] closes a bundle by bytes: items of ~300 KB go three to a message, one message of ~1 MiB to a request', async () => {
    const recording = recordingClient();
    const { queue } = await open({ client: recording.client });
    const items = Array.from({ length: 7 }, (_, index) =>
      makeItem(`bytes-${index}`, { event: JSON.stringify({ data: `${index}`.repeat(300_000) }) }),
    );
    await Promise.all(items.map((item) => queue.enqueue([item])));
    assert.deepEqual(
      recording.batches.map((batch) => batch.Entries?.map((entry) => bundleIds(entry.MessageBody).length)),
      [[3], [3], [1]],
    );
    for (const batch of recording.batches) assert.ok(batchBytes(batch) <= 1_048_576, `a batch of ${batchBytes(batch)} bytes`);
    const received = await receiveCount(queue, 7);
    for (const item of items) {
      assert.deepEqual(
        received.find((back) => back.id === item.id),
        { ...item, attempts: 0 },
      );
    }
  });

  it('[sqs] closes a bundle at maxBundleItems, and honours a smaller maxMessageBytes', async () => {
    const recording = recordingClient();
    const { queue } = await open({ client: recording.client, maxBundleItems: 4, maxMessageBytes: 4096 });
    const small = Array.from({ length: 10 }, (_, index) => makeItem(`four-${index}`));
    await queue.enqueue(small);
    const large = Array.from({ length: 3 }, (_, index) => makeItem(`kb-${index}`, { event: JSON.stringify({ data: 'x'.repeat(1500) }) }));
    await queue.enqueue(large);
    const sizes = recording.batches.flatMap((batch) => batch.Entries?.map((entry) => bundleIds(entry.MessageBody).length) ?? []);
    assert.deepEqual(sizes, [4, 4, 2, 2, 1]);
    for (const batch of recording.batches) {
      for (const entry of batch.Entries ?? []) assert.ok(Buffer.byteLength(entry.MessageBody ?? '') <= 4096);
    }
    await receiveCount(queue, 13);
  });

  it('[sqs] lingers briefly while idle and up to maxLingerMs under load', async () => {
    const recording = recordingClient();
    const { queue } = await open({ client: recording.client, lingerMs: 0, maxLingerMs: 200 });
    // Idle: the lone first call is sent without waiting for others.
    const started = performance.now();
    await queue.enqueue([makeItem('lone')]);
    assert.ok(performance.now() - started < 150, `the lone item waited ${Math.round(performance.now() - started)} ms`);
    // A steady stream, a call every 5 ms: once the rate is known, calls share bundles.
    const calls: Promise<void>[] = [];
    for (let index = 0; index < 60; index++) {
      calls.push(queue.enqueue([makeItem(`stream-${index}`)]));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(calls);
    const messages = recording.batches.flatMap((batch) => batch.Entries ?? []);
    assert.ok(messages.length <= 25, `61 calls in ${messages.length} messages`);
    assert.ok(Math.max(...messages.map((entry) => bundleIds(entry.MessageBody).length)) >= 10, 'a bundle of 10 or more');
    await receiveCount(queue, 61);
  });

  it('[sqs] rejects an item over 1 MiB with a clear error and sends nothing of that call', async () => {
    const recording = recordingClient();
    const { queue } = await open({ client: recording.client });
    const small = makeItem('small');
    const huge = makeItem('huge', { event: JSON.stringify({ data: 'x'.repeat(1_048_576) }) });
    await assert.rejects(queue.enqueue([small, huge]), (error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /^delivery item "huge-[^"]+" is 1\d{6} bytes as an SQS message, over the queue's limit of 1048576 bytes$/);
      return true;
    });
    assert.equal(recording.batches.length, 0);
    assert.equal(await queue.pending(), 0);
  });

  it('[sqs] counts messages other producers sent towards maxPending', async () => {
    const { queue, queueUrl } = await open({ maxPending: 4 });
    for (let index = 0; index < 3; index++) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(makeItem(`other-${index}`)) }));
    }
    await assert.rejects(queue.enqueue([makeItem('a'), makeItem('b')]), (error) => {
      assert.ok(error instanceof QueueFullError);
      assert.equal(error.message, 'delivery queue full: 3 pending items (limit 4)');
      return true;
    });
    await queue.enqueue([makeItem('fits')]);
    assert.equal(await queue.pending(), 4);
  });

  it('[sqs] sends entries SQS failed again, and resolves once they are accepted', async () => {
    const recording = recordingClient((input, call) =>
      call === 1
        ? {
            Successful: [],
            Failed: (input.Entries ?? []).map((entry) => ({ Id: entry.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
            $metadata: {},
          }
        : undefined,
    );
    const { queue } = await open({ client: recording.client });
    const items = [makeItem('resent-1'), makeItem('resent-2')];
    await queue.enqueue(items);
    assert.equal(recording.batches.length, 2);
    const received = await receiveCount(queue, 2);
    assert.deepEqual(received.map((item) => item.id).sort(), items.map((item) => item.id).sort());
  });

  it('[sqs] rejects the enqueue when SQS keeps failing an entry, or blames the sender', async () => {
    const failing = (senderFault: boolean) =>
      recordingClient((input) => ({
        Successful: [],
        Failed: (input.Entries ?? []).map((entry) => ({ Id: entry.Id, SenderFault: senderFault, Code: 'Refused', Message: 'no' })),
        $metadata: {},
      }));
    const transient = failing(false);
    const { queue } = await open({ client: transient.client, maxSendAttempts: 3 });
    await assert.rejects(queue.enqueue([makeItem('doomed')]), /^Error: SQS did not accept delivery item "doomed-[^"]+" \(attempt 3\): Refused: no$/);
    assert.equal(transient.batches.length, 3);

    const sender = failing(true);
    const { queue: other } = await open({ client: sender.client });
    await assert.rejects(other.enqueue([makeItem('refused')]), /\(attempt 1\): Refused: no$/);
    assert.equal(sender.batches.length, 1);
    assert.equal(await other.pending(), 0);
  });

  it('[sqs] keeps characters SQS refuses in a raw body: U+FFFE, lone surrogates, emoji, control characters', async () => {
    const { queue } = await open();
    const item = makeItem('chars', {
      event: `{"text":"\uFFFE \uFFFF \uD800 \uDC00 🌍 \u0001 \u2028"}`,
      eventType: 'tëst.🌍',
    });
    await queue.enqueue([item]);
    const [back] = await receiveCount(queue, 1);
    assert.deepEqual(back, { ...item, attempts: 0 });
  });

  it('[sqs] a retry sends a copy with DelaySeconds and its state in a new bundle, and deletes the original', async () => {
    const recording = recordingClient();
    const now = Date.now();
    const { queue, queueUrl } = await open({ client: recording.client, now: () => now });
    const item = makeItem('copy');
    await queue.enqueue([item]);
    const [received] = await receiveCount(queue, 1);
    await queue.retry(received!, 2500, { message: 'later', status: 503 });
    const copy = recording.batches[1]?.Entries?.[0];
    assert.equal(copy?.DelaySeconds, 3);
    assert.deepEqual(JSON.parse(copy?.MessageBody ?? ''), [
      { ...item, attempts: 1, firstAttemptAt: now, lastError: { message: 'later', status: 503 } },
    ]);
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
    assert.equal(Attributes?.ApproximateNumberOfMessagesNotVisible, '0', 'the original is deleted');
    assert.equal(Attributes?.ApproximateNumberOfMessagesDelayed, '1', 'the copy waits out its delay');
  });

  it('[sqs] hides a copy received before its due time (a delay over 15 minutes) until then', async () => {
    const recording = recordingClient();
    const { queue, queueUrl } = await open({ client: recording.client });
    const item = makeItem('far');
    const dueAt = Date.now() + 3_600_000;
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(item),
        MessageAttributes: {
          'eg.attempts': { DataType: 'Number', StringValue: '4' },
          'eg.dueAt': { DataType: 'Number', StringValue: String(dueAt) },
        },
      }),
    );
    assert.deepEqual(await queue.receive(10, { leaseMs: 1000, waitMs: 1500 }), []);
    assert.ok(recording.commands.includes('ChangeMessageVisibilityCommand'));
    // Hidden for the hour, not for the one-second lease.
    assert.deepEqual(await queue.receive(10, { leaseMs: 1000, waitMs: 1500 }), []);
    assert.equal(await queue.pending(), 1);
  });

  it('[sqs] a retry longer than 15 minutes waits 900 s in SQS and records its due time', async () => {
    const recording = recordingClient();
    const now = Date.now();
    const { queue } = await open({ client: recording.client, now: () => now });
    await queue.enqueue([makeItem('long')]);
    const [received] = await receiveCount(queue, 1);
    await queue.retry(received!, 3_600_000, { message: 'Retry-After: 3600' });
    const copy = recording.batches[1]?.Entries?.[0];
    assert.equal(copy?.DelaySeconds, 900);
    assert.equal(JSON.parse(copy?.MessageBody ?? '')[0].dueAt, now + 3_600_000);
  });

  it('[sqs] turns a Lambda event record into an item it can ack', async () => {
    const { queue, queueUrl } = await open();
    const item = makeItem('lambda');
    await queue.enqueue([item]);
    const [first] = await receiveCount(queue, 1);
    await queue.retry(first!, 0, { message: 'boom', status: 500 });
    // Receive as the Lambda event source mapping would, and build its record.
    let message;
    for (let tries = 0; !message && tries < 5; tries++) {
      const output = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
      );
      message = output.Messages?.[0];
    }
    assert.ok(message);
    const record: SqsEventRecord = {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: { ...message.Attributes },
      messageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          { stringValue: value.StringValue ?? '', stringListValues: [], binaryListValues: [], dataType: value.DataType ?? '' },
        ]),
      ),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:queue',
      awsRegion: 'us-east-1',
    };
    const fromLambda = sqsRecordToDeliveryItem(record);
    const { firstAttemptAt, ...rest } = fromLambda;
    assert.deepEqual(rest, { ...item, attempts: 1, lastError: { message: 'boom', status: 500 } });
    assert.equal(typeof firstAttemptAt, 'number');
    await queue.ack(fromLambda);
    assert.equal(await queue.pending(), 0);
  });

  it('[sqs] deletes a bundle once every item is settled; a retried item goes on alone in a new bundle', async () => {
    const recording = recordingClient();
    const { queue } = await open({ client: recording.client });
    const [a, b, c] = [makeItem('a'), makeItem('b'), makeItem('c')];
    await queue.enqueue([a!, b!, c!]);
    const received = await receiveCount(queue, 3);
    const byId = (id: string) => received.find((item) => item.id === id)!;
    await queue.ack(byId(a!.id));
    await queue.retry(byId(b!.id), 0, { message: 'again' });
    assert.ok(!recording.commands.includes('DeleteMessageBatchCommand'), 'not deleted while an item is unsettled');
    await queue.ack(byId(c!.id));
    assert.equal(recording.commands.filter((name) => name === 'DeleteMessageBatchCommand').length, 1);
    const [back] = await receiveCount(queue, 1);
    assert.equal(back?.id, b!.id);
    assert.equal(back?.attempts, 1);
    await queue.ack(back!);
    assert.equal(await queue.pending(), 0);
  });

  it('[sqs] a bundle whose worker died comes back whole, split into one message per item', async () => {
    const { queue: died, queueUrl } = await open();
    const items = [makeItem('x'), makeItem('y'), makeItem('z')];
    await died.enqueue(items);
    const first: DeliveryItem[] = [];
    while (first.length < 3) first.push(...(await died.receive(10, { leaseMs: 1000, waitMs: 1000 })));
    await died.ack(first[0]!);
    await died.close(); // the process dies with two items unsettled
    const recording = recordingClient();
    const successor = new SqsDeliveryQueue({ client: recording.client, queueUrl });
    opened.push(successor);
    const again: DeliveryItem[] = [];
    const deadline = Date.now() + 6000;
    while (again.length < 3) {
      assert.ok(Date.now() < deadline, `${again.length} of 3 items came back`);
      again.push(...(await successor.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 1000 })));
    }
    // At-least-once: the acked item is delivered again, under the same id (the webhook-id).
    assert.deepEqual(again.map((item) => item.id).sort(), items.map((item) => item.id).sort());
    const resent = recording.batches.flatMap((batch) => batch.Entries ?? []);
    assert.deepEqual(resent.map((entry) => bundleIds(entry.MessageBody).length), [1, 1, 1]);
    for (const item of again) await successor.ack(item);
    assert.equal(await successor.pending(), 0);
  });

  it('[sqs] a bundle that comes back to the process that settled some of its items brings only the others', async () => {
    const { queue } = await open();
    const items = [makeItem('p'), makeItem('q'), makeItem('r')];
    await queue.enqueue(items);
    const first: DeliveryItem[] = [];
    while (first.length < 3) first.push(...(await queue.receive(10, { leaseMs: 1000, waitMs: 1000 })));
    await queue.ack(first.find((item) => item.id === items[0]!.id)!);
    const again: DeliveryItem[] = [];
    const deadline = Date.now() + 6000;
    while (again.length < 2) {
      assert.ok(Date.now() < deadline, `${again.length} of 2 items came back`);
      again.push(...(await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 1000 })));
    }
    assert.deepEqual(again.map((item) => item.id).sort(), [items[1]!.id, items[2]!.id].sort());
    await queue.receive(10, { leaseMs: LONG_LEASE_MS, waitMs: 0 }).then((more) => assert.deepEqual(more, []));
  });

  it('[sqs] a poison item ends alone in the DLQ; the other items of its bundle are delivered', async () => {
    const dlqUrl = await createQueue();
    queues.push(dlqUrl);
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
    const { queue, queueUrl } = await open({}, { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 2 }) });
    const poison = makeItem('poison');
    const good = [makeItem('good-1'), makeItem('good-2')];
    await queue.enqueue([good[0]!, poison, good[1]!]);
    const delivered = new Set<string>();
    const deadline = Date.now() + 12_000;
    for (let round = 0; ; round++) {
      assert.ok(Date.now() < deadline, `delivered ${delivered.size} of 2; round ${round}`);
      // Each round is a fresh worker: the poison item kills it before it settles anything of its message.
      const worker = new SqsDeliveryQueue({ client, queueUrl });
      const items = await worker.receive(10, { leaseMs: 1000, waitMs: 1000 });
      for (const item of items) if (item.id !== poison.id) {
        await worker.ack(item);
        delivered.add(item.id);
      }
      await worker.close();
      const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }));
      if (Messages.length > 0) {
        assert.deepEqual(bundleIds(Messages[0]!.Body), [poison.id]);
        break;
      }
    }
    assert.deepEqual([...delivered].sort(), good.map((item) => item.id).sort());
  });

  it('[sqs] reads a single-item message of the format before bundles, queued before an upgrade', async () => {
    const { queue, queueUrl } = await open();
    const item = makeItem('legacy');
    await client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(item),
        MessageAttributes: {
          'eg.attempts': { DataType: 'Number', StringValue: '2' },
          'eg.firstAttemptAt': { DataType: 'Number', StringValue: '1700000000500' },
          'eg.lastError': { DataType: 'String', StringValue: '{"message":"earlier","status":502}' },
        },
      }),
    );
    const [received] = await receiveCount(queue, 1);
    assert.deepEqual(received, { ...item, attempts: 2, firstAttemptAt: 1_700_000_000_500, lastError: { message: 'earlier', status: 502 } });
    await queue.retry(received!, 0, { message: 'again' });
    const [back] = await receiveCount(queue, 1);
    assert.equal(back?.attempts, 3);
    assert.equal(back?.firstAttemptAt, 1_700_000_000_500);
    await queue.ack(back!);
    assert.equal(await queue.pending(), 0);
  });

  it('[sqs] openRecord: a Lambda record of a bundle gives its items, leaving the delete to Lambda; received again, it is split', async () => {
    const recording = recordingClient();
    const { queue, queueUrl } = await open({ client: recording.client });
    const items = [makeItem('l1'), makeItem('l2')];
    await queue.enqueue(items);
    const receiveRecord = async (visibility: number) => {
      for (let tries = 0; tries < 5; tries++) {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, VisibilityTimeout: visibility, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
        );
        if (Messages[0]) return messageToRecord(Messages[0]);
      }
      assert.fail('no message');
    };
    const record = await receiveRecord(1);
    const opened = await queue.openRecord(record);
    assert.deepEqual(opened.map((item) => item.id), items.map((item) => item.id));
    await queue.ack(opened[0]!);
    await queue.ack(opened[1]!);
    assert.ok(!recording.commands.includes('DeleteMessageBatchCommand'), 'Lambda deletes the record');
    // Lambda did not delete it (say the invocation failed): it comes back, and is split rather than delivered.
    const again = await receiveRecord(30);
    assert.equal(again.attributes.ApproximateReceiveCount, '2');
    const fresh = new SqsDeliveryQueue({ client: recording.client, queueUrl });
    assert.deepEqual(await fresh.openRecord(again), []);
    await fresh.close();
    const singles = recording.batches.slice(-1)[0]?.Entries ?? [];
    assert.deepEqual(singles.map((entry) => bundleIds(entry.MessageBody)).sort(), items.map((item) => [item.id]).sort());
  });

  it('[sqs] postpone keeps the sub-second rest: DelaySeconds takes the whole seconds, deferIfNotDue waits the rest (Lambda)', async () => {
    const recording = recordingClient();
    const { queue, queueUrl } = await open({ client: recording.client });
    const item = makeItem('postponed');
    await queue.enqueue([item]);
    const [received] = await receiveCount(queue, 1);
    const postponedAt = Date.now();
    await queue.postpone(received!, 1400);
    const sent = recording.batches.slice(-1)[0]?.Entries ?? [];
    assert.deepEqual(sent.map((entry) => entry.DelaySeconds), [1]);
    let record: SqsEventRecord | undefined;
    while (!record) {
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, VisibilityTimeout: 30, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
      );
      if (Messages[0]) record = messageToRecord(Messages[0]);
    }
    const [opened] = await queue.openRecord(record);
    assert.equal(await queue.deferIfNotDue(opened!), false);
    const waited = Date.now() - postponedAt;
    assert.ok(waited >= 1400 - 25, `delivered ${waited} ms after the postponement`);
    assert.deepEqual({ ...opened }, { ...item, attempts: 0 });
  });

  it('[sqs] refuses to settle an item that did not come from SQS', async () => {
    const { queue } = await open();
    const stranger: DeliveryItem = { ...makeItem('stranger'), attempts: 0 };
    await assert.rejects(queue.ack(stranger), /^TypeError: ack: item "stranger-[^"]+" carries no SQS receipt handle/);
    await assert.rejects(queue.retry(stranger, 0, { message: 'x' }), /^TypeError: retry: item/);
  });

  it('[sqs] reports a message that is not a delivery item and leaves it to the redrive policy', async () => {
    const errors: unknown[] = [];
    const { queue, queueUrl } = await open({ onError: (error) => errors.push(error) });
    await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"not":"an item"}' }));
    const good = makeItem('good');
    await queue.enqueue([good]);
    const received = await receiveCount(queue, 1);
    assert.deepEqual(received.map((item) => item.id), [good.id]);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /does not hold a delivery item: "id" is not a string/);
    assert.equal(await queue.pending(), 2);
  });

  it('[sqs] hands out a bundle of 30 items over several receives of at most max', async () => {
    const { queue } = await open();
    const items = Array.from({ length: 30 }, (_, index) => makeItem(`many-${index}`));
    await queue.enqueue(items);
    const received = await receiveCount(queue, 30);
    assert.equal(new Set(received.map((item) => item.id)).size, 30);
  });

  it('[sqs] close sends what is still lingering', async () => {
    const recording = recordingClient();
    const { queue, queueUrl } = await open({ client: recording.client, lingerMs: 60_000 });
    const enqueued = queue.enqueue([makeItem('lingering')]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(recording.batches.length, 0, 'still lingering');
    await queue.close();
    await enqueued;
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    assert.equal(Attributes?.ApproximateNumberOfMessages, '1');
    await assert.rejects(queue.enqueue([makeItem('late')]), /the delivery queue is closed/);
  });
});
