import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { AwsError, sendAwsError } from './json-protocol.js';
import { delay, LoopbackServer, signerOf, type Signer } from './server.js';

/**
 * A fake of Lambda's REST-JSON protocol (API version 2015-03-31) for the real SDK v3 client:
 * - `Invoke`: `POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=…]`, the payload as the body. Each
 *   function behaves as a test scripts it; an unknown one answers 404 `ResourceNotFoundException`, as Lambda does.
 * - the event source mappings: `CreateEventSourceMapping` (`POST /2015-03-31/event-source-mappings`),
 *   `ListEventSourceMappings` (`GET` there, `?FunctionName=&EventSourceArn=&Marker=&MaxItems=`), and
 *   `GetEventSourceMapping`, `UpdateEventSourceMapping`, `DeleteEventSourceMapping` (`GET`, `PUT`, `DELETE`
 *   `/2015-03-31/event-source-mappings/{UUID}`), with Lambda's checks: the function must exist, one mapping per
 *   function and source (`ResourceConflictException`), a starting position for streams and none for queues, bisect
 *   and retry settings for streams only, a queue and a secret for Amazon MQ.
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

/** A mapping as the fake keeps it and answers it (`EventSourceMappingConfiguration`). */
export interface FakeEventSourceMapping {
  UUID: string;
  FunctionArn: string;
  EventSourceArn: string;
  State: 'Creating' | 'Enabled' | 'Disabled' | 'Updating' | 'Deleting';
  StateTransitionReason: string;
  /** Epoch seconds, as the protocol sends timestamps. */
  LastModified: number;
  BatchSize: number;
  StartingPosition?: string;
  MaximumBatchingWindowInSeconds?: number;
  FunctionResponseTypes?: string[];
  BisectBatchOnFunctionError?: boolean;
  MaximumRetryAttempts?: number;
  MaximumRecordAgeInSeconds?: number;
  ParallelizationFactor?: number;
  Queues?: string[];
  SourceAccessConfigurations?: Array<{ Type: string; URI: string }>;
}

/** One event-source-mapping call the fake received, answered or not. */
export interface MappingCall {
  operation: 'CreateEventSourceMapping' | 'ListEventSourceMappings' | 'GetEventSourceMapping' | 'UpdateEventSourceMapping' | 'DeleteEventSourceMapping';
  uuid?: string;
  query?: Record<string, string>;
  body?: Record<string, unknown>;
  signer: Signer | undefined;
}

export const LAMBDA_ERROR_STATUS: Readonly<Record<string, number>> = {
  AccessDeniedException: 403,
  ExpiredTokenException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  ResourceNotFoundException: 404,
  ResourceConflictException: 409,
  RequestTooLargeException: 413,
  TooManyRequestsException: 429,
  ServiceException: 500,
  EC2ThrottledException: 502,
  ResourceNotReadyException: 502,
};

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const MAPPINGS_PATH = /^\/2015-03-31\/event-source-mappings\/?(?:([^/]+))?$/;
const STREAM_ARN = /^arn:[^:]+:(kinesis|dynamodb):/;
const MQ_ARN = /^arn:[^:]+:mq:/;
const STARTING_POSITIONS = ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'];
/** The mapping settings Create and Update take besides the function, the source and the queues. */
const SETTINGS = [
  'BatchSize',
  'MaximumBatchingWindowInSeconds',
  'FunctionResponseTypes',
  'BisectBatchOnFunctionError',
  'MaximumRetryAttempts',
  'MaximumRecordAgeInSeconds',
  'ParallelizationFactor',
  'SourceAccessConfigurations',
] as const;
const STREAM_ONLY = ['BisectBatchOnFunctionError', 'MaximumRetryAttempts', 'MaximumRecordAgeInSeconds', 'ParallelizationFactor'] as const;
// arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
const FUNCTION_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/;
const ACCOUNT = '000000000000';

