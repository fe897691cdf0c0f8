/**
 * Request bodies of the config API → validated, normalised items (docs/compatibility.md#config-api,
 * #retries-and-timeouts, #limits).
 *
 * Each parser mirrors the original's handler + service: Go `json.Decoder` decoding into the original struct
 * (messages of {@link decode}), then the original's normalisation and go-playground/validator checks, one line per
 * failed field in struct order. Every failure is a {@link BadRequestError} with the resource's prefix.
 */
import { DEFAULT_MAX_ID_LENGTH as MAX_ID_LENGTH, DEFAULT_MAX_JSON_DEPTH } from '../limits.js';
import type { JsonObject } from '../cloudevents/model.js';
import { BadRequestError } from '../errors/index.js';
import { FilterValidationError, validateFilter } from '../filter/index.js';
import { decode, decodeNode, defineStruct, GoJsonError, type JsonNode, type StructSchema } from '../go/index.js';
import { HttpAuthError, parseHttpAuth, type HttpAuth } from './auth.js';
import { FunctionLimitsError, parseFunctionLimits, type ParsedFunctionLimits } from './function-limits.js';
import { corsId, subscriptionId } from './ids.js';
import { PROVIDER_KEYS, SECRET_MARKER } from './serialize.js';
import {
  FUNCTION_TYPES,
  HTTP_METHODS,
  type CorsConfig,
  type EventType,
  type FunctionConfig,
  type FunctionType,
  type Metadata,
  type RetryPolicy,
  type Subscription,
  type SubscriptionType,
} from './types.js';

/** Longest id or name accepted, in characters (docs/compatibility.md#limits). */
export { DEFAULT_MAX_ID_LENGTH as MAX_ID_LENGTH } from '../limits.js';

/** Configurable limits on config bodies (docs/compatibility.md#limits). */
export interface ModelLimits {
  /** Longest id, name or path, in characters. @default 256 */
  maxIdLength: number;
  /** Deepest JSON nesting. @default 64 */
  maxJsonDepth: number;
}

export const DEFAULT_MODEL_LIMITS: Readonly<ModelLimits> = Object.freeze({ maxIdLength: MAX_ID_LENGTH, maxJsonDepth: DEFAULT_MAX_JSON_DEPTH });
/** Upper bound of a subscription's `timeoutMs` (15 minutes, the longest a Lambda can run). */
export const MAX_TIMEOUT_MS = 900_000;
export const MAX_RETRY_ATTEMPTS = 100;

/**
 * A 400 raised while the original was still decoding the body (`json.Decoder.Decode`, which for functions includes the
 * provider checks of docs/compatibility.md#functions). The original did not count these requests in
 * `config_requests_total` (docs/compatibility.md#metrics); validation errors after decoding are plain
 * {@link BadRequestError}s and are counted.
 */
export class BodyDecodeError extends BadRequestError {}

const EVENT_TYPE_INVALID = "Event Type doesn't validate. Validation error: ";
const FUNCTION_INVALID = "Function doesn't validate. Validation error: ";
const SUBSCRIPTION_INVALID = "Subscription doesn't validate. Validation error: ";
const CORS_INVALID = "CORS configuration doesn't validate. Validation error: ";

// ---- the original's structs, as the decoder sees them ----

const METADATA = { json: 'metadata', go: 'Metadata', kind: 'stringMap', goType: 'metadata.Metadata' } as const;

const EVENT_TYPE = defineStruct({
  name: 'Type',
  goType: 'event.Type',
  fields: [
    { json: 'space', go: 'Space', kind: 'string', goType: 'string' },
    { json: 'name', go: 'Name', kind: 'string', goType: 'event.TypeName' },
    { json: 'authorizerId', go: 'AuthorizerID', kind: 'string', goType: 'function.ID', pointer: true },
    METADATA,
  ],
});

