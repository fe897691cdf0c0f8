import { BadRequestError } from '../errors/index.js';
import { HttpAuthError, httpAuthJson, mergeAuthSecrets, type HttpAuth } from './auth.js';
import type {
  CorsConfig,
  EventType,
  FunctionConfig,
  FunctionType,
  ItemByKind,
  Kind,
  Metadata,
  RetryPolicy,
  Subscription,
} from './types.js';

/**
 * What the config API shows in place of a secret; sent back on PUT it keeps the stored value
 * (docs/compatibility.md#deliberate-differences).
 */
export const SECRET_MARKER = '********';

/** Provider keys per function type, in the Go structs' order (= JSON output order). */
export const PROVIDER_KEYS = {
  http: ['url', 'headers', 'signingSecret', 'auth'],
  awslambda: ['arn', 'region', 'awsAccessKeyId', 'awsSecretAccessKey', 'awsSessionToken'],
  awskinesis: ['streamName', 'region', 'awsAccessKeyId', 'awsSecretAccessKey', 'awsSessionToken'],
  awsfirehose: ['deliveryStreamName', 'region', 'awsAccessKeyId', 'awsSecretAccessKey', 'awsSessionToken'],
  awssqs: ['queueUrl', 'region', 'awsAccessKeyId', 'awsSecretAccessKey', 'awsSessionToken'],
} as const satisfies Record<FunctionType, readonly string[]>;

/** Provider keys whose values are secrets (http `headers` values are secrets too; handled per header). */
const SECRET_KEYS: ReadonlySet<string> = new Set(['awsSecretAccessKey', 'awsSessionToken', 'signingSecret']);

const RETRY_KEYS = ['maxAttempts', 'baseDelayMs', 'maxDelayMs', 'maxAgeSeconds'] as const;

function nonEmpty(metadata: Metadata | undefined): metadata is Metadata {
  return metadata !== undefined && Object.keys(metadata).length > 0;
}

function copyRecord(record: Readonly<Record<string, string>>, mapValue?: (value: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, mapValue ? mapValue(v) : v]));
}

/**
 * The config API representation of an item (docs/compatibility.md#config-api): keys in the original's order, optional
 * fields omitted when empty, `allowCredentials` always present, and secrets replaced by {@link SECRET_MARKER}.
 */
export function toJson<K extends Kind>(kind: K, item: ItemByKind[K]): ItemByKind[K] {
  switch (kind) {
    case 'eventtype':
      return eventTypeJson(item as EventType) as ItemByKind[K];
    case 'function':
      return functionJson(item as FunctionConfig) as ItemByKind[K];
    case 'subscription':
      return subscriptionJson(item as Subscription) as ItemByKind[K];
    default:
      return corsJson(item as CorsConfig) as ItemByKind[K];
  }
}

function eventTypeJson(t: EventType): EventType {
  return {
    space: t.space,
    name: t.name,
    ...(t.authorizerId ? { authorizerId: t.authorizerId } : {}),
    ...(nonEmpty(t.metadata) ? { metadata: copyRecord(t.metadata) } : {}),
  };
}

function functionJson(f: FunctionConfig): FunctionConfig {
  const provider = f.provider as unknown as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const key of PROVIDER_KEYS[f.type]) {
    const value = provider[key];
    if (key === 'headers') {
      const headers = value as Record<string, string> | undefined;
      if (headers && Object.keys(headers).length > 0) out[key] = copyRecord(headers, () => SECRET_MARKER);
    } else if (key === 'auth') {
      if (value !== undefined) out[key] = httpAuthJson(value as HttpAuth);
    } else if (typeof value === 'string' && value !== '') {
      out[key] = SECRET_KEYS.has(key) ? SECRET_MARKER : value;
    }
  }
  return {
    space: f.space,
    functionId: f.functionId,
    type: f.type,
    provider: out as unknown as FunctionConfig['provider'],
    ...(nonEmpty(f.metadata) ? { metadata: copyRecord(f.metadata) } : {}),
    ...(f.rateLimit ? { rateLimit: { perSecond: f.rateLimit.perSecond } } : {}),
    ...(f.maxConcurrency !== undefined ? { maxConcurrency: f.maxConcurrency } : {}),
  } as FunctionConfig;
}

