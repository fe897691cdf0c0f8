import { corsId } from '../../core/model/ids.js';
import { STATUS_CODES } from 'node:http';
import { BadRequestError, PayloadTooLargeError, errorEnvelope, isHttpError } from '../../core/errors/index.js';
import { goJson } from '../api.js';
import type { ConfigHandler, ConfigRequest, ConfigResponse } from '../types.js';

/*
 * The config API behind an ALB target group or an API Gateway HTTP API (payload format 2.0). The event types are
 * declared here (no @types/aws-lambda) and only hold what the adapter reads or writes. No AWS SDK in this file:
 * the adapters index that re-exports it is loaded by the local gateway too.
 */

/** An ALB request to a Lambda target. With multi-value headers on, ALB sends only the `multiValue…` fields. */
export interface AlbEvent {
  requestContext: { elb: { targetGroupArn?: string } };
  httpMethod: string;
  /** As the client sent it: still percent-encoded, without the query. */
  path: string;
  /** Not decoded by ALB: each value is as the client sent it. */
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface AlbResult {
  statusCode: number;
  /** ALB wants the status line's text, e.g. `201 Created`. */
  statusDescription: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

/** An API Gateway HTTP API request, payload format 2.0. */
export interface ApiGatewayV2Event {
  version?: string;
  routeKey?: string;
  /** The path; with a named stage it starts with `/<stage>`. */
  rawPath: string;
  /** The text after `?`, as sent. */
  rawQueryString?: string;
  /** The request's cookies; they are not in `headers`. */
  cookies?: string[];
  /** Repeated headers arrive joined with commas. */
  headers?: Record<string, string | undefined> | null;
  requestContext: { http: { method: string; path?: string }; stage?: string; requestId?: string; domainName?: string };
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface ApiGatewayV2Result {
  statusCode: number;
  headers: Record<string, string>;
  /** `Set-Cookie` values: payload 2.0 takes them here, not in `headers`. */
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

export type LambdaHttpEvent = AlbEvent | ApiGatewayV2Event;
export type LambdaHttpResult = AlbResult | ApiGatewayV2Result;

export interface LambdaConfigHandlerOptions {
  /** Largest decoded request body; a larger one gets 413 with the envelope, as locally. @default 1048576 (1 MiB) */
  maxBodyBytes?: number;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** A Lambda event the adapter cannot turn into a request: answered with 400 and the envelope. */
export class MalformedLambdaEventError extends BadRequestError {}

/** One flavour of HTTP event: recognised by its shape, translated both ways. */
interface EventProcessor<F extends string, E extends LambdaHttpEvent, R extends LambdaHttpResult> {
  readonly flavour: F;
  toRequest(event: E, maxBodyBytes: number): ConfigRequest;
  toResult(event: E, response: ConfigResponse): R;
}

const albProcessor: EventProcessor<'alb', AlbEvent, AlbResult> = {
  flavour: 'alb',
  toRequest(event, maxBodyBytes) {
    const method = requireString(event.httpMethod, 'ALB', 'httpMethod');
    const path = requirePath(event.path, 'ALB', 'path');
    return {
      method,
      rawPath: encodeLiteralPathCharacters(path),
      rawQuery: albQuery(event),
      headers: event.multiValueHeaders ? joinMultiValueHeaders(event.multiValueHeaders) : singleValueHeaders(event.headers, 'ALB'),
      body: decodeBody(event.body, event.isBase64Encoded, maxBodyBytes, 'ALB'),
    };
  },
  toResult(event, response) {
    const result: AlbResult = {
      statusCode: response.statusCode,
      statusDescription: `${response.statusCode} ${STATUS_CODES[response.statusCode] ?? 'Unknown'}`,
      body: response.body,
      isBase64Encoded: false,
    };
    if (event.multiValueHeaders) {
      result.multiValueHeaders = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, [value]]));
    } else {
      result.headers = { ...response.headers };
    }
    return result;
  },
};

const apiGatewayV2Processor: EventProcessor<'apigateway-v2', ApiGatewayV2Event, ApiGatewayV2Result> = {
  flavour: 'apigateway-v2',
  toRequest(event, maxBodyBytes) {
    const method = requireString(event.requestContext.http.method, 'API Gateway v2', 'requestContext.http.method');
    const path = withoutStage(requirePath(event.rawPath, 'API Gateway v2', 'rawPath'), event.requestContext.stage);
    const rawQuery = event.rawQueryString ?? '';
    if (typeof rawQuery !== 'string') throw malformed('the API Gateway v2 event\'s "rawQueryString" is not a string');
    const headers = singleValueHeaders(event.headers, 'API Gateway v2');
    if (event.cookies !== undefined) {
      if (!Array.isArray(event.cookies) || !event.cookies.every((c) => typeof c === 'string')) {
        throw malformed('the API Gateway v2 event\'s "cookies" is not a list of strings');
      }
      if (event.cookies.length > 0) headers.cookie = event.cookies.join('; ');
    }
    return {
      method,
      rawPath: reencodeCorsId(encodeLiteralPathCharacters(path)),
      rawQuery,
      headers,
      body: decodeBody(event.body, event.isBase64Encoded, maxBodyBytes, 'API Gateway v2'),
    };
  },
  toResult(_event, response) {
    const headers = { ...response.headers };
    const result: ApiGatewayV2Result = { statusCode: response.statusCode, headers, body: response.body, isBase64Encoded: false };
    const cookie = headers['set-cookie'];
    if (cookie !== undefined) {
      delete headers['set-cookie'];
      result.cookies = [cookie];
    }
    return result;
  },
};

type AnyProcessor = typeof albProcessor | typeof apiGatewayV2Processor;

const DECODED_CORS_ITEM = /^(\/v1\/spaces\/[^/]+\/cors\/)([A-Z]+)(\/.*)$/;

/**
 * API Gateway HTTP APIs are reported to hand `rawPath` over with `%2F` already decoded, which would split a CORS id
 * (`GET%2Fhello`, docs/compatibility.md#cors-configurations) into path segments. A decoded id is re-encoded here:
 * `<METHOD>` followed by the path escaped as the id derivation escapes it. An id that arrives still encoded has no `/`
 * after the method and is kept.
 */
export function reencodeCorsId(rawPath: string): string {
  const match = DECODED_CORS_ITEM.exec(rawPath);
  if (!match) return rawPath;
  const [, prefix, method, path] = match as unknown as [string, string, string, string];
  return `${prefix}${corsId(method, decodeURIComponentSafe(path))}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The processor for an event, chosen by its shape: `requestContext.elb` is ALB; `rawPath` with `requestContext.http` is API Gateway v2. */
export function getProcessor(event: unknown): AnyProcessor | undefined {
  if (!isObject(event) || !isObject(event.requestContext)) return undefined;
  if (isObject(event.requestContext.elb)) return albProcessor;
  if ('rawPath' in event && isObject(event.requestContext.http)) return apiGatewayV2Processor;
  return undefined;
}

/** Which flavour an event is, or undefined for anything else. */
export function lambdaEventFlavour(event: unknown): 'alb' | 'apigateway-v2' | undefined {
  return getProcessor(event)?.flavour;
}

/** The {@link ConfigRequest} in an ALB or API Gateway v2 event. Throws {@link MalformedLambdaEventError} (or a 413 error). */
export function lambdaEventToConfigRequest(event: unknown, options: LambdaConfigHandlerOptions = {}): ConfigRequest {
  const processor = getProcessor(event);
  if (!processor) throw malformed('the Lambda event is neither an ALB request nor an API Gateway HTTP API (payload 2.0) request');
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return processor.flavour === 'alb'
    ? processor.toRequest(event as AlbEvent, maxBodyBytes)
    : processor.toRequest(event as ApiGatewayV2Event, maxBodyBytes);
}

/**
 * A {@link ConfigResponse} in the result shape the event's flavour wants (ALB: `statusDescription`, and
 * `multiValueHeaders` when the event used them). For an event of no known flavour: the API Gateway v2 shape.
 */
export function configResponseToLambdaResult(event: unknown, response: ConfigResponse): LambdaHttpResult {
  const processor = getProcessor(event);
  if (processor?.flavour === 'alb') return processor.toResult(event as AlbEvent, response);
  return apiGatewayV2Processor.toResult(event as ApiGatewayV2Event, response);
}

/** The envelope response for an error thrown outside the handlers: its own status when it is an HttpError, else 500. */
export function errorConfigResponse(error: unknown, fallbackMessage: string): ConfigResponse {
  if (isHttpError(error)) return { statusCode: error.statusCode, headers: { ...JSON_HEADERS }, body: goJson(error.toBody()) };
  return { statusCode: 500, headers: { ...JSON_HEADERS }, body: goJson(errorEnvelope(fallbackMessage)) };
}

/**
 * Serves a {@link ConfigHandler} to ALB and API Gateway v2 events. Never throws: a malformed event gets 400 with
 * the envelope, a failure of the handler itself (it maps its own errors) a 500.
 */
export function lambdaConfigHandler(
  handler: ConfigHandler,
  options: LambdaConfigHandlerOptions = {},
): (event: unknown) => Promise<LambdaHttpResult> {
  return async (event) => {
    let response: ConfigResponse;
    try {
      response = await handler(lambdaEventToConfigRequest(event, options));
    } catch (error) {
      response = errorConfigResponse(error, 'Internal Server Error');
    }
    return configResponseToLambdaResult(event, response);
  };
}

function albQuery(event: AlbEvent): string {
  const pairs: string[] = [];
  const multi = event.multiValueQueryStringParameters;
  if (multi) {
    if (!isObject(multi)) throw malformed('the ALB event\'s "multiValueQueryStringParameters" is not an object');
    for (const [name, values] of Object.entries(multi)) {
      if (values === undefined || values === null) continue;
      if (!Array.isArray(values)) throw malformed(`the ALB event's query parameter "${name}" is not a list`);
      for (const value of values) pairs.push(queryPair(name, value));
    }
    return pairs.join('&');
  }
  const single = event.queryStringParameters;
  if (single === undefined || single === null) return '';
  if (!isObject(single)) throw malformed('the ALB event\'s "queryStringParameters" is not an object');
  for (const [name, value] of Object.entries(single)) {
    if (value !== undefined && value !== null) pairs.push(queryPair(name, value));
  }
  return pairs.join('&');
}