/** `function.Function.UnmarshalJSON` decodes into its local `functionJSON` type first: hence the names in errors. */
const FUNCTION_JSON = defineStruct({
  name: 'functionJSON',
  goType: 'function.functionJSON',
  fields: [
    { json: 'space', go: 'Space', kind: 'string', goType: 'string' },
    { json: 'functionId', go: 'ID', kind: 'string', goType: 'function.ID' },
    { json: 'type', go: 'ProviderType', kind: 'string', goType: 'function.ProviderType' },
    { json: 'provider', go: 'ProviderConfig', kind: 'raw', goType: 'json.RawMessage' },
    METADATA,
    // Extensions (docs/limits.md): validated by parseFunctionLimits.
    { json: 'rateLimit', go: 'RateLimit', kind: 'raw', goType: 'json.RawMessage' },
    { json: 'maxConcurrency', go: 'MaxConcurrency', kind: 'raw', goType: 'json.RawMessage' },
  ],
});

const CREDENTIALS = [
  { json: 'awsAccessKeyId', go: 'AWSAccessKeyID', kind: 'string', goType: 'string' },
  { json: 'awsSecretAccessKey', go: 'AWSSecretAccessKey', kind: 'string', goType: 'string' },
  { json: 'awsSessionToken', go: 'AWSSessionToken', kind: 'string', goType: 'string' },
] as const;
const REGION = { json: 'region', go: 'Region', kind: 'string', goType: 'string' } as const;

const HTTP_PROVIDER = defineStruct({
  name: 'HTTP',
  goType: 'http.HTTP',
  fields: [
    { json: 'url', go: 'URL', kind: 'string', goType: 'string' },
    { json: 'headers', go: 'Headers', kind: 'stringMap', goType: 'map[string]string' },
    { json: 'signingSecret', go: 'SigningSecret', kind: 'string', goType: 'string' },
    // Extension (docs/auth.md): validated by parseHttpAuth, not by the original's rules.
    { json: 'auth', go: 'Auth', kind: 'raw', goType: 'json.RawMessage' },
  ],
});

interface AwsProviderSpec {
  readonly schema: StructSchema;
  /** The field required beside `region`. */
  readonly target: string;
  readonly label: string;
}

const AWS_PROVIDERS: Readonly<Record<Exclude<FunctionType, 'http'>, AwsProviderSpec>> = {
  awslambda: {
    schema: defineStruct({
      name: 'AWSLambda',
      goType: 'awslambda.AWSLambda',
      fields: [{ json: 'arn', go: 'ARN', kind: 'string', goType: 'string' }, REGION, ...CREDENTIALS],
    }),
    target: 'arn',
    label: 'AWS Lambda function',
  },
  awskinesis: {
    schema: defineStruct({
      name: 'AWSKinesis',
      goType: 'awskinesis.AWSKinesis',
      fields: [{ json: 'streamName', go: 'StreamName', kind: 'string', goType: 'string' }, REGION, ...CREDENTIALS],
    }),
    target: 'streamName',
    label: 'AWS Kinesis function',
  },
  awsfirehose: {
    schema: defineStruct({
      name: 'AWSFirehose',
      goType: 'awsfirehose.AWSFirehose',
      fields: [
        { json: 'deliveryStreamName', go: 'DeliveryStreamName', kind: 'string', goType: 'string' },
        REGION,
        ...CREDENTIALS,
      ],
    }),
    target: 'deliveryStreamName',
    label: 'AWS Firehose function',
  },
  awssqs: {
    schema: defineStruct({
      name: 'AWSSQS',
      goType: 'awssqs.AWSSQS',
      fields: [{ json: 'queueUrl', go: 'QueueURL', kind: 'string', goType: 'string' }, REGION, ...CREDENTIALS],
    }),
    target: 'queueUrl',
    label: 'AWS SQS function',
  },
};

