import { randomBytes } from 'node:crypto';
import { AwsError, jsonProtocolHandler, type AwsJsonRequest } from './json-protocol.js';
import { delay, LoopbackServer } from './server.js';

/**
 * A fake of Firehose's `PutRecord` (JSON 1.1 protocol) for the real SDK v3 client: `POST /` with
 * `X-Amz-Target: Firehose_20150804.PutRecord` and `{"DeliveryStreamName", "Record": {"Data": <base64>}}`; it answers
 * `{"RecordId", "Encrypted"}`, or an error as `{"__type", "message"}`. Streams exist once a test creates them.
 */

/** A request as the fake received it: the operation from `X-Amz-Target` (`PutRecord`, …), its body, its signer. */
export type FirehoseRequest = AwsJsonRequest;

/** An AWS error the fake answers with for a stream, instead of storing the record. */
export interface FirehoseFailure {
  error: string;
  /** @default 400 (Firehose's client errors); 500 for `ServiceUnavailableException` */
  status?: number;
  message?: string;
  delayMs?: number;
}

export interface FirehoseRecord {
  recordId: string;
  data: Buffer;
}

const ACCOUNT = '000000000000';

export class FakeFirehose {
  /** Every request received, in order. */
  readonly requests: FirehoseRequest[] = [];
  private readonly streams = new Map<string, FirehoseRecord[]>();
  private readonly failures = new Map<string, FirehoseFailure>();
  private readonly server = new LoopbackServer(
    jsonProtocolHandler({
      targetPrefix: 'Firehose_20150804.',
      onRequest: (request) => this.requests.push(request),
      operations: { PutRecord: (body) => this.putRecord(body) },
    }),
  );

  static async start(): Promise<FakeFirehose> {
    const fake = new FakeFirehose();
    await fake.server.listen();
    return fake;
  }

  get endpoint(): string {
    return this.server.endpoint;
  }

  createDeliveryStream(name: string): void {
    if (!this.streams.has(name)) this.streams.set(name, []);
  }

  /** The records a stream received, in order. */
  records(name: string): readonly FirehoseRecord[] {
    return this.streams.get(name) ?? [];
  }

  /** Makes every `PutRecord` to this stream fail as scripted (whether it exists or not), until cleared. */
  fail(name: string, failure: FirehoseFailure | undefined): void {
    if (failure === undefined) this.failures.delete(name);
    else this.failures.set(name, failure);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private async putRecord(body: unknown): Promise<unknown> {
    const { DeliveryStreamName: name, Record: record } = body as { DeliveryStreamName?: unknown; Record?: { Data?: unknown } };
    if (typeof name !== 'string' || typeof record?.Data !== 'string') {
      throw new AwsError('InvalidArgumentException', 'DeliveryStreamName and Record.Data are required');
    }
    const failure = this.failures.get(name);
    if (failure !== undefined) {
      await delay(failure.delayMs);
      const status = failure.status ?? (failure.error === 'ServiceUnavailableException' ? 500 : 400);
      throw new AwsError(failure.error, failure.message ?? failure.error, status);
    }
    const records = this.streams.get(name);
    if (records === undefined) {
      throw new AwsError('ResourceNotFoundException', `Firehose ${name} under account ${ACCOUNT} not found.`);
    }
    const recordId = randomBytes(84).toString('base64url');
    records.push({ recordId, data: Buffer.from(record.Data, 'base64') });
    return { RecordId: recordId, Encrypted: false };
  }
}