/** ALB hands names and values over as sent (still encoded); only what cannot stand literally in a query is encoded. */
function queryPair(name: string, value: unknown): string {
  if (typeof value !== 'string') throw malformed(`the ALB event's query parameter "${name}" is not a string`);
  return `${encodeLiteralQueryCharacters(name, true)}=${encodeLiteralQueryCharacters(value, false)}`;
}

/** Characters that never appear literally in an encoded path: decoded ones are re-encoded, encoded text is unchanged. */
const NOT_IN_ENCODED_PATH = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/gu;
const NOT_IN_ENCODED_QUERY_VALUE = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$'()*+,;=:@/?%]/gu;
const NOT_IN_ENCODED_QUERY_NAME = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$'()*+,;:@/?%]/gu;

function encodeLiteralPathCharacters(path: string): string {
  return path.replace(NOT_IN_ENCODED_PATH, percentEncode);
}

function encodeLiteralQueryCharacters(text: string, isName: boolean): string {
  return text.replace(isName ? NOT_IN_ENCODED_QUERY_NAME : NOT_IN_ENCODED_QUERY_VALUE, percentEncode);
}

function percentEncode(character: string): string {
  try {
    return encodeURIComponent(character);
  } catch {
    // A lone surrogate has no UTF-8 form: it stands for U+FFFD, as TextEncoder would make it.
    return '%EF%BF%BD';
  }
}