const RETRY_POLICY = defineStruct({
  name: 'RetryPolicy',
  goType: 'subscription.RetryPolicy',
  fields: [
    { json: 'maxAttempts', go: 'MaxAttempts', kind: 'int', goType: 'int', pointer: true },
    { json: 'baseDelayMs', go: 'BaseDelayMs', kind: 'int', goType: 'int', pointer: true },
    { json: 'maxDelayMs', go: 'MaxDelayMs', kind: 'int', goType: 'int', pointer: true },
    { json: 'maxAgeSeconds', go: 'MaxAgeSeconds', kind: 'int', goType: 'int', pointer: true },
  ],
});

const SUBSCRIPTION = defineStruct({
  name: 'Subscription',
  goType: 'subscription.Subscription',
  fields: [
    { json: 'space', go: 'Space', kind: 'string', goType: 'string' },
    { json: 'subscriptionId', go: 'ID', kind: 'string', goType: 'subscription.ID' },
    { json: 'type', go: 'Type', kind: 'string', goType: 'subscription.Type' },
    { json: 'eventType', go: 'EventType', kind: 'string', goType: 'event.TypeName' },
    { json: 'functionId', go: 'FunctionID', kind: 'string', goType: 'function.ID' },
    { json: 'path', go: 'Path', kind: 'string', goType: 'string' },
    { json: 'method', go: 'Method', kind: 'string', goType: 'string' },
    METADATA,
    { json: 'retry', go: 'Retry', kind: 'struct', goType: 'subscription.RetryPolicy', schema: RETRY_POLICY },
    { json: 'timeoutMs', go: 'TimeoutMs', kind: 'int', goType: 'int', pointer: true },
    // Extension (docs/filters.md): checked by the filter compiler, not by the original's rules.
    { json: 'filter', go: 'Filter', kind: 'raw', goType: 'json.RawMessage' },
  ],
});

const CORS = defineStruct({
  name: 'CORS',
  goType: 'cors.CORS',
  fields: [
    { json: 'space', go: 'Space', kind: 'string', goType: 'string' },
    { json: 'corsId', go: 'ID', kind: 'string', goType: 'cors.ID' },
    { json: 'method', go: 'Method', kind: 'string', goType: 'string' },
    { json: 'path', go: 'Path', kind: 'string', goType: 'string' },
    { json: 'allowedOrigins', go: 'AllowedOrigins', kind: 'stringArray', goType: '[]string' },
    { json: 'allowedMethods', go: 'AllowedMethods', kind: 'stringArray', goType: '[]string' },
    { json: 'allowedHeaders', go: 'AllowedHeaders', kind: 'stringArray', goType: '[]string' },
    { json: 'allowCredentials', go: 'AllowCredentials', kind: 'bool', goType: 'bool' },
    METADATA,
  ],
});

const METHOD_TAG = HTTP_METHODS.map((m) => `eq=${m}`).join('|');
const CORS_DEFAULT_ORIGINS = ['*'];
const CORS_DEFAULT_METHODS = ['HEAD', 'GET', 'POST'];
const CORS_DEFAULT_HEADERS = ['Origin', 'Accept', 'Content-Type'];
const NAME_CHARSET = /^[a-zA-Z0-9.\-_]+$/;

// ---- parsers ----

/** Event type on create (POST) or update (PUT, `url.name` set: it overrides the body's `name`). */
export function parseEventType(
  body: string | Uint8Array,
  url: { space: string; name?: string },
  limits: Readonly<ModelLimits> = DEFAULT_MODEL_LIMITS,
): EventType {
  const raw = decodeBody(body, EVENT_TYPE, EVENT_TYPE_INVALID, limits);
  const name = url.name ?? raw.name ?? '';
  const errors = new FieldErrors('Type', limits);
  checkSpace(errors, url.space);
  if (errors.required('Name', name)) errors.max('Name', name);
  if (raw.authorizerId !== undefined) errors.max('AuthorizerID', raw.authorizerId);
  errors.throwIfAny(EVENT_TYPE_INVALID);
  return {
    space: url.space,
    name,
    ...(raw.authorizerId !== undefined ? { authorizerId: raw.authorizerId } : {}),
    ...metadataOf(raw.metadata),
  };
}

