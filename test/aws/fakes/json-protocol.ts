import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { signerOf, type Signer } from './server.js';

/**
 * The AWS JSON protocol as the fakes speak it to the real SDK v3 clients: `POST /` with the operation in
 * `X-Amz-Target` (`<prefix><Operation>`) and a JSON body; a JSON answer; an error as `{"__type": <code>, "message":
 * <text>}` (some services spell it `Message`) with its HTTP status. REST-JSON services (Lambda) share the error shape.
 */

export const AWS_JSON_1_0 = 'application/x-amz-json-1.0';
export const AWS_JSON_1_1 = 'application/x-amz-json-1.1';

/** An AWS error a fake answers with: throw it from an operation, or send it with {@link sendAwsError}. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string = code,
    /** @default 400 */
    readonly status: number = 400,
    /** Extra response headers (`x-amzn-query-error`, `retry-after`, …). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export interface ErrorStyle {
  /** @default {@link AWS_JSON_1_1} */
  contentType?: string;
  /** The body's field for the text. @default 'message' */
  messageField?: 'message' | 'Message';
  /** More body fields, between `__type` and the text (Lambda's `Type`). */
  fields?: Readonly<Record<string, unknown>>;
}

/** A request of a JSON-protocol fake: the operation from `X-Amz-Target` (empty when not the service's), its body. */
export interface AwsJsonRequest {
  operation: string;
  body: unknown;
  signer: Signer | undefined;
}

export interface JsonProtocolOptions {
  /** What precedes the operation in `X-Amz-Target`: `Firehose_20150804.`, `secretsmanager.`, … */
  targetPrefix: string;
  /** @default {@link AWS_JSON_1_1} */
  contentType?: string;
  /** @default 'message' */
  messageField?: 'message' | 'Message';
  /** Told of every request whose body is JSON, before it is answered (the fakes record them). */
  onRequest?: (request: AwsJsonRequest) => void;
  /** Each operation's answer (status 200), or an {@link AwsError} thrown. */
  operations: Readonly<Record<string, (body: unknown, request: AwsJsonRequest) => unknown>>;
}

/**
 * A {@link LoopbackServer} handler that dispatches on `X-Amz-Target`: a body that is not JSON is a
 * `SerializationException`, an operation the fake lacks (or a method other than POST) an `UnknownOperationException`.
 */
export function jsonProtocolHandler(options: JsonProtocolOptions): (req: IncomingMessage, res: ServerResponse, raw: Buffer) => Promise<void> {
  const style: ErrorStyle = { contentType: options.contentType ?? AWS_JSON_1_1, messageField: options.messageField ?? 'message' };
  return async (req, res, raw) => {
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith(options.targetPrefix) ? target.slice(options.targetPrefix.length) : '';
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      sendAwsError(res, new AwsError('SerializationException', 'Request body is not valid JSON'), style);
      return;
    }
    const request: AwsJsonRequest = { operation, body, signer: signerOf(req) };
    options.onRequest?.(request);
    const run = Object.hasOwn(options.operations, operation) ? options.operations[operation] : undefined;
    if (req.method !== 'POST' || run === undefined) {
      sendAwsError(res, new AwsError('UnknownOperationException', `Unknown operation ${String(target)}`), style);
      return;
    }
    let answer: unknown;
    try {
      answer = await run(body, request);
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      sendAwsError(res, error, style);
      return;
    }
    sendAwsJson(res, 200, answer, style.contentType);
  };
}

export function sendAwsJson(res: ServerResponse, status: number, value: unknown, contentType = AWS_JSON_1_1): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID() });
  res.end(body);
}

export function sendAwsError(res: ServerResponse, error: AwsError, style: ErrorStyle = {}): void {
  const body = JSON.stringify({ __type: error.code, ...style.fields, [style.messageField ?? 'message']: error.message });
  res.writeHead(error.status, {
    'content-type': style.contentType ?? AWS_JSON_1_1,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': randomUUID(),
    ...error.headers,
  });
  res.end(body);
}
