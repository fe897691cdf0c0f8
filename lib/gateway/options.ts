import type { LogFormat } from '../observability/logger.js';

/** Everything the local gateway can be started with. Defaults are applied once, in {@link resolveOptions}. */
export interface GatewayOptions {
  /**
   * Dev mode (docs/operations.md#flags): binds 127.0.0.1, human-readable logs, no access keys, loopback targets
   * allowed.
   * @default false
   */
  dev?: boolean;
  /** Interface to bind. @default '127.0.0.1' with `dev`, otherwise '0.0.0.0' */
  host?: string;
  /** Config API port; 0 picks a free one. @default 4001 */
  configPort?: number;
  /** Events API port; 0 picks a free one. @default 4000 */
  eventsPort?: number;
  /** Folder of the embedded store; `':memory:'` keeps everything in memory (tests). @default './.event-gateway' */
  dataDir?: string;
  /** Async deliveries in flight at once. @default 64 */
  workers?: number;
  /** Pending async items beyond which new events get 429 (docs/compatibility.md#durable-delivery). @default 100000 */
  maxPending?: number;
  /**
   * What an accepted event survives: 'process' a crash of the gateway (SQLite WAL, synchronous=NORMAL), 'power'
   * also a power loss (an fsync per group commit).
   * @default 'process'
   */
  durability?: 'process' | 'power';
  /** Spec version of gateway-made events (http.request, legacy, system). @default '0.1' */
  cloudEventsVersion?: '0.1' | '1.0';
  /** Hooks modules to load (docs/compatibility.md#hooks). @default [] */
  hooks?: string[];
  /** Largest events-API request body in bytes. @default 262144 */
  maxBodyBytes?: number;
  /** Most events in one CloudEvents batch. @default 100 */
  maxBatchSize?: number;
  /** Most header lines in one request (both APIs); more get 431. @default 100 */
  maxHeaders?: number;
  /** Largest size of all headers of one request, in bytes; more get 431. @default 16384 */
  maxHeaderBytes?: number;
  /** Deepest JSON nesting in a body (both APIs). @default 64 */
  maxJsonDepth?: number;
  /** Longest id, name or path in the config API, in characters. @default 256 */
  maxIdLength?: number;
  /**
   * An all-spaces access key that is not stored (the first admin key, docs/compatibility.md#access-keys). Outside dev
   * mode the config API needs a key; this one bootstraps the others.
   * @default none
   */
  adminKey?: string;
  /** Serve `/v1/metrics` without an access key. @default false */
  publicMetrics?: boolean;
  /**
   * CIDR ranges `http` functions may reach beyond the public internet, e.g. `10.0.0.0/8,127.0.0.1/32`
   * (docs/compatibility.md#ssrf-guard: loopback, link-local, private, CGNAT and ULA addresses are refused by default;
   * `dev` allows loopback).
   * @default none
   */
  allowTargets?: string;
  /** Where the registry, dead letters and access keys live. @default 'sqlite' (in `dataDir`) */
  store?: 'sqlite' | 'dynamodb';
  /** Where accepted async items wait. @default 'sqlite' (in `dataDir`) */
  queue?: 'sqlite' | 'sqs';
  /** Prefix of the DynamoDB tables. @default 'event-gateway-' */
  dynamodbTablePrefix?: string;
  /** A DynamoDB-compatible endpoint (DynamoDB Local); missing tables are then created. @default AWS */
  dynamodbEndpoint?: string;
  /** The SQS queue of async fan-out (needed with `queue: 'sqs'`). */
  sqsQueueUrl?: string;
  /** An SQS-compatible endpoint. @default AWS */
  sqsEndpoint?: string;
  /**
   * Serve the events API, and only `/v1/status` and `/v1/metrics` on the config port (the container on AWS, where
   * Lambda serves the config API). With the SQS queue it also runs no delivery workers: the delivery Lambda does.
   * @default false
   */
  routerOnly?: boolean;
  /**
   * On a graceful shutdown, how long sync calls and async deliveries in flight may take to finish; those still in
   * flight then are cancelled (their items stay queued and are delivered after the next start). Below ECS's 30 s
   * stop timeout.
   * @default 25000
   */
  shutdownTimeoutMs?: number;
  /**
   * Seconds between the router's Embedded Metric Format documents on stdout (CloudWatch metrics on AWS); 0 writes
   * none.
   * @default 60 with `routerOnly`, otherwise 0
   */
  emfInterval?: number;
  /** CloudWatch namespace of those documents. @default 'EventGateway' */
  metricsNamespace?: string;
  /**
   * Serve `/v1/metrics` without an access key to clients on the loopback interface only (a Prometheus sidecar in
   * the same task); every other client still needs a key.
   * @default false
   */
  loopbackMetrics?: boolean;
  /**
   * With `store: 'dynamodb'`, whether this process relays the registry table's Stream into the change log that
   * every process polls: 'auto' relays unless `routerOnly` (one relay at a time holds a lease; the others stand
   * by), 'off' never (a deployment where the invalidation Lambda does it, as the CDK stack's).
   * @default 'auto'
   */
  streamRelay?: 'auto' | 'off';
  /** How long the relay's lease lasts unrenewed: the longest a takeover waits after a relay dies. @default 10000 */
  streamRelayLeaseMs?: number;
  /** @default 'info' */
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** @default 'text' with `dev`, otherwise 'json' */
  logFormat?: LogFormat;
}