/**
 * Function on create or update (`url.functionId` set: it overrides the body's). Provider problems surface first,
 * as they did while the original decoded the body (docs/compatibility.md#functions), then the `Function` struct rules.
 */
export function parseFunction(
  body: string | Uint8Array,
  url: { space: string; functionId?: string },
  limits: Readonly<ModelLimits> = DEFAULT_MODEL_LIMITS,
): FunctionConfig {
  const raw = decodeBody(body, FUNCTION_JSON, FUNCTION_INVALID, limits);
  const type = raw.type ?? '';
  if (type === '') throw functionInvalid('provider configuration not set');
  if (!isFunctionType(type)) throw functionInvalid(`provider ${type} not supported`);
  if (raw.provider === undefined) throw functionInvalid('provider configuration not set'); // Q3: the original crashed
  const provider = type === 'http' ? loadHttpProvider(raw.provider) : loadAwsProvider(type, raw.provider);

  const functionId = url.functionId ?? raw.functionId ?? '';
  const errors = new FieldErrors('Function', limits);
  checkSpace(errors, url.space);
  if (errors.required('ID', functionId) && errors.pattern('ID', functionId, NAME_CHARSET, 'functionid')) {
    errors.max('ID', functionId);
  }
  errors.throwIfAny(FUNCTION_INVALID);
  const deliveryLimits = loadFunctionLimits(raw.rateLimit, raw.maxConcurrency);
  return { space: url.space, functionId, type, provider, ...metadataOf(raw.metadata), ...deliveryLimits } as FunctionConfig;
}

/**
 * Subscription on create or update: `path` gets a leading `/` (default `/`), `method` is upper-cased (default `POST`),
 * then validated; the id is derived (docs/compatibility.md#subscriptions). `retry` and `timeoutMs` are
 * docs/compatibility.md#retries-and-timeouts extensions; `filter` is the docs/filters.md extension (async only; a
 * refused pattern is a {@link FilterValidationError} naming the path inside the pattern).
 */
export function parseSubscription(
  body: string | Uint8Array,
  url: { space: string },
  limits: Readonly<ModelLimits> = DEFAULT_MODEL_LIMITS,
): Subscription {
  const raw = decodeBody(body, SUBSCRIPTION, SUBSCRIPTION_INVALID, limits);
  const type = raw.type ?? '';
  const eventType = raw.eventType ?? '';
  const functionId = raw.functionId ?? '';
  const path = (raw.path ?? '').startsWith('/') ? (raw.path as string) : `/${raw.path ?? ''}`;
  const method = raw.method ? goToUpper(raw.method) : 'POST';

  const errors = new FieldErrors('Subscription', limits);
  checkSpace(errors, url.space);
  if (errors.required('Type', type)) errors.oneOf('Type', type, ['async', 'sync'], 'eq=async|eq=sync');
  if (errors.required('EventType', eventType) && errors.pattern('EventType', eventType, NAME_CHARSET, 'eventType')) {
    errors.max('EventType', eventType);
  }
  if (errors.required('FunctionID', functionId)) errors.max('FunctionID', functionId);
  errors.max('Path', path);
  errors.oneOf('Method', method, HTTP_METHODS, METHOD_TAG);
  const retry = raw.retry ? checkRetry(errors, raw.retry) : undefined;
  if (raw.timeoutMs !== undefined) errors.range('TimeoutMs', raw.timeoutMs, 1, MAX_TIMEOUT_MS);
  errors.throwIfAny(SUBSCRIPTION_INVALID);
  const filter = raw.filter === undefined ? undefined : checkFilter(raw.filter, type as SubscriptionType);

  const key = { type: type as SubscriptionType, eventType, functionId, path, method };
  return {
    space: url.space,
    subscriptionId: subscriptionId(key),
    ...key,
    ...metadataOf(raw.metadata),
    ...(retry ? { retry } : {}),
    ...(raw.timeoutMs !== undefined ? { timeoutMs: raw.timeoutMs } : {}),
    ...(filter !== undefined ? { filter } : {}),
  };
}

