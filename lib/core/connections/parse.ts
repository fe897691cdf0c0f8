/**
 * Request bodies of the connections API → validated connections. Every failure is a {@link BadRequestError} whose
 * message says what to fix. `source` is kept exactly as given (its known fields only, each checked): clients such as
 * the Serverless plugin compare it with what they sent to decide what to re-create.
 */
import { BadRequestError } from '../errors/index.js';
import type { Metadata } from '../model/types.js';
import {
  isSourceType,
  SOURCE_TYPES,
  STARTING_POSITIONS,
  UNSUPPORTED_SOURCE_TYPES,
  type Connection,
  type SourceType,
} from './types.js';

export const CONNECTION_INVALID = "Connection doesn't validate. Validation error: ";

/** Longest id, space, event type or source field accepted, in characters. */
export const MAX_CONNECTION_FIELD_LENGTH = 2048;
const MAX_NAME_LENGTH = 256;
const NAME_CHARSET = /^[a-zA-Z0-9.\-_]+$/;

interface SourceSpec {
  /** Fields that must be non-empty strings, in output order. */
  readonly required: readonly string[];
  readonly optional: readonly string[];
  /** Extra checks of the required fields: a message when the value is wrong. */
  readonly check?: (source: Readonly<Record<string, string>>) => string | undefined;
}

const CREDENTIALS = ['awsAccessKeyId', 'awsSecretAccessKey', 'awsSessionToken'] as const;

export const SOURCE_SPECS: Readonly<Record<SourceType, SourceSpec>> = {
  awskinesis: { required: ['streamName', 'region'], optional: [...CREDENTIALS, 'startingPosition'] },
  awssqs: {
    required: ['queueUrl', 'region'],
    optional: [...CREDENTIALS],
    check: (s) => (isQueueUrl(s['queueUrl'] ?? '') ? undefined : `"source.queueUrl" must be an http(s) URL, got "${s['queueUrl']}".`),
  },
  awsdynamodbstreams: {
    required: ['streamArn', 'region'],
    optional: [...CREDENTIALS, 'startingPosition'],
    check: (s) =>
      (s['streamArn'] ?? '').startsWith('arn:') ? undefined : `"source.streamArn" must be a stream ARN (arn:…), got "${s['streamArn']}".`,
  },
  amqp: {
    required: ['url', 'queueName'],
    // Read only by the AWS runtime (an Amazon MQ event source mapping); the local poller uses `url`.
    optional: ['brokerArn', 'secretArn'],
    check: (s) => (isAmqpUrl(s['url'] ?? '') ? undefined : '"source.url" must be an amqp:// or amqps:// URL.'),
  },
};

export interface ParseConnectionOptions {
  /** The space, from the URL. */
  space: string;
  /** On update: the id from the URL (it overrides the body's). */
  connectionId?: string;
  /** On create without an id in the body. */
  newId: () => string;
}

/** A connection on create (POST) or update (PUT). */
export function parseConnection(body: string | Uint8Array, options: ParseConnectionOptions): Connection {
  const raw = parseObject(body);
  const errors: string[] = [];

  checkName(errors, 'space', options.space, 3);
  const type = stringField(errors, raw, 'type');
  const supported = SOURCE_TYPES.join(', ');
  if (type === undefined || type === '') {
    throw invalid(`"type" is required. Supported source types: ${supported}.`);
  }
  if (!isSourceType(type)) {
    const note = UNSUPPORTED_SOURCE_TYPES.includes(type) ? ' (the original connector had it; this gateway does not support it)' : '';
    throw invalid(`source type "${type}" is not supported${note}. Supported source types: ${supported}.`);
  }

  const bodyId = stringField(errors, raw, 'connectionId');
  const connectionId = options.connectionId ?? (bodyId ? bodyId : options.newId());
  if (options.connectionId !== undefined || bodyId) checkName(errors, 'connectionId', connectionId, 1);

  const eventType = stringField(errors, raw, 'eventType') ?? '';
  checkName(errors, 'eventType', eventType, 1);

  const target = stringField(errors, raw, 'target');
  if (target !== undefined && target !== '' && !isHttpUrl(target)) {
    errors.push(`"target" must be empty or the http(s) URL of an events API, got "${target}".`);
  }

  const source = parseSource(errors, type, raw['source']);
  const metadata = parseMetadata(errors, raw['metadata']);
  if (errors.length > 0) throw invalid(errors.join(' '));

  return {
    space: options.space,
    connectionId,
    ...(target !== undefined ? { target } : {}),
    eventType,
    type,
    source,
    ...(metadata ? { metadata } : {}),
  } as Connection;
}

