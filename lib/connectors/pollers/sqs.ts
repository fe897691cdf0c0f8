import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { SourceRecord, SqsSource } from '../../core/connections/index.js';
import { Backoff, pause, sourceError } from './support.js';
import { sourceClientConfig } from './support.js';
import type { PollerContext } from './types.js';

/**
 * Long-polls an SQS queue (ReceiveMessage, up to 10 messages) and deletes each batch only once the gateway accepted
 * (or dead-lettered) every message of it. A message whose delete fails, or that was received while the gateway made
 * the poller wait, comes back after its visibility timeout: a duplicate with the same event id (its message id),
 * never a loss.
 */
export async function pollSqs(context: PollerContext): Promise<void> {
  const { connection, intake, metrics, signal } = context;
  const source = connection.source as SqsSource;
  // The SDK would send each call to the queue URL's host; an endpoint set by AWS_ENDPOINT_URL_SQS must win over it
  // (local SQS servers name queues under hosts that do not resolve).
  const endpointFromEnv = Boolean(process.env['AWS_ENDPOINT_URL_SQS'] ?? process.env['AWS_ENDPOINT_URL']);
  const client = new SQSClient({ ...sourceClientConfig(source), useQueueUrlAsEndpoint: !endpointFromEnv });
  const backoff = new Backoff(context.maxBackoffMs ?? 30_000);
  const QueueUrl = source.queueUrl;
  try {
    while (!signal.aborted) {
      let messages: Message[];
      try {
        const out = await client.send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: context.sqsWaitSeconds ?? 20,
            MessageSystemAttributeNames: ['SentTimestamp'],
          }),
          { abortSignal: signal },
        );
        messages = out.Messages ?? [];
        backoff.reset();
      } catch (error) {
        if (signal.aborted) return;
        sourceError(context, error, 'receiving from the queue failed; retrying');
        await pause(backoff.take(), signal);
        continue;
      }
      if (messages.length === 0) continue;
      const records = messages.map((m) => toRecord(m, QueueUrl));
      const oldest = Math.min(...records.map((r) => r.time?.getTime() ?? Date.now()));
      metrics.lag(connection.space, connection.connectionId, 'queue', (Date.now() - oldest) / 1000);
      try {
        await intake.handle(connection, records, signal);
      } catch {
        return; // stopping: delete nothing, the messages come back
      }
      await deleteAll(context, client, QueueUrl, messages);
    }
  } finally {
    client.destroy();
  }
}

function toRecord(message: Message, queueUrl: string): SourceRecord {
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    eventId: message.MessageId ?? '',
    source: queueUrl,
    data: Buffer.from(message.Body ?? '', 'utf8'),
    ...(Number.isFinite(sent) && sent > 0 ? { time: new Date(sent) } : {}),
  };
}

/** Deletes the batch, retrying failed entries a few times; what still fails comes back as a duplicate later. */
async function deleteAll(context: PollerContext, client: SQSClient, QueueUrl: string, messages: readonly Message[]): Promise<void> {
  let pending = messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' }));
  for (let attempt = 0; attempt < 3 && pending.length > 0; attempt++) {
    try {
      // Not aborted by a stop: the gateway accepted these, so deleting them is worth finishing.
      const out = await client.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: pending }));
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      pending = pending.filter((e) => failed.has(e.Id));
    } catch (error) {
      sourceError(context, error, 'deleting accepted messages failed; retrying');
    }
    if (pending.length > 0) await pause(200 * (attempt + 1), AbortSignal.timeout(60_000));
  }
  if (pending.length > 0) sourceError(context, new Error(`${pending.length} accepted messages not deleted`), 'they will be read again (same event ids)');
}