/** A subscription's `filter`: `null` is the same as leaving it out; only an async subscription may have one. */
function checkFilter(node: JsonNode, type: SubscriptionType): JsonObject | undefined {
  if (node.kind === 'null') return undefined;
  if (type === 'sync') {
    throw new BadRequestError(
      `${SUBSCRIPTION_INVALID}a filter is only allowed on an async subscription: a sync subscription must answer every request`,
    );
  }
  const pattern = plainJson(node);
  const error = validateFilter(pattern);
  if (error !== undefined) throw new FilterValidationError(error, SUBSCRIPTION_INVALID);
  return pattern as JsonObject;
}

/**
 * CORS configuration on create or update: `method` must already be one of the seven upper-case methods and `path` must
 * start with `/` (neither is normalised); empty lists take the defaults of docs/compatibility.md#cors-configurations.
 */
export function parseCors(
  body: string | Uint8Array,
  url: { space: string },
  limits: Readonly<ModelLimits> = DEFAULT_MODEL_LIMITS,
): CorsConfig {
  const raw = decodeBody(body, CORS, CORS_INVALID, limits);
  const method = raw.method ?? '';
  const path = raw.path ?? '';
  const allowedOrigins = raw.allowedOrigins?.length ? raw.allowedOrigins : [...CORS_DEFAULT_ORIGINS];
  const allowedMethods = raw.allowedMethods?.length ? raw.allowedMethods : [...CORS_DEFAULT_METHODS];
  const allowedHeaders = raw.allowedHeaders?.length ? raw.allowedHeaders : [...CORS_DEFAULT_HEADERS];

  const errors = new FieldErrors('CORS', limits);
  checkSpace(errors, url.space);
  errors.oneOf('Method', method, HTTP_METHODS, METHOD_TAG);
  if (errors.check('Path', path.startsWith('/'), 'path')) errors.max('Path', path);
  errors.throwIfAny(CORS_INVALID);

  return {
    space: url.space,
    corsId: corsId(method, path),
    method,
    path,
    allowedOrigins,
    allowedMethods,
    allowedHeaders,
    allowCredentials: raw.allowCredentials ?? false,
    ...metadataOf(raw.metadata),
  };
}

// ---- decoding helpers ----

function decodeBody<const S extends StructSchema>(body: string | Uint8Array, schema: S, prefix: string, limits: Readonly<ModelLimits>) {
  try {
    return decode(body, schema, limits.maxJsonDepth);
  } catch (error) {
    throw new BodyDecodeError(prefix + (error instanceof GoJsonError ? error.message : String(error)));
  }
}

/** A provider problem: in the original these surfaced from `Function.UnmarshalJSON`, i.e. while decoding. */
function functionInvalid(message: string): BodyDecodeError {
  return new BodyDecodeError(FUNCTION_INVALID + message);
}

function isFunctionType(type: string): type is FunctionType {
  return (FUNCTION_TYPES as readonly string[]).includes(type);
}

function metadataOf(metadata: Metadata | undefined): { metadata?: Metadata } {
  return metadata && Object.keys(metadata).length > 0 ? { metadata } : {};
}

/** `json.Unmarshal` of the provider object into the type's struct (`unable to load function provider config: …`). */
function decodeProvider<const S extends StructSchema>(node: JsonNode, schema: S) {
  try {
    return decodeNode(node, schema);
  } catch (error) {
    const message = error instanceof GoJsonError ? error.message : String(error);
    throw functionInvalid(`unable to load function provider config: ${message}`);
  }
}