/** A named stage's segment leads the v2 path; `$default` adds none. */
function withoutStage(path: string, stage: unknown): string {
  if (typeof stage !== 'string' || stage === '' || stage === '$default') return path;
  const prefix = `/${stage}`;
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : path;
}

function singleValueHeaders(headers: unknown, flavour: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (headers === undefined || headers === null) return out;
  if (!isObject(headers)) throw malformed(`the ${flavour} event's "headers" is not an object`);
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw malformed(`the ${flavour} event's header "${name}" is not a string`);
    out[name.toLowerCase()] = value;
  }
  return out;
}

function joinMultiValueHeaders(headers: unknown): Record<string, string | undefined> {
  if (!isObject(headers)) throw malformed('the ALB event\'s "multiValueHeaders" is not an object');
  const out: Record<string, string | undefined> = {};
  for (const [name, values] of Object.entries(headers)) {
    if (values === undefined || values === null) continue;
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
      throw malformed(`the ALB event's header "${name}" is not a list of strings`);
    }
    const key = name.toLowerCase();
    const joined = [out[key], ...values].filter((v) => v !== undefined);
    // RFC 9110 §5.3 joins repeated fields with commas; cookies are the exception (RFC 6265 §5.4).
    out[key] = joined.join(key === 'cookie' ? '; ' : ', ');
  }
  return out;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBody(body: unknown, isBase64Encoded: unknown, maxBodyBytes: number, flavour: string): string {
  if (body === undefined || body === null) return '';
  if (typeof body !== 'string') throw malformed(`the ${flavour} event's "body" is not a string`);
  let bytes: Buffer | undefined;
  if (isBase64Encoded === true) {
    if (body.length % 4 !== 0 || !BASE64.test(body)) throw malformed(`the ${flavour} event's body is flagged base64 but is not base64`);
    bytes = Buffer.from(body, 'base64');
  }
  const size = bytes ? bytes.length : Buffer.byteLength(body);
  if (size > maxBodyBytes) throw new PayloadTooLargeError(`Request body too large: the limit is ${maxBodyBytes} bytes.`);
  return bytes ? bytes.toString('utf8') : body;
}

function requireString(value: unknown, flavour: string, field: string): string {
  if (typeof value !== 'string' || value === '') throw malformed(`the ${flavour} event has no "${field}"`);
  return value;
}

function requirePath(value: unknown, flavour: string, field: string): string {
  const path = requireString(value, flavour, field);
  if (!path.startsWith('/')) throw malformed(`the ${flavour} event's "${field}" does not start with "/"`);
  return path;
}

function malformed(reason: string): MalformedLambdaEventError {
  return new MalformedLambdaEventError(`Bad Request: ${reason}.`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