function invalid(message: string): BadRequestError {
  return new BadRequestError(CONNECTION_INVALID + message);
}

function parseObject(body: string | Uint8Array): Readonly<Record<string, unknown>> {
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(`the body is not valid JSON (${(error as Error).message}).`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('the body must be a JSON object.');
  return value as Record<string, unknown>;
}

function stringField(errors: string[], raw: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.push(`"${key}" must be a string.`);
    return undefined;
  }
  return value;
}

function checkName(errors: string[], field: string, value: string, min: number): void {
  if (value === '') errors.push(`"${field}" is required.`);
  else if ([...value].length < min) errors.push(`"${field}" must be at least ${min} characters long.`);
  else if (!NAME_CHARSET.test(value)) errors.push(`"${field}" may only contain letters, digits, ".", "-" and "_".`);
  else if ([...value].length > MAX_NAME_LENGTH) errors.push(`"${field}" must be at most ${MAX_NAME_LENGTH} characters long.`);
}

function parseSource(errors: string[], type: SourceType, value: unknown): Connection['source'] {
  const spec = SOURCE_SPECS[type];
  const fields = [...spec.required, ...spec.optional];
  if (value === undefined || value === null) {
    errors.push(`"source" is required: a ${type} source has ${describeFields(spec)}.`);
    return {} as Connection['source'];
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.push(`"source" must be a JSON object.`);
    return {} as Connection['source'];
  }
  const raw = value as Record<string, unknown>;
  const source: Record<string, string> = {};
  let complete = true;
  for (const [key, field] of Object.entries(raw)) {
    if (!fields.includes(key)) {
      errors.push(`a ${type} source has no field "${key}" (its fields: ${fields.join(', ')}).`);
      continue;
    }
    if (typeof field !== 'string') {
      errors.push(`"source.${key}" must be a string.`);
      complete = false;
      continue;
    }
    if ([...field].length > MAX_CONNECTION_FIELD_LENGTH) {
      errors.push(`"source.${key}" must be at most ${MAX_CONNECTION_FIELD_LENGTH} characters long.`);
    }
    source[key] = field;
  }
  const missing = spec.required.filter((key) => raw[key] === undefined || raw[key] === null || raw[key] === '');
  if (missing.length > 0) {
    errors.push(`a ${type} source needs ${missing.map((k) => `"${k}"`).join(' and ')}.`);
    complete = false;
  }
  const position = source['startingPosition'];
  if (position !== undefined && !(STARTING_POSITIONS as readonly string[]).includes(position)) {
    errors.push(`"source.startingPosition" must be ${STARTING_POSITIONS.map((p) => `"${p}"`).join(' or ')}, got "${position}".`);
  }
  if (complete && spec.check) {
    const message = spec.check(source);
    if (message) errors.push(message);
  }
  return source as unknown as Connection['source'];
}

function describeFields(spec: SourceSpec): string {
  const optional = spec.optional.length > 0 ? `, and optionally ${spec.optional.join(', ')}` : '';
  return `${spec.required.join(' and ')}${optional}`;
}

function parseMetadata(errors: string[], value: unknown): Metadata | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    errors.push('"metadata" must be an object of strings.');
    return undefined;
  }
  const metadata: Metadata = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') errors.push(`"metadata.${key}" must be a string.`);
    else metadata[key] = v;
  }
  return Object.keys(metadata).length > 0 ? metadata : undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * `http(s)://<host>/<path>`, checked by shape: local SQS servers answer queue URLs such as
 * `http://sqs.us-east-1.127.0.0.1:9324/000000000000/q`, whose host a WHATWG URL parser refuses.
 */
function isQueueUrl(value: string): boolean {
  return /^https?:\/\/[^/\s?#@]+\/\S+$/i.test(value);
}

function isAmqpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'amqp:' || url.protocol === 'amqps:') && url.hostname !== '';
  } catch {
    return false;
  }
}
