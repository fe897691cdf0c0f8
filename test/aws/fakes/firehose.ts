import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { delay, LoopbackServer, signerOf, type Signer } from './server.js';

/**
 * A fake of Firehose's `PutRecord` (JSON 1.1 protocol) for the real SDK v3 client: `POST /` with
 * `X-Amz-Target: Firehose_20150804.PutRecord` and `{"DeliveryStreamName", "Record": {"Data": <base64>}}`; it answers
 * `{"RecordId", "Encrypted"}`, or an error as `{"__type", "message"}`. Streams exist once a test creates them.
 */

export interface FirehoseRequest {
  /** The operation from `X-Amz-Target` (`PutRecord`, …). */
  operation: string;
  body: unknown;
  signer: Signer | undefined;
}

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

const TARGET_PREFIX = 'Firehose_20150804.';
const ACCOUNT = '000000000000';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

export class FakeFirehose {
  /** Every request received, in order. */
  readonly requests: FirehoseRequest[] = [];
  private readonly streams = new Map<string, FirehoseRecord[]>();
  private readonly failures = new Map<string, FirehoseFailure>();
  private readonly server = new LoopbackServer((req, res, body) => this.handle(req, res, body));

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

  private async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      sendError(res, 'SerializationException', 400, 'Request body is not valid JSON');
      return;
    }
    this.requests.push({ operation, body, signer: signerOf(req) });
    if (req.method !== 'POST' || operation !== 'PutRecord') {
      sendError(res, 'UnknownOperationException', 400, `Unknown operation ${String(target)}`);
      return;
    }

    const { DeliveryStreamName: name, Record: record } = body as { DeliveryStreamName?: unknown; Record?: { Data?: unknown } };
    if (typeof name !== 'string' || typeof record?.Data !== 'string') {
      sendError(res, 'InvalidArgumentException', 400, 'DeliveryStreamName and Record.Data are required');
      return;
    }
    const failure = this.failures.get(name);
    if (failure !== undefined) {
      await delay(failure.delayMs);
      const status = failure.status ?? (failure.error === 'ServiceUnavailableException' ? 500 : 400);
      sendError(res, failure.error, status, failure.message ?? failure.error);
      return;
    }
    const records = this.streams.get(name);
    if (records === undefined) {
      sendError(res, 'ResourceNotFoundException', 400, `Firehose ${name} under account ${ACCOUNT} not found.`);
      return;
    }
    const recordId = randomBytes(84).toString('base64url');
    records.push({ recordId, data: Buffer.from(record.Data, 'base64') });
    send(res, 200, { RecordId: recordId, Encrypted: false });
  }
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID() });
  res.end(body);
}

function sendError(res: ServerResponse, code: string, status: number, message: string): void {
  send(res, status, { __type: code, message });
}