type OptionalSettings = 'adminKey' | 'dynamodbEndpoint' | 'sqsQueueUrl' | 'sqsEndpoint' | 'allowTargets';
export type ResolvedGatewayOptions = Required<Omit<GatewayOptions, OptionalSettings>> & Pick<GatewayOptions, OptionalSettings>;

export const DEFAULT_CONFIG_PORT = 4001;
export const DEFAULT_EVENTS_PORT = 4000;
export const DEFAULT_DATA_DIR = './.event-gateway';
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;

export function resolveOptions(options: GatewayOptions): ResolvedGatewayOptions {
  const dev = options.dev ?? false;
  return {
    dev,
    host: options.host ?? (dev ? '127.0.0.1' : '0.0.0.0'),
    configPort: options.configPort ?? DEFAULT_CONFIG_PORT,
    eventsPort: options.eventsPort ?? DEFAULT_EVENTS_PORT,
    dataDir: options.dataDir ?? DEFAULT_DATA_DIR,
    workers: options.workers ?? 64,
    maxPending: options.maxPending ?? 100_000,
    durability: options.durability ?? 'process',
    cloudEventsVersion: options.cloudEventsVersion ?? '0.1',
    hooks: options.hooks ?? [],
    maxBodyBytes: options.maxBodyBytes ?? 256 * 1024,
    maxBatchSize: options.maxBatchSize ?? 100,
    maxHeaders: options.maxHeaders ?? 100,
    maxHeaderBytes: options.maxHeaderBytes ?? 16 * 1024,
    maxJsonDepth: options.maxJsonDepth ?? 64,
    maxIdLength: options.maxIdLength ?? 256,
    ...(options.adminKey ? { adminKey: options.adminKey } : {}),
    publicMetrics: options.publicMetrics ?? false,
    store: options.store ?? 'sqlite',
    queue: options.queue ?? 'sqlite',
    dynamodbTablePrefix: options.dynamodbTablePrefix ?? 'event-gateway-',
    ...(options.dynamodbEndpoint ? { dynamodbEndpoint: options.dynamodbEndpoint } : {}),
    ...(options.sqsQueueUrl ? { sqsQueueUrl: options.sqsQueueUrl } : {}),
    ...(options.sqsEndpoint ? { sqsEndpoint: options.sqsEndpoint } : {}),
    routerOnly: options.routerOnly ?? false,
    emfInterval: options.emfInterval ?? (options.routerOnly ? 60 : 0),
    metricsNamespace: options.metricsNamespace ?? 'EventGateway',
    loopbackMetrics: options.loopbackMetrics ?? false,
    streamRelay: options.streamRelay ?? 'auto',
    streamRelayLeaseMs: options.streamRelayLeaseMs ?? 10_000,
    ...(options.allowTargets ? { allowTargets: options.allowTargets } : {}),
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
    logLevel: options.logLevel ?? 'info',
    logFormat: options.logFormat ?? (dev ? 'text' : 'json'),
  };
}