function loadHttpProvider(node: JsonNode): FunctionConfig['provider'] {
  const raw = decodeProvider(node, HTTP_PROVIDER);
  const url = raw.url ?? '';
  if (url === '' || !isGoUrl(url)) throw functionInvalid('missing required fields for HTTP endpoint');

  const errors = new FieldErrors('HTTP');
  const headers = raw.headers ?? {};
  for (const [name, value] of Object.entries(headers)) {
    errors.check(`Headers[${name}]`, isAllowedHeader(name, value), 'header');
  }
  const secret = raw.signingSecret ?? '';
  if (secret !== '' && secret !== SECRET_MARKER) errors.check('SigningSecret', isSigningSecret(secret), 'whsec');
  errors.throwIfAny(FUNCTION_INVALID, BodyDecodeError);
  const auth = raw.auth === undefined ? undefined : loadHttpAuth(raw.auth);

  return {
    url,
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(secret !== '' ? { signingSecret: secret } : {}),
    ...(auth !== undefined ? { auth } : {}),
  };
}

/** `provider.auth` (docs/auth.md); `null` is the same as leaving it out. */
function loadHttpAuth(node: JsonNode): HttpAuth | undefined {
  if (node.kind === 'null') return undefined;
  try {
    return parseHttpAuth(plainJson(node));
  } catch (error) {
    if (error instanceof HttpAuthError) throw functionInvalid(error.problems.join('\n'));
    throw error;
  }
}

/** `rateLimit` and `maxConcurrency` (docs/limits.md): a 400 naming each bad field. */
function loadFunctionLimits(rateLimit: JsonNode | undefined, maxConcurrency: JsonNode | undefined): ParsedFunctionLimits {
  try {
    return parseFunctionLimits(rateLimit && plainJson(rateLimit), maxConcurrency && plainJson(maxConcurrency));
  } catch (error) {
    if (error instanceof FunctionLimitsError) throw new BadRequestError(FUNCTION_INVALID + error.problems.join('\n'));
    throw error;
  }
}

