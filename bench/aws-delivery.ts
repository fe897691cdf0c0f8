// The delivery side of `npm run bench -- aws`: the delivery Lambda's handler module (functions/delivery.ts), driven
// the way an SQS event source mapping drives it. Settings from the environment: the handler's EVENT_GATEWAY_*,
// BENCH_BATCH_SIZE and BENCH_BATCHING_WINDOW_SECONDS (lib/infra/workers/batching.ts), BENCH_POLLERS (default 2).
//
// The emulation: each poller receives (up to 10 messages a request, long polling up to the rest of the window in
// whole seconds) until it holds a batch or the batching window since its first message ended; after a receive
// that came back short it waits 100 ms before the next, so a thin queue is not polled in a tight loop. It invokes
// the handler with the batch, then deletes the records the handler did not report, 10 per DeleteMessageBatch.
// AWS does not publish how its pollers pace receives; this is our model of it, and its requests are counted.
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SqsEventRecord } from '../lib/adapters/queue/sqs/index.js';
import { messageToRecord } from '../lib/adapters/queue/sqs/message.js';
import { createHandler } from '../functions/delivery.js';

const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 10);
const windowMs = Number(process.env.BENCH_BATCHING_WINDOW_SECONDS ?? 0) * 1000;
const pollers = Number(process.env.BENCH_POLLERS ?? 2);
const queueUrl = process.env.EVENT_GATEWAY_SQS_QUEUE_URL ?? '';
const SHORT_RECEIVE_PAUSE_MS = 100;
const VISIBILITY_SECONDS = 360;

const sqs = new SQSClient({ endpoint: process.env.EVENT_GATEWAY_SQS_ENDPOINT, region: process.env.AWS_REGION ?? 'us-east-1' });
const handler = createHandler({ writeMetrics: () => {} });
const stats = { invocations: 0, records: 0, reported: 0, handlerMs: 0 };
let stopping = false;

async function poll(): Promise<void> {
  while (!stopping) {
    const batch: SqsEventRecord[] = [];
    let windowEnd = Infinity;
    while (!stopping && batch.length < batchSize && performance.now() < windowEnd) {
      const left = windowEnd === Infinity ? 20_000 : windowEnd - performance.now();
      const asked = Math.min(10, batchSize - batch.length);
      let records: SqsEventRecord[];
      try {
        records = await receiveRecords(asked, Math.min(20, Math.floor(left / 1000)));
      } catch (error) {
        if (stopping) return;
        console.error('receive failed', error);
        await sleep(500);
        continue;
      }
      if (records.length > 0 && windowEnd === Infinity) windowEnd = performance.now() + windowMs;
      batch.push(...records.map((record) => ({ ...record, eventSource: 'aws:sqs', awsRegion: 'us-east-1' })));
      if (records.length < asked && batch.length > 0) await sleep(Math.min(SHORT_RECEIVE_PAUSE_MS, Math.max(0, windowEnd - performance.now())));
    }
    if (batch.length === 0) continue;
    const started = performance.now();
    let failed = new Set<string>();
    try {
      const response = await handler({ Records: batch });
      failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    } catch (error) {
      // The whole batch comes back after its visibility timeout, as with a failed invocation.
      console.error('invocation failed', error);
      failed = new Set(batch.map((record) => record.messageId));
    }
    stats.invocations++;
    stats.records += batch.length;
    stats.reported += failed.size;
    stats.handlerMs += performance.now() - started;
    const done = batch.filter((record) => !failed.has(record.messageId)).map((record) => record.receiptHandle);
    if (done.length > 0) await deleteMessages(done).catch((error: unknown) => console.error('delete failed', error));
  }
}

/** Up to `max` (1–10) messages, in the shape of Lambda event records, with the attributes a mapping sends. */
async function receiveRecords(max: number, waitSeconds: number): Promise<SqsEventRecord[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: waitSeconds,
      VisibilityTimeout: VISIBILITY_SECONDS,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SentTimestamp'],
    }),
  );
  return Messages.map(messageToRecord);
}

/** Deletes by receipt handle, 10 per DeleteMessageBatch. */
async function deleteMessages(receiptHandles: readonly string[]): Promise<void> {
  for (let start = 0; start < receiptHandles.length; start += 10) {
    const chunk = receiptHandles.slice(start, start + 10);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((receiptHandle, index) => ({ Id: String(index), ReceiptHandle: receiptHandle })),
      }),
    );
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

process.on('SIGUSR2', () => {
  console.log(JSON.stringify({ invocations: stats.invocations, records: stats.records, reported: stats.reported, meanHandlerMs: Math.round(stats.handlerMs / Math.max(1, stats.invocations)) }));
});
process.once('SIGTERM', () => {
  stopping = true;
  setTimeout(() => process.exit(0), 200).unref();
  void handler.close().finally(() => process.exit(0));
});

await Promise.all(Array.from({ length: pollers }, () => poll()));