export class FakeLambda {
  /** Every `Invoke` received, in order, including those answered with an error. */
  readonly invocations: LambdaInvocation[] = [];
  /** Every event-source-mapping call received, in order, including those answered with an error. */
  readonly mappingCalls: MappingCall[] = [];
  /** The mappings, by UUID, in creation order. */
  readonly mappings = new Map<string, FakeEventSourceMapping>();
  /**
   * The event sources that exist (ARNs). Undefined: every ARN does. Otherwise creating a mapping from another one
   * answers `InvalidParameterValueException`, as Lambda does for a stream or queue it cannot find.
   */
  eventSources: Set<string> | undefined;
  /** How long a deleted mapping stays listed in state `Deleting`, as Lambda's do for a while. @default 0 */
  deletingMs = 0;
  /** Mappings per `ListEventSourceMappings` page when the request sets no `MaxItems`. @default 100 */
  pageSize = 100;
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

  /** Forgets the functions, the mappings and the recorded calls. */
  reset(): void {
    this.functions.clear();
    this.invocations.length = 0;
    this.mappings.clear();
    this.mappingCalls.length = 0;
    this.eventSources = undefined;
    this.deletingMs = 0;
    this.pageSize = 100;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lambda');
    const mappingRoute = MAPPINGS_PATH.exec(url.pathname);
    if (mappingRoute !== null) {
      this.handleMapping(req, res, url, mappingRoute[1] === undefined ? undefined : decodeURIComponent(mappingRoute[1]), body);
      return;
    }
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

  private handleMapping(req: IncomingMessage, res: ServerResponse, url: URL, uuid: string | undefined, raw: Buffer): void {
    const signer = signerOf(req);
    const method = req.method ?? '';
    const operation =
      method === 'POST' && uuid === undefined ? 'CreateEventSourceMapping'
      : method === 'GET' && uuid === undefined ? 'ListEventSourceMappings'
      : method === 'GET' ? 'GetEventSourceMapping'
      : method === 'PUT' ? 'UpdateEventSourceMapping'
      : method === 'DELETE' ? 'DeleteEventSourceMapping'
      : undefined;
    if (operation === undefined || (uuid === undefined && operation !== 'CreateEventSourceMapping' && operation !== 'ListEventSourceMappings')) {
      sendError(res, 'UnknownOperationException', 404, `Unknown operation ${method} ${url.pathname}`);
      return;
    }
    let body: Record<string, unknown> = {};
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        sendError(res, 'InvalidRequestContentException', 400, 'Could not parse request body into json');
        return;
      }
    }
    const query = Object.fromEntries(url.searchParams);
    this.mappingCalls.push({ operation, ...(uuid === undefined ? {} : { uuid }), query, body, signer });
    this.settleDeletions();
    try {
      const region = signer?.region ?? 'us-east-1';
      switch (operation) {
        case 'CreateEventSourceMapping':
          sendJson(res, 202, this.createMapping(body, region));
          return;
        case 'ListEventSourceMappings':
          sendJson(res, 200, this.listMappings(query, region));
          return;
        case 'GetEventSourceMapping':
          sendJson(res, 200, this.mappingOf(uuid!));
          return;
        case 'UpdateEventSourceMapping':
          sendJson(res, 202, this.updateMapping(uuid!, body, region));
          return;
        case 'DeleteEventSourceMapping':
          sendJson(res, 202, this.deleteMapping(uuid!));
          return;
      }
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      sendError(res, error.code, error.status, error.message);
    }
  }

  private createMapping(body: Record<string, unknown>, region: string): FakeEventSourceMapping {
    const functionArn = this.functionArnOf(body['FunctionName'], region);
    const source = body['EventSourceArn'];
    if (typeof source !== 'string' || !source.startsWith('arn:')) throw invalid('EventSourceArn must be an ARN');
    if (this.eventSources && !this.eventSources.has(source)) throw invalid(`Source not found: ${source}`);
    const stream = STREAM_ARN.test(source);
    const mq = MQ_ARN.test(source);
    const position = body['StartingPosition'];
    if (stream && (typeof position !== 'string' || !STARTING_POSITIONS.includes(position))) {
      throw invalid('StartingPosition must be one of TRIM_HORIZON, LATEST, AT_TIMESTAMP for a stream event source');
    }
    if (!stream && position !== undefined) throw invalid('StartingPosition is not valid for this event source');
    const queues = body['Queues'];
    if (mq) {
      if (!Array.isArray(queues) || queues.length !== 1) throw invalid('Queues must name exactly one queue for an Amazon MQ event source');
      const access = (body['SourceAccessConfigurations'] ?? []) as Array<{ Type?: string }>;
      if (!access.some((a) => a.Type === 'BASIC_AUTH')) throw invalid('An Amazon MQ event source needs a BASIC_AUTH source access configuration');
    } else if (queues !== undefined) throw invalid('Queues is only valid for an Amazon MQ event source');
    this.checkSettings(body, stream, mq);
    const queue = Array.isArray(queues) ? String(queues[0]) : undefined;
    for (const m of this.mappings.values()) {
      if (m.FunctionArn === functionArn && m.EventSourceArn === source && m.Queues?.[0] === queue) {
        throw new AwsError(
          'ResourceConflictException',
          `An event source mapping with event source ("${source}"), function ("${functionArn}") already exists. Please update or delete the existing mapping with UUID ${m.UUID}`,
          409,
        );
      }
    }
    const mapping: FakeEventSourceMapping = {
      UUID: randomUUID(),
      FunctionArn: functionArn,
      EventSourceArn: source,
      State: 'Creating',
      StateTransitionReason: 'USER_INITIATED',
      LastModified: Math.floor(Date.now() / 1000),
      BatchSize: typeof body['BatchSize'] === 'number' ? body['BatchSize'] : stream || mq ? 100 : 10,
      ...(stream ? { StartingPosition: position as string, MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1, BisectBatchOnFunctionError: false, ParallelizationFactor: 1 } : {}),
      MaximumBatchingWindowInSeconds: 0,
      ...(queue !== undefined ? { Queues: [queue] } : {}),
    };
    this.applySettings(mapping, body);
    const answer = { ...mapping };
    mapping.State = body['Enabled'] === false ? 'Disabled' : 'Enabled';
    this.mappings.set(mapping.UUID, mapping);
    return answer;
  }

  private listMappings(query: Record<string, string>, region: string): { EventSourceMappings: FakeEventSourceMapping[]; NextMarker?: string } {
    const functionArn = query['FunctionName'] === undefined ? undefined : this.functionArnOf(query['FunctionName'], region, false);
    const all = [...this.mappings.values()].filter(
      (m) => (functionArn === undefined || m.FunctionArn === functionArn) && (query['EventSourceArn'] === undefined || m.EventSourceArn === query['EventSourceArn']),
    );
    const start = query['Marker'] === undefined ? 0 : Number(query['Marker']);
    if (!Number.isInteger(start) || start < 0 || start > all.length) throw invalid('Invalid marker');
    const max = query['MaxItems'] === undefined ? this.pageSize : Number(query['MaxItems']);
    if (!Number.isInteger(max) || max < 1 || max > 10000) throw invalid('MaxItems must be between 1 and 10000');
    const page = all.slice(start, start + max);
    return { EventSourceMappings: page.map((m) => ({ ...m })), ...(start + max < all.length ? { NextMarker: String(start + max) } : {}) };
  }

  private mappingOf(uuid: string): FakeEventSourceMapping {
    const mapping = this.mappings.get(uuid);
    if (!mapping) throw new AwsError('ResourceNotFoundException', `The resource you requested does not exist. (Service: Lambda, Status Code: 404, UUID: ${uuid})`, 404);
    return { ...mapping };
  }

  private updateMapping(uuid: string, body: Record<string, unknown>, region: string): FakeEventSourceMapping {
    const mapping = this.mappings.get(uuid);
    if (!mapping) throw new AwsError('ResourceNotFoundException', `The resource you requested does not exist. (UUID: ${uuid})`, 404);
    if (mapping.State === 'Deleting') throw new AwsError('ResourceInUseException', `Cannot update the event source mapping ${uuid} because it is in use.`, 400);
    if (body['FunctionName'] !== undefined) mapping.FunctionArn = this.functionArnOf(body['FunctionName'], region);
    if (body['StartingPosition'] !== undefined || body['Queues'] !== undefined || body['EventSourceArn'] !== undefined) {
      throw invalid('The event source, its queues and the starting position of a mapping cannot be updated');
    }
    this.checkSettings(body, STREAM_ARN.test(mapping.EventSourceArn), MQ_ARN.test(mapping.EventSourceArn));
    this.applySettings(mapping, body);
    if (body['Enabled'] !== undefined) mapping.State = body['Enabled'] === false ? 'Disabled' : 'Enabled';
    mapping.LastModified = Math.floor(Date.now() / 1000);
    return { ...mapping, State: 'Updating' };
  }

  private deleteMapping(uuid: string): FakeEventSourceMapping {
    const mapping = this.mappings.get(uuid);
    if (!mapping || mapping.State === 'Deleting') {
      throw new AwsError('ResourceNotFoundException', `The resource you requested does not exist. (UUID: ${uuid})`, 404);
    }
    mapping.State = 'Deleting';
    const answer = { ...mapping };
    if (this.deletingMs <= 0) this.mappings.delete(uuid);
    else (mapping as FakeEventSourceMapping & { deleteAt?: number }).deleteAt = Date.now() + this.deletingMs;
    return answer;
  }

  /** Mappings whose {@link deletingMs} ran out are gone. */
  private settleDeletions(): void {
    for (const [uuid, m] of this.mappings) {
      const at = (m as FakeEventSourceMapping & { deleteAt?: number }).deleteAt;
      if (at !== undefined && at <= Date.now()) this.mappings.delete(uuid);
    }
  }

  private checkSettings(body: Record<string, unknown>, stream: boolean, mq: boolean): void {
    if (!stream) {
      const given = STREAM_ONLY.filter((name) => body[name] !== undefined);
      if (given.length > 0) throw invalid(`${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} only valid for stream event sources`);
    }
    if (mq && body['FunctionResponseTypes'] !== undefined) throw invalid('FunctionResponseTypes is not valid for an Amazon MQ event source');
    const size = body['BatchSize'];
    if (size !== undefined && (typeof size !== 'number' || size < 1 || size > 10000)) throw invalid('BatchSize must be between 1 and 10000');
  }

  private applySettings(mapping: FakeEventSourceMapping, body: Record<string, unknown>): void {
    const target = mapping as unknown as Record<string, unknown>;
    for (const name of SETTINGS) if (body[name] !== undefined) target[name] = body[name];
  }

  /** The ARN of an existing function named by name, ARN or partial ARN; 404 for another (unless only filtering). */
  private functionArnOf(name: unknown, region: string, mustExist = true): string {
    if (typeof name !== 'string' || name === '') throw invalid('FunctionName is required');
    const short = FUNCTION_ARN.exec(name)?.[1] ?? name.split(':').at(-1)!;
    if (mustExist && !this.functions.has(short)) throw new AwsError('ResourceNotFoundException', `Function not found: ${this.arn(short, region)}`, 404);
    // An ARN without its qualifier (arn:aws:lambda:<region>:<account>:function:<name>).
    return FUNCTION_ARN.test(name) ? name.split(':').slice(0, 7).join(':') : this.arn(short, region);
  }
}

function invalid(message: string): AwsError {
  return new AwsError('InvalidParameterValueException', message, 400);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID() });
  res.end(body);
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
