import type { LogFormat } from '../observability/logger.js';
import { DEFAULT_LOG_LEVEL, SETTINGS } from '../settings/index.js';

export { DEFAULT_CONFIG_PORT, DEFAULT_DATA_DIR, DEFAULT_EVENTS_PORT, DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../settings/index.js';

/** Seconds between the router's EMF documents with `routerOnly` when `emfInterval` is not given. */
const DEFAULT_ROUTER_EMF_INTERVAL = 60;

/**
 * Everything the local gateway can be started with: the settings of the table in lib/settings that have a flag (its
 * flags, variables and defaults; test/settings checks the two agree). Defaults are applied once, in
 * {@link resolveOptions}.
 */
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
  /**
   * Connections API port (where the original's connector service listened); 0 picks a free one. Not served with
   * `routerOnly`.
   * @default 4002
   */
  connectorPort?: number;
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

/** Fills in every default (from the settings table, lib/settings); the settings without one stay unset. */
export function resolveOptions(options: GatewayOptions): ResolvedGatewayOptions {
  const dev = options.dev ?? false;
  const routerOnly = options.routerOnly ?? false;
  return {
    dev,
    host: options.host ?? (dev ? '127.0.0.1' : '0.0.0.0'),
    configPort: options.configPort ?? SETTINGS.configPort.default,
    eventsPort: options.eventsPort ?? SETTINGS.eventsPort.default,
    connectorPort: options.connectorPort ?? SETTINGS.connectorPort.default,
    dataDir: options.dataDir ?? SETTINGS.dataDir.default,
    workers: options.workers ?? SETTINGS.workers.default,
    maxPending: options.maxPending ?? SETTINGS.maxPending.default,
    durability: options.durability ?? SETTINGS.durability.default,
    cloudEventsVersion: options.cloudEventsVersion ?? SETTINGS.cloudEventsVersion.default,
    hooks: options.hooks ?? [],
    maxBodyBytes: options.maxBodyBytes ?? SETTINGS.maxBodyBytes.default,
    maxBatchSize: options.maxBatchSize ?? SETTINGS.maxBatchSize.default,
    maxHeaders: options.maxHeaders ?? SETTINGS.maxHeaders.default,
    maxHeaderBytes: options.maxHeaderBytes ?? SETTINGS.maxHeaderBytes.default,
    maxJsonDepth: options.maxJsonDepth ?? SETTINGS.maxJsonDepth.default,
    maxIdLength: options.maxIdLength ?? SETTINGS.maxIdLength.default,
    adminKey: options.adminKey || undefined,
    publicMetrics: options.publicMetrics ?? SETTINGS.publicMetrics.default,
    store: options.store ?? SETTINGS.store.default,
    queue: options.queue ?? SETTINGS.queue.default,
    dynamodbTablePrefix: options.dynamodbTablePrefix ?? SETTINGS.dynamodbTablePrefix.default,
    dynamodbEndpoint: options.dynamodbEndpoint || undefined,
    sqsQueueUrl: options.sqsQueueUrl || undefined,
    sqsEndpoint: options.sqsEndpoint || undefined,
    routerOnly,
    emfInterval: options.emfInterval ?? (routerOnly ? DEFAULT_ROUTER_EMF_INTERVAL : 0),
    metricsNamespace: options.metricsNamespace ?? SETTINGS.metricsNamespace.default,
    loopbackMetrics: options.loopbackMetrics ?? SETTINGS.loopbackMetrics.default,
    streamRelay: options.streamRelay ?? SETTINGS.streamRelay.default,
    streamRelayLeaseMs: options.streamRelayLeaseMs ?? SETTINGS.streamRelayLeaseMs.default,
    allowTargets: options.allowTargets || undefined,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? SETTINGS.shutdownTimeoutMs.default,
    logLevel: options.logLevel ?? DEFAULT_LOG_LEVEL,
    logFormat: options.logFormat ?? (dev ? 'text' : 'json'),
  };
}
