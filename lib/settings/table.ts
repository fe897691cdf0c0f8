import {
  DEFAULT_ACCESS_KEY_CACHE_MS,
  DEFAULT_CLOUDEVENTS_VERSION,
  DEFAULT_CONFIG_PORT,
  DEFAULT_DATA_DIR,
  DEFAULT_EVENTS_PORT,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_HEADERS,
  DEFAULT_MAX_ID_LENGTH,
  DEFAULT_MAX_JSON_DEPTH,
  DEFAULT_MAX_PENDING,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_STREAM_RELAY_LEASE_MS,
  DEFAULT_TABLE_PREFIX,
  DEFAULT_WORKERS,
  MAX_ADMIN_KEY_CACHE_MS,
} from './defaults.js';
import { boolean, list, nonNegativeInteger, oneOf, port, positiveInteger, secondsAsMs, text, wholeNumber, type Parser } from './parse.js';

/** Who reads a setting: the CLI (locally, and the router container on AWS, which runs it), or the Lambda handlers. */
export type Runtime = 'cli' | 'lambda';

/** One option of the gateway: its flag, its environment variable, its default, how its text is read, what it does. */
export interface Setting<T> {
  /** The long flag and its placeholder (`--config-port <port>`); a switch has none (`--dev`). Absent: a variable only. */
  readonly flag?: string;
  /** The environment variable. Every flag's is `EVENT_GATEWAY_<FLAG>`, upper case with `_` for `-`. */
  readonly env: string;
  /** The value when neither the flag nor the variable is given. Absent: unset, or {@link defaultText}. */
  readonly default?: NoInfer<T>;
  /** How the default reads in `--help` and the docs when it depends on other settings (`60 with --router-only, else 0`). */
  readonly defaultText?: string;
  /** Reads the flag's argument or the variable's text. Absent on switches (the variable: `true` or `false`). */
  readonly parse: Parser<T>;
  /** The values `--help` offers and the CLI accepts. */
  readonly choices?: readonly string[];
  /** One line for `--help` and the docs. */
  readonly doc: string;
  /** Another name of this setting's flag (the original's), hidden from `--help`. */
  readonly aliasOf?: string;
  readonly readBy: readonly Runtime[];
}

function setting<T>(definition: Setting<T> & { readonly default: NoInfer<T> }): Setting<T> & { readonly default: T };
function setting<T>(definition: Setting<T>): Setting<T>;
function setting<T>(definition: Setting<T>): Setting<T> {
  return definition;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** The Lambdas' logger (pino) also takes these. */
const LAMBDA_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LAMBDA_LOG_LEVELS)[number];

/**
 * Every option of the gateway, in the order of `--help`. The CLI's flags and help (lib/cli), the Lambdas' env readers
 * (lib/lambda/settings.ts, lib/gateway/aws.ts), the environment the CDK stack gives the container and the Lambdas
 * (lib/infra) and the flag tables of README.md and docs/operations.md are derived from it, or checked against it by
 * test/settings.
 */