/** A JSON node as plain values: the last of duplicate keys wins, as it does for Go's decoder. */
function plainJson(node: JsonNode): unknown {
  switch (node.kind) {
    case 'object': {
      const out = Object.create(null) as Record<string, unknown>; // a "__proto__" key stays a key
      for (const [key, value] of node.entries) out[key] = plainJson(value);
      return out;
    }
    case 'array':
      return node.items.map(plainJson);
    case 'number':
      return Number(node.text);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

function loadAwsProvider(type: Exclude<FunctionType, 'http'>, node: JsonNode): FunctionConfig['provider'] {
  const spec = AWS_PROVIDERS[type];
  const raw = decodeProvider(node, spec.schema) as Readonly<Record<string, unknown>>;
  const value = (key: string): string => (typeof raw[key] === 'string' ? (raw[key] as string) : '');
  if (value(spec.target) === '' || value('region') === '') {
    throw functionInvalid(`missing required fields for ${spec.label}`);
  }
  const provider: Record<string, string> = {};
  for (const key of PROVIDER_KEYS[type]) {
    if (value(key) !== '') provider[key] = value(key); // empty credentials are dropped
  }
  return provider as unknown as FunctionConfig['provider'];
}

function checkRetry(errors: FieldErrors, retry: Readonly<Record<string, number | undefined>>): RetryPolicy | undefined {
  const policy: RetryPolicy = {};
  const limits: ReadonlyArray<readonly [key: keyof RetryPolicy, go: string, max: number]> = [
    ['maxAttempts', 'MaxAttempts', MAX_RETRY_ATTEMPTS],
    ['baseDelayMs', 'BaseDelayMs', Number.MAX_SAFE_INTEGER],
    ['maxDelayMs', 'MaxDelayMs', Number.MAX_SAFE_INTEGER],
    ['maxAgeSeconds', 'MaxAgeSeconds', Number.MAX_SAFE_INTEGER],
  ];
  for (const [key, go, max] of limits) {
    const value = retry[key];
    if (value === undefined) continue;
    errors.range(`Retry.${go}`, value, 1, max);
    policy[key] = value;
  }
  return Object.keys(policy).length > 0 ? policy : undefined;
}

// ---- go-playground/validator style messages ----

/**
 * Collects `Key: '<Struct>.<Field>' Error:Field validation for '<Field>' failed on the '<tag>' tag` lines in
 * struct field order. Like the validator, each field reports only its first failing rule: the helpers return
 * whether the rule passed, so callers chain the next rule of the same field on success.
 */
class FieldErrors {
  private readonly lines: string[] = [];

  constructor(
    private readonly struct: string,
    private readonly limits: Readonly<ModelLimits> = DEFAULT_MODEL_LIMITS,
  ) {}

  fail(field: string, tag: string): false {
    const bracket = field.indexOf('[');
    const leaf = field.slice((bracket >= 0 ? field.slice(0, bracket) : field).lastIndexOf('.') + 1);
    this.lines.push(`Key: '${this.struct}.${field}' Error:Field validation for '${leaf}' failed on the '${tag}' tag`);
    return false;
  }

  check(field: string, ok: boolean, tag: string): boolean {
    return ok || this.fail(field, tag);
  }

  required(field: string, value: string): boolean {
    return this.check(field, value !== '', 'required');
  }

  min(field: string, value: string, min: number): boolean {
    return this.check(field, runeCount(value) >= min, 'min');
  }

  /** Longest id or name: `maxIdLength` characters (docs/compatibility.md#limits). */
  max(field: string, value: string): boolean {
    return this.check(field, runeCount(value) <= this.limits.maxIdLength, 'max');
  }

  pattern(field: string, value: string, pattern: RegExp, tag: string): boolean {
    return this.check(field, pattern.test(value), tag);
  }

  oneOf(field: string, value: string, allowed: readonly string[], tag: string): boolean {
    return this.check(field, allowed.includes(value), tag);
  }

  range(field: string, value: number, min: number, max: number): boolean {
    return this.check(field, value >= min, 'min') && this.check(field, value <= max, 'max');
  }

  throwIfAny(prefix: string, as: typeof BadRequestError = BadRequestError): void {
    if (this.lines.length > 0) throw new as(prefix + this.lines.join('\n'));
  }
}

/** `Space`: `required,min=3,space` in the original, plus our length limit. */
function checkSpace(errors: FieldErrors, space: string): void {
  if (errors.required('Space', space) && errors.min('Space', space, 3) && errors.pattern('Space', space, NAME_CHARSET, 'space')) {
    errors.max('Space', space);
  }
}

/** Characters as Go's validator counts them for `min`/`max` on strings (runes, i.e. code points). */
function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) i++;
    }
    n++;
  }
  return n;
}

/** Go's `strings.ToUpper`: per-character simple mapping (a character whose upper case is several stays as is). */
function goToUpper(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s.toUpperCase();
  let out = '';
  for (const ch of s) {
    const upper = ch.toUpperCase();
    out += [...upper].length === 1 ? upper : ch;
  }
  return out;
}

// ---- http provider: URL and extension rules ----

/**
 * go-playground/validator's `url` rule: the text before any `#` must be non-empty, parse with Go's
 * `url.ParseRequestURI`, and have a scheme. A port of the parts of `net/url` that can reject an input.
 */