function retryJson(retry: RetryPolicy | undefined): RetryPolicy | undefined {
  if (!retry) return undefined;
  const out: RetryPolicy = {};
  for (const key of RETRY_KEYS) {
    const value = retry[key];
    if (value !== undefined) out[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function subscriptionJson(s: Subscription): Subscription {
  const retry = retryJson(s.retry);
  return {
    space: s.space,
    subscriptionId: s.subscriptionId,
    type: s.type,
    eventType: s.eventType,
    functionId: s.functionId,
    path: s.path,
    method: s.method,
    ...(nonEmpty(s.metadata) ? { metadata: copyRecord(s.metadata) } : {}),
    ...(retry ? { retry } : {}),
    ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}),
    ...(s.filter !== undefined ? { filter: s.filter } : {}),
  };
}

function corsJson(c: CorsConfig): CorsConfig {
  return {
    space: c.space,
    corsId: c.corsId,
    method: c.method,
    path: c.path,
    allowedOrigins: [...c.allowedOrigins],
    allowedMethods: [...c.allowedMethods],
    allowedHeaders: [...c.allowedHeaders],
    allowCredentials: c.allowCredentials === true,
    ...(nonEmpty(c.metadata) ? { metadata: copyRecord(c.metadata) } : {}),
  };
}

const GO_PROVIDER: Readonly<Record<FunctionType, string>> = {
  http: 'HTTP',
  awslambda: 'AWSLambda',
  awskinesis: 'AWSKinesis',
  awsfirehose: 'AWSFirehose',
  awssqs: 'AWSSQS',
};

const GO_SECRET_FIELD: Readonly<Record<string, string>> = {
  awsSecretAccessKey: 'AWSSecretAccessKey',
  awsSessionToken: 'AWSSessionToken',
  signingSecret: 'SigningSecret',
};

function keptSecretMissing(type: FunctionType, goField: string): BadRequestError {
  const ns = `${GO_PROVIDER[type]}.${goField}`;
  return new BadRequestError(
    `Function doesn't validate. Validation error: Key: '${ns}' Error:Field validation for '${goField}' failed on the 'secret' tag`,
  );
}

/**
 * Puts stored secrets back where `incoming` carries {@link SECRET_MARKER} (a client sending back what GET showed).
 * AWS credentials carry over between AWS types; http header values are matched by header name (exactly, else
 * case-insensitively). A marker with no stored value to keep is refused with a 400 in the validator style
 * (`failed on the 'secret' tag`): storing the marker as a real secret, or silently dropping it, would both
 * surprise the client.
 */
export function mergeSecrets(incoming: FunctionConfig, stored: FunctionConfig | undefined): FunctionConfig {
  const provider = incoming.provider as unknown as Readonly<Record<string, unknown>>;
  const storedProvider = stored?.provider as unknown as Readonly<Record<string, unknown>> | undefined;
  const storedIsHttp = stored?.type === 'http';
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(provider)) {
    if (key === 'headers' && incoming.type === 'http') {
      merged[key] = mergeHeaders(value as Record<string, string>, storedIsHttp ? storedProvider?.headers : undefined);
    } else if (key === 'auth' && incoming.type === 'http') {
      merged[key] = mergeAuth(value as HttpAuth, storedIsHttp ? (storedProvider?.auth as HttpAuth | undefined) : undefined);
    } else if (SECRET_KEYS.has(key) && value === SECRET_MARKER) {
      const sameFamily = key === 'signingSecret' ? storedIsHttp : stored !== undefined && stored.type !== 'http';
      const kept = sameFamily ? storedProvider?.[key] : undefined;
      if (typeof kept !== 'string' || kept === '') throw keptSecretMissing(incoming.type, GO_SECRET_FIELD[key] ?? key);
      merged[key] = kept;
    } else {
      merged[key] = value;
    }
  }
  return { ...incoming, provider: merged as unknown as FunctionConfig['provider'] } as FunctionConfig;
}

function mergeAuth(incoming: HttpAuth, stored: HttpAuth | undefined): HttpAuth {
  try {
    return mergeAuthSecrets(incoming, stored);
  } catch (error) {
    if (error instanceof HttpAuthError) throw new BadRequestError(`Function doesn't validate. Validation error: ${error.problems.join('\n')}`);
    throw error;
  }
}

function mergeHeaders(incoming: Record<string, string>, stored: unknown): Record<string, string> {
  const storedHeaders = (stored ?? {}) as Record<string, string>;
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(incoming)) {
    if (value !== SECRET_MARKER) {
      out.set(name, value);
      continue;
    }
    const lower = name.toLowerCase();
    const kept =
      Object.hasOwn(storedHeaders, name)
        ? storedHeaders[name]
        : Object.entries(storedHeaders).find(([n]) => n.toLowerCase() === lower)?.[1];
    if (kept === undefined) throw keptSecretMissing('http', `Headers[${name}]`);
    out.set(name, kept);
  }
  return Object.fromEntries(out);
}