export const SETTINGS = {
  dev: setting({ flag: '--dev', env: 'EVENT_GATEWAY_DEV', default: false, parse: boolean, doc: 'dev mode: bind 127.0.0.1, human-readable logs, no access keys, loopback targets allowed', readBy: ['cli'] }),
  host: setting({ flag: '--host <address>', env: 'EVENT_GATEWAY_HOST', defaultText: '127.0.0.1 with --dev, otherwise 0.0.0.0', parse: text, doc: 'interface to bind', readBy: ['cli'] }),
  configPort: setting({ flag: '--config-port <port>', env: 'EVENT_GATEWAY_CONFIG_PORT', default: DEFAULT_CONFIG_PORT, parse: port, doc: 'config API port', readBy: ['cli'] }),
  connectorPort: setting({ flag: '--connector-port <port>', env: 'EVENT_GATEWAY_CONNECTOR_PORT', default: 4002, parse: port, doc: "connections API port (the original connector service's)", readBy: ['cli'] }),
  eventsPort: setting({ flag: '--events-port <port>', env: 'EVENT_GATEWAY_EVENTS_PORT', default: DEFAULT_EVENTS_PORT, parse: port, doc: 'events API port', readBy: ['cli'] }),
  dataDir: setting({ flag: '--data-dir <path>', env: 'EVENT_GATEWAY_DATA_DIR', default: DEFAULT_DATA_DIR, parse: text, doc: 'folder of the embedded store (registry, queue, dead letters)', readBy: ['cli'] }),
  embedDataDir: setting({ flag: '--embed-data-dir <path>', env: 'EVENT_GATEWAY_EMBED_DATA_DIR', parse: text, doc: 'alias of --data-dir (the original flag name)', aliasOf: 'dataDir', readBy: ['cli'] }),
  workers: setting({ flag: '--workers <n>', env: 'EVENT_GATEWAY_WORKERS', default: DEFAULT_WORKERS, parse: positiveInteger, doc: 'async deliveries in flight at once', readBy: ['cli', 'lambda'] }),
  maxPending: setting({ flag: '--max-pending <n>', env: 'EVENT_GATEWAY_MAX_PENDING', default: DEFAULT_MAX_PENDING, parse: positiveInteger, doc: 'pending async items beyond which new events get 429', readBy: ['cli', 'lambda'] }),
  workersBacklog: setting({ flag: '--workers-backlog <n>', env: 'EVENT_GATEWAY_WORKERS_BACKLOG', parse: positiveInteger, doc: 'alias of --max-pending (the original flag name)', aliasOf: 'maxPending', readBy: ['cli'] }),
  durability: setting({ flag: '--durability <level>', env: 'EVENT_GATEWAY_DURABILITY', default: 'process', parse: oneOf(['process', 'power']), choices: ['process', 'power'], doc: "what an accepted event survives: 'process' (a crash) or 'power' (also power loss; fsync per commit)", readBy: ['cli'] }),
  cloudEventsVersion: setting({ flag: '--cloudevents-version <version>', env: 'EVENT_GATEWAY_CLOUDEVENTS_VERSION', default: DEFAULT_CLOUDEVENTS_VERSION, parse: oneOf(['0.1', '1.0'], '0.1 or 1.0'), choices: ['0.1', '1.0'], doc: 'spec version of gateway-made events', readBy: ['cli', 'lambda'] }),
  hooks: setting<string[]>({ flag: '--hooks <module>', env: 'EVENT_GATEWAY_HOOKS', parse: list, doc: 'hooks module to load (.js, or .ts); repeatable', readBy: ['cli'] }),
  maxBodyBytes: setting({ flag: '--max-body-bytes <n>', env: 'EVENT_GATEWAY_MAX_BODY_BYTES', default: DEFAULT_MAX_BODY_BYTES, parse: positiveInteger, doc: 'largest events-API request body', readBy: ['cli'] }),
  maxBatchSize: setting({ flag: '--max-batch-size <n>', env: 'EVENT_GATEWAY_MAX_BATCH_SIZE', default: DEFAULT_MAX_BATCH_SIZE, parse: positiveInteger, doc: 'most events in one CloudEvents batch', readBy: ['cli'] }),
  store: setting({ flag: '--store <kind>', env: 'EVENT_GATEWAY_STORE', default: 'sqlite', parse: oneOf(['sqlite', 'dynamodb']), choices: ['sqlite', 'dynamodb'], doc: 'where the registry, dead letters and access keys live', readBy: ['cli'] }),
  queue: setting({ flag: '--queue <kind>', env: 'EVENT_GATEWAY_QUEUE', default: 'sqlite', parse: oneOf(['sqlite', 'sqs']), choices: ['sqlite', 'sqs'], doc: 'where accepted async items wait', readBy: ['cli'] }),
  dynamodbTablePrefix: setting({ flag: '--dynamodb-table-prefix <prefix>', env: 'EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX', default: DEFAULT_TABLE_PREFIX, parse: text, doc: 'prefix of the three DynamoDB tables', readBy: ['cli', 'lambda'] }),
  dynamodbEndpoint: setting({ flag: '--dynamodb-endpoint <url>', env: 'EVENT_GATEWAY_DYNAMODB_ENDPOINT', parse: text, doc: 'a DynamoDB-compatible endpoint (DynamoDB Local); missing tables are created', readBy: ['cli', 'lambda'] }),
  sqsQueueUrl: setting({ flag: '--sqs-queue-url <url>', env: 'EVENT_GATEWAY_SQS_QUEUE_URL', parse: text, doc: 'the SQS queue of async fan-out (with --queue sqs)', readBy: ['cli', 'lambda'] }),
  sqsEndpoint: setting({ flag: '--sqs-endpoint <url>', env: 'EVENT_GATEWAY_SQS_ENDPOINT', parse: text, doc: 'an SQS-compatible endpoint', readBy: ['cli', 'lambda'] }),
  routerOnly: setting({ flag: '--router-only', env: 'EVENT_GATEWAY_ROUTER_ONLY', default: false, parse: boolean, doc: 'serve the events API, and only /v1/status and /v1/metrics on the config port (the AWS container)', readBy: ['cli'] }),
  streamRelay: setting({ flag: '--stream-relay <mode>', env: 'EVENT_GATEWAY_STREAM_RELAY', default: 'auto', parse: oneOf(['auto', 'off']), choices: ['auto', 'off'], doc: "with --store dynamodb: 'auto' relays the registry's Stream into the change log unless --router-only; 'off' when the invalidation Lambda does", readBy: ['cli'] }),
  streamRelayLeaseMs: setting({ flag: '--stream-relay-lease-ms <ms>', env: 'EVENT_GATEWAY_STREAM_RELAY_LEASE_MS', default: DEFAULT_STREAM_RELAY_LEASE_MS, parse: positiveInteger, doc: "how long the Stream relay's lease lasts unrenewed (a takeover waits at most this)", readBy: ['cli'] }),
  allowTargets: setting({ flag: '--allow-targets <cidrs>', env: 'EVENT_GATEWAY_ALLOW_TARGETS', parse: text, doc: 'ranges http functions may reach beyond the public internet, e.g. 10.0.0.0/8,127.0.0.1/32', readBy: ['cli', 'lambda'] }),
  maxHeaders: setting({ flag: '--max-headers <n>', env: 'EVENT_GATEWAY_MAX_HEADERS', default: DEFAULT_MAX_HEADERS, parse: positiveInteger, doc: 'most header lines in one request', readBy: ['cli'] }),
  maxHeaderBytes: setting({ flag: '--max-header-bytes <n>', env: 'EVENT_GATEWAY_MAX_HEADER_BYTES', default: DEFAULT_MAX_HEADER_BYTES, parse: positiveInteger, doc: 'largest size of all headers of one request', readBy: ['cli'] }),
  maxJsonDepth: setting({ flag: '--max-json-depth <n>', env: 'EVENT_GATEWAY_MAX_JSON_DEPTH', default: DEFAULT_MAX_JSON_DEPTH, parse: positiveInteger, doc: 'deepest JSON nesting in a body', readBy: ['cli', 'lambda'] }),
  maxIdLength: setting({ flag: '--max-id-length <n>', env: 'EVENT_GATEWAY_MAX_ID_LENGTH', default: DEFAULT_MAX_ID_LENGTH, parse: positiveInteger, doc: 'longest id, name or path in the config API', readBy: ['cli', 'lambda'] }),
  adminKey: setting({ flag: '--admin-key <key>', env: 'EVENT_GATEWAY_ADMIN_KEY', parse: text, doc: 'an all-spaces access key that is not stored: bootstraps the others (needed outside --dev)', readBy: ['cli'] }),
  publicMetrics: setting({ flag: '--public-metrics', env: 'EVENT_GATEWAY_PUBLIC_METRICS', default: false, parse: boolean, doc: 'serve /v1/metrics without an access key', readBy: ['cli', 'lambda'] }),
  shutdownTimeoutMs: setting({ flag: '--shutdown-timeout <seconds>', env: 'EVENT_GATEWAY_SHUTDOWN_TIMEOUT', default: DEFAULT_SHUTDOWN_TIMEOUT_MS, defaultText: String(DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000), parse: secondsAsMs, doc: 'on SIGTERM/SIGINT, how long sync calls and deliveries in flight may take to finish', readBy: ['cli'] }),
  loopbackMetrics: setting({ flag: '--loopback-metrics', env: 'EVENT_GATEWAY_LOOPBACK_METRICS', default: false, parse: boolean, doc: 'serve /v1/metrics without an access key to loopback clients only (a scraper in the same task)', readBy: ['cli'] }),
  emfInterval: setting({ flag: '--emf-interval <seconds>', env: 'EVENT_GATEWAY_EMF_INTERVAL', defaultText: '60 with --router-only, else 0', parse: nonNegativeInteger, doc: 'seconds between CloudWatch EMF metric documents on stdout; 0: none', readBy: ['cli'] }),
  metricsNamespace: setting({ flag: '--metrics-namespace <name>', env: 'EVENT_GATEWAY_METRICS_NAMESPACE', default: DEFAULT_METRICS_NAMESPACE, parse: text, doc: 'CloudWatch namespace of the EMF documents', readBy: ['cli', 'lambda'] }),
  logLevel: setting<LogLevel>({ flag: '--log-level <level>', env: 'EVENT_GATEWAY_LOG_LEVEL', default: DEFAULT_LOG_LEVEL, parse: oneOf(LAMBDA_LOG_LEVELS), choices: LOG_LEVELS, doc: 'log level', readBy: ['cli', 'lambda'] }),
  logFormat: setting({ flag: '--log-format <format>', env: 'EVENT_GATEWAY_LOG_FORMAT', defaultText: 'text with --dev, otherwise json', parse: oneOf(['text', 'json']), choices: ['text', 'json'], doc: 'log format', readBy: ['cli'] }),
  accessKeyCacheMs: setting({ env: 'EVENT_GATEWAY_ACCESS_KEY_CACHE_MS', default: DEFAULT_ACCESS_KEY_CACHE_MS, parse: nonNegativeInteger, doc: 'how long a key lookup is reused: the longest delay before a revocation bites', readBy: ['lambda'] }),
  adminKeyCacheMs: setting({ env: 'EVENT_GATEWAY_ADMIN_KEY_CACHE_MS', default: MAX_ADMIN_KEY_CACHE_MS, parse: wholeNumber(0, MAX_ADMIN_KEY_CACHE_MS), doc: 'how long the config API reuses the admin key read from Secrets Manager (a rotated key works within this time)', readBy: ['lambda'] }),
  adminKeySecretArn: setting({ env: 'EVENT_GATEWAY_ADMIN_KEY_SECRET_ARN', parse: text, doc: 'the Secrets Manager secret holding the first admin key (set by the stack)', readBy: ['lambda'] }),
  connectorFunctionArn: setting({ env: 'EVENT_GATEWAY_CONNECTOR_FUNCTION_ARN', parse: text, doc: "the connector Lambda the config API maps connections' sources to (set by the stack); unset: connections are stored, nothing reads them", readBy: ['lambda'] }),
  eventsUrl: setting({ env: 'EVENT_GATEWAY_EVENTS_URL', parse: text, doc: "the events API's URL (set by the stack): the connector emits a connection whose target is on it in-process", readBy: ['lambda'] }),
} as const;

export type SettingName = keyof typeof SETTINGS;
/** The value type of one setting. */
export type SettingValue<K extends SettingName> = (typeof SETTINGS)[K] extends Setting<infer T> ? T : never;
/** Settings by name, each optional. */
export type SettingValues = { [K in SettingName]?: SettingValue<K> };

/** The settings the CLI has a flag for, in the order of `--help`. */
export const FLAG_SETTINGS = (Object.keys(SETTINGS) as SettingName[]).filter((name) => SETTINGS[name].flag !== undefined);

/** The long flag without its placeholder: `--config-port`. */
export function longFlag(setting: { readonly flag?: string }): string | undefined {
  return setting.flag?.split(' ')[0];
}

/** A flag that takes no value (`--dev`). */
export function isSwitch(setting: { readonly flag?: string }): boolean {
  return setting.flag !== undefined && !setting.flag.includes(' ');
}
