import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { AwsError, sendAwsError } from './json-protocol.js';
import { delay, LoopbackServer, signerOf, type Signer } from './server.js';

/**
 * A fake of Lambda's `Invoke` (REST-JSON protocol, API version 2015-03-31) for the real SDK v3 client:
 * `POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=…]`, the payload as the body. Each function
 * behaves as a test scripts it; an unknown one answers 404 `ResourceNotFoundException`, as Lambda does.
 */

/** What one function call answers. */
export type LambdaReply =
  | {
      /** The response payload. @default the request's payload (an echo) */
      payload?: string | Buffer;
      /** Sent as `X-Amz-Function-Error`: the function itself failed and `payload` describes the error. */
      functionError?: 'Handled' | 'Unhandled';
      /** Waits this long before answering. */
      delayMs?: number;
    }
  | {
      /** An AWS error code (`AccessDeniedException`, `TooManyRequestsException`, …). */
      error: string;
      /** @default the code's status in Lambda's API (403, 429, 500, 404, …; 400 otherwise) */
      status?: number;
      message?: string;
      /** Sent as `Retry-After` (Lambda does on `TooManyRequestsException`). */
      retryAfterSeconds?: number;
      delayMs?: number;
    };

export type LambdaBehaviour = LambdaReply | ((invocation: LambdaInvocation) => LambdaReply | Promise<LambdaReply>);

export interface LambdaInvocation {
  /** The `FunctionName` as the client sent it (a name, an ARN or a partial ARN), decoded. */
  functionName: string;
  qualifier: string | undefined;
  /** `X-Amz-Invocation-Type`; Lambda's default is `RequestResponse`. */
  invocationType: string;
  payload: Buffer;
  signer: Signer | undefined;
  headers: IncomingHttpHeaders;
}

export const LAMBDA_ERROR_STATUS: Readonly<Record<string, number>> = {
  AccessDeniedException: 403,
  ExpiredTokenException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  ResourceNotFoundException: 404,
  RequestTooLargeException: 413,
  TooManyRequestsException: 429,
  ServiceException: 500,
  EC2ThrottledException: 502,
  ResourceNotReadyException: 502,
};

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
// arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
const FUNCTION_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/;
const ACCOUNT = '000000000000';

export class FakeLambda {
  /** Every `Invoke` received, in order, including those answered with an error. */
  readonly invocations: LambdaInvocation[] = [];
  private readonly functions = new Map<string, LambdaBehaviour>();
  private readonly server = new LoopbackServer((req, res, body) => this.handle(req, res, body));

  static async start(): Promise<FakeLambda> {
    const fake = new FakeLambda();
    await fake.server.listen();
    return fake;
  }

  get endpoint(): string {
    return this.server.endpoint;
  }

  /** The ARN Lambda would give a function of this name in us-east-1. */
  arn(name: string, region = 'us-east-1'): string {
    return `arn:aws:lambda:${region}:${ACCOUNT}:function:${name}`;
  }

  /** Creates or replaces a function; without a behaviour it echoes its payload. */
  setFunction(name: string, behaviour: LambdaBehaviour = {}): void {
    this.functions.set(name, behaviour);
  }

  deleteFunction(name: string): void {
    this.functions.delete(name);
  }

  /** Forgets the functions and the recorded invocations. */
  reset(): void {
    this.functions.clear();
    this.invocations.length = 0;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lambda');
    const route = INVOKE_PATH.exec(url.pathname);
    if (req.method !== 'POST' || route === null) {
      sendError(res, 'UnknownOperationException', 404, `Unknown operation ${req.method ?? ''} ${url.pathname}`);
      return;
    }
    const functionName = decodeURIComponent(route[1] ?? '');
    const invocationType = header(req.headers, 'x-amz-invocation-type') ?? 'RequestResponse';
    const invocation: LambdaInvocation = {
      functionName,
      qualifier: url.searchParams.get('Qualifier') ?? undefined,
      invocationType,
      payload: body,
      signer: signerOf(req),
      headers: req.headers,
    };
    this.invocations.push(invocation);

    const behaviour = this.functions.get(FUNCTION_ARN.exec(functionName)?.[1] ?? functionName);
    if (behaviour === undefined) {
      const arn = functionName.startsWith('arn:') ? functionName : this.arn(functionName, invocation.signer?.region);
      sendError(res, 'ResourceNotFoundException', 404, `Function not found: ${arn}`);
      return;
    }
    const reply = typeof behaviour === 'function' ? await behaviour(invocation) : behaviour;
    await delay(reply.delayMs);
    if (res.destroyed) return;

    if ('error' in reply) {
      sendError(res, reply.error, reply.status ?? LAMBDA_ERROR_STATUS[reply.error] ?? 400, reply.message ?? reply.error, reply.retryAfterSeconds);
      return;
    }
    const requestId = randomUUID();
    if (invocationType === 'Event' || invocationType === 'DryRun') {
      res.writeHead(invocationType === 'Event' ? 202 : 204, { 'x-amzn-requestid': requestId });
      res.end();
      return;
    }
    const payload = reply.payload ?? body;
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      'x-amzn-requestid': requestId,
      'x-amz-executed-version': '$LATEST',
      ...(reply.functionError === undefined ? {} : { 'x-amz-function-error': reply.functionError }),
    });
    res.end(payload);
  }
}

/**
 * An error as Lambda sends it: the code in `x-amzn-ErrorType` (with the Coral suffix AWS appends) and in the
 * body's `__type`, the text in `message`, `Type` telling the caller's fault (User) from Lambda's (Service).
 */
function sendError(res: ServerResponse, code: string, status: number, message: string, retryAfterSeconds?: number): void {
  const headers: Record<string, string> = { 'x-amzn-errortype': `${code}:http://internal.amazon.com/coral/com.amazon.coral.service/` };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  sendAwsError(res, new AwsError(code, message, status, headers), {
    contentType: 'application/json',
    fields: { Type: status >= 500 ? 'Service' : 'User' },
  });
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
