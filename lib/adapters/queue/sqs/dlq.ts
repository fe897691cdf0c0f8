import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { messageToRecord, type SqsEventRecord } from './message.js';

export interface ReceiveSqsRecordsOptions {
  /** 1–10. */
  max: number;
  /** Long polling, whole seconds 0–20. */
  waitSeconds: number;
  /** How long the received messages stay invisible, in whole seconds. */
  visibilitySeconds: number;
}

/**
 * Raw receive for queues that hold delivery items but are not a {@link SqsDeliveryQueue} (the DLQ drainer): the
 * messages in the shape of Lambda event records, with every message attribute and the system attributes the
 * drainer reads.
 */
export async function receiveSqsRecords(
  client: SQSClient,
  queueUrl: string,
  options: ReceiveSqsRecordsOptions,
): Promise<SqsEventRecord[]> {
  const output = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.min(10, Math.max(1, Math.floor(options.max))),
      WaitTimeSeconds: Math.min(20, Math.max(0, Math.floor(options.waitSeconds))),
      VisibilityTimeout: Math.max(0, Math.ceil(options.visibilitySeconds)),
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SentTimestamp'],
    }),
  );
  return (output.Messages ?? []).map(messageToRecord);
}

/** Deletes by receipt handle, 10 per request; returns the handles SQS did not delete. */
export async function deleteSqsMessages(client: SQSClient, queueUrl: string, receiptHandles: readonly string[]): Promise<string[]> {
  const notDeleted: string[] = [];
  for (let start = 0; start < receiptHandles.length; start += 10) {
    const chunk = receiptHandles.slice(start, start + 10);
    const output = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((receiptHandle, index) => ({ Id: String(index), ReceiptHandle: receiptHandle })),
      }),
    );
    for (const failure of output.Failed ?? []) {
      const handle = chunk[Number(failure.Id)];
      if (handle !== undefined) notDeleted.push(handle);
    }
  }
  return notDeleted;
}