export function isGoUrl(raw: string): boolean {
  const hash = raw.indexOf('#');
  const s = hash >= 0 ? raw.slice(0, hash) : raw;
  if (s === '' || /[\x00-\x1f\x7f]/.test(s)) return false;
  const colon = schemeEnd(s);
  if (colon <= 0) return false; // no scheme (or "missing protocol scheme")
  let rest = s.slice(colon + 1);
  const question = rest.indexOf('?');
  if (question >= 0) rest = rest.slice(0, question);
  if (!rest.startsWith('/')) return true; // "scheme:opaque"
  if (rest.startsWith('//')) {
    let authority = rest.slice(2);
    const slash = authority.indexOf('/');
    rest = slash >= 0 ? authority.slice(slash) : '';
    if (slash >= 0) authority = authority.slice(0, slash);
    if (!isValidAuthority(authority)) return false;
  }
  return unescapes(rest, 'path');
}

/** Index of the `:` ending a valid scheme; -1 when there is none, 0 for a leading `:`. */
function schemeEnd(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) continue;
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) {
      if (i === 0) return -1;
      continue;
    }
    return c === 0x3a ? i : -1;
  }
  return -1;
}

function isValidAuthority(authority: string): boolean {
  const at = authority.lastIndexOf('@');
  if (!isValidHost(at < 0 ? authority : authority.slice(at + 1))) return false;
  if (at < 0) return true;
  const userinfo = authority.slice(0, at);
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) return false;
  return userinfo.split(':').every((part) => unescapes(part, 'userinfo'));
}

function isValidHost(host: string): boolean {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0 || !isValidOptionalPort(host.slice(close + 1))) return false;
    const zone = host.slice(0, close).indexOf('%25');
    if (zone >= 0) {
      return unescapes(host.slice(0, zone), 'host') && unescapes(host.slice(zone, close), 'zone') && unescapes(host.slice(close), 'host');
    }
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && !isValidOptionalPort(host.slice(colon))) return false;
  }
  return unescapes(host, 'host');
}

function isValidOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port);
}

const HOST_SAFE = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"]$/;
const isHexChar = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

/** Go's `unescape` error checks: well-formed `%XX`, and in hosts only the bytes a host may hold. */
function unescapes(s: string, mode: 'path' | 'userinfo' | 'host' | 'zone'): boolean {
  const hostLike = mode === 'host' || mode === 'zone';
  for (let i = 0; i < s.length; ) {
    const c = s[i] as string;
    if (c === '%') {
      if (i + 2 >= s.length || !isHexChar(s[i + 1]) || !isHexChar(s[i + 2])) return false;
      const escape = s.slice(i, i + 3);
      const byte = parseInt(escape.slice(1), 16);
      if (mode === 'host' && byte < 0x80 && escape !== '%25') return false;
      if (mode === 'zone' && escape !== '%25' && byte !== 0x20 && !HOST_SAFE.test(String.fromCharCode(byte))) return false;
      i += 3;
      continue;
    }
    if (hostLike && c.charCodeAt(0) < 0x80 && !HOST_SAFE.test(c)) return false;
    i++;
  }
  return true;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers the gateway owns on a delivery: framing, hop-by-hop, and the Standard Webhooks signature headers. */
const RESERVED_HEADER =
  /^(host|content-length|transfer-encoding|connection|keep-alive|proxy-connection|upgrade|te|trailer|webhook-.*)$/i;

function isAllowedHeader(name: string, value: string): boolean {
  return HEADER_NAME.test(name) && !RESERVED_HEADER.test(name) && HEADER_VALUE.test(value);
}

/**
 * `whsec_` followed by standard base64 of at least one byte (Standard Webhooks,
 * docs/compatibility.md#signed-deliveries).
 */
function isSigningSecret(secret: string): boolean {
  if (!secret.startsWith('whsec_')) return false;
  const encoded = secret.slice('whsec_'.length);
  const body = encoded.replace(/={1,2}$/, '');
  if (!/^[A-Za-z0-9+/]+$/.test(body) || body.length % 4 === 1) return false;
  if (body.length !== encoded.length && encoded.length % 4 !== 0) return false;
  return Math.floor((body.length * 3) / 4) >= 1;
}
