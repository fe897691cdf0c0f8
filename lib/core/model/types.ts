import type { JsonObject } from '../cloudevents/model.js';
import type { HttpAuth } from './auth.js';
import type { RateLimit } from './function-limits.js';

/**
 * The configuration model (docs/compatibility.md#config-api). Field order in these interfaces is the JSON key order of
 * the config API's output, which the serialisers in `serialize.ts` follow.
 */

/** Free-form string→string labels on every resource; omitted from output when empty. */
export type Metadata = Record<string, string>;

export const FUNCTION_TYPES = ['awslambda', 'http', 'awskinesis', 'awsfirehose', 'awssqs'] as const;
export type FunctionType = (typeof FUNCTION_TYPES)[number];

export const HTTP_METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface EventType {
  space: string;
  name: string;
  authorizerId?: string;
  metadata?: Metadata;
}

export interface AwsCredentials {
  awsAccessKeyId?: string;
  /** A secret: never returned by the config API (docs/compatibility.md#deliberate-differences). */
  awsSecretAccessKey?: string;
  /** A secret: never returned by the config API (docs/compatibility.md#deliberate-differences). */
  awsSessionToken?: string;
}

export interface HttpProvider {
  url: string;
  /** Static headers sent with every call (API keys for cross-cloud targets). Values are secrets. */
  headers?: Record<string, string>;
  /** `whsec_…` Standard Webhooks signing secret for async deliveries. A secret. */
  signingSecret?: string;
  /** Extension (docs/auth.md): how the gateway authenticates to the target; omitted when unset. */
  auth?: HttpAuth;
}

export interface LambdaProvider extends AwsCredentials {
  arn: string;
  region: string;
}

export interface KinesisProvider extends AwsCredentials {
  streamName: string;
  region: string;
}

export interface FirehoseProvider extends AwsCredentials {
  deliveryStreamName: string;
  region: string;
}

export interface SqsProvider extends AwsCredentials {
  queueUrl: string;
  region: string;
}

export interface ProviderByType {
  http: HttpProvider;
  awslambda: LambdaProvider;
  awskinesis: KinesisProvider;
  awsfirehose: FirehoseProvider;
  awssqs: SqsProvider;
}

interface FunctionOf<T extends FunctionType> {
  space: string;
  functionId: string;
  type: T;
  provider: ProviderByType[T];
  metadata?: Metadata;
  /** Extension (docs/limits.md): calls started per second, across every process; omitted when unset. */
  rateLimit?: RateLimit;
  /** Extension (docs/limits.md): calls in flight at once, across every process; omitted when unset. */
  maxConcurrency?: number;
}

export type FunctionConfig = { [T in FunctionType]: FunctionOf<T> }[FunctionType];

export type SubscriptionType = 'async' | 'sync';

/**
 * Retry policy of an async subscription (docs/compatibility.md#retries-and-timeouts). Unset fields take the defaults.
 */
export interface RetryPolicy {
  /** @default 10 */
  maxAttempts?: number;
  /** @default 1000 */
  baseDelayMs?: number;
  /** @default 300000 */
  maxDelayMs?: number;
  /** @default 86400 */
  maxAgeSeconds?: number;
}

export interface Subscription {
  space: string;
  subscriptionId: string;
  type: SubscriptionType;
  eventType: string;
  functionId: string;
  path: string;
  method: string;
  metadata?: Metadata;
  /**
   * Extension (docs/compatibility.md#retries-and-timeouts): omitted when unset; not part of the id; a PUT may change
   * it.
   */
  retry?: RetryPolicy;
  /**
   * Extension (docs/compatibility.md#retries-and-timeouts): bounds one invocation. Default 5000 for http functions,
   * none for AWS types.
   */
  timeoutMs?: number;
  /**
   * Extension (docs/filters.md): an EventBridge-style event pattern; only events it matches are queued for this
   * (async only) subscription. Omitted when unset; not part of the id; a PUT may change it.
   */
  filter?: JsonObject;
}

export interface CorsConfig {
  space: string;
  corsId: string;
  method: string;
  path: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  allowCredentials: boolean;
  metadata?: Metadata;
}

/** The four kinds of configuration item the registry holds. */
export type Kind = 'eventtype' | 'function' | 'subscription' | 'cors';

export interface ItemByKind {
  eventtype: EventType;
  function: FunctionConfig;
  subscription: Subscription;
  cors: CorsConfig;
}

export type AnyItem = ItemByKind[Kind];

/** The identifier of an item within its space and kind. */
export function idOf<K extends Kind>(kind: K, item: ItemByKind[K]): string {
  switch (kind) {
    case 'eventtype':
      return (item as EventType).name;
    case 'function':
      return (item as FunctionConfig).functionId;
    case 'subscription':
      return (item as Subscription).subscriptionId;
    default:
      return (item as CorsConfig).corsId;
  }
}
