import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { startGateway } from '../gateway/index.js';
import { keysCommand } from './keys.js';
import type { GatewayOptions } from '../gateway/index.js';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * Every flag also reads `EVENT_GATEWAY_<FLAG>` (docs/operations.md#flags), e.g. `--config-port` ←
 * `EVENT_GATEWAY_CONFIG_PORT`.
 */
function flag(flags: string, description: string): Option {
  const long = /--([a-z0-9-]+)/.exec(flags)?.[1] ?? '';
  return new Option(flags, description).env(`EVENT_GATEWAY_${long.toUpperCase().replaceAll('-', '_')}`);
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds of at least 0, e.g. 25 or 0.5.');
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of at least 0.');
  return n;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').filter(Boolean)];
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return n;
}

interface CliOptions {
  dev?: boolean;
  host?: string;
  configPort?: number;
  eventsPort?: number;
  dataDir?: string;
  embedDataDir?: string;
  logLevel?: GatewayOptions['logLevel'];
  logFormat?: GatewayOptions['logFormat'];
  workers?: number;
  maxPending?: number;
  workersBacklog?: number;
  durability?: GatewayOptions['durability'];
  cloudeventsVersion?: GatewayOptions['cloudEventsVersion'];
  hooks?: string[];
  maxBodyBytes?: number;
  maxBatchSize?: number;
  adminKey?: string;
  publicMetrics?: boolean;
  maxHeaders?: number;
  maxHeaderBytes?: number;
  maxJsonDepth?: number;
  maxIdLength?: number;
  store?: GatewayOptions['store'];
  queue?: GatewayOptions['queue'];
  dynamodbTablePrefix?: string;
  dynamodbEndpoint?: string;
  sqsQueueUrl?: string;
  sqsEndpoint?: string;
  routerOnly?: boolean;
  streamRelay?: GatewayOptions['streamRelay'];
  streamRelayLeaseMs?: number;
  allowTargets?: string;
  shutdownTimeout?: number;
  emfInterval?: number;
  metricsNamespace?: string;
  loopbackMetrics?: boolean;
}

/** Signals this soon after the first are the same request (Ctrl-C under `npm start` reaches the gateway twice). */
const REPEATED_SIGNAL_MS = 1000;
const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

export function buildProgram(): Command {
  const program = new Command('event-gateway')
    .description('Event Gateway: routes events and HTTP requests to functions (AWS Lambda, HTTP, Kinesis, Firehose, SQS).')
    .version(`Event Gateway version: ${packageJson.version}`, '-v, --version', 'print the version and exit')
    .addOption(flag('--dev', 'dev mode: bind 127.0.0.1, human-readable logs, no access keys, loopback targets allowed'))
    .addOption(flag('--host <address>', 'interface to bind (default: 127.0.0.1 with --dev, otherwise 0.0.0.0)'))
    .addOption(flag('--config-port <port>', 'config API port').argParser(port).default(4001))
    .addOption(flag('--events-port <port>', 'events API port').argParser(port).default(4000))
    .addOption(flag('--data-dir <path>', 'folder of the embedded store (registry, queue, dead letters)').default('./.event-gateway'))
    .addOption(flag('--embed-data-dir <path>', 'alias of --data-dir (the original flag name)').hideHelp())
    .addOption(flag('--workers <n>', 'async deliveries in flight at once').argParser(positiveInteger).default(64))
    .addOption(flag('--max-pending <n>', 'pending async items beyond which new events get 429').argParser(positiveInteger).default(100_000))
    .addOption(flag('--workers-backlog <n>', 'alias of --max-pending (the original flag name)').argParser(positiveInteger).hideHelp())
    .addOption(flag('--durability <level>', "what an accepted event survives: 'process' (a crash) or 'power' (also power loss; fsync per commit)").choices(['process', 'power']).default('process'))
    .addOption(flag('--cloudevents-version <version>', 'spec version of gateway-made events').choices(['0.1', '1.0']).default('0.1'))
    .addOption(flag('--hooks <module>', 'hooks module to load (.js, or .ts); repeatable').argParser(collect))
    .addOption(flag('--max-body-bytes <n>', 'largest events-API request body').argParser(positiveInteger).default(256 * 1024))
    .addOption(flag('--max-batch-size <n>', 'most events in one CloudEvents batch').argParser(positiveInteger).default(100))
    .addOption(flag('--store <kind>', 'where the registry, dead letters and access keys live').choices(['sqlite', 'dynamodb']).default('sqlite'))
    .addOption(flag('--queue <kind>', 'where accepted async items wait').choices(['sqlite', 'sqs']).default('sqlite'))
    .addOption(flag('--dynamodb-table-prefix <prefix>', 'prefix of the three DynamoDB tables').default('event-gateway-'))
    .addOption(flag('--dynamodb-endpoint <url>', 'a DynamoDB-compatible endpoint (DynamoDB Local); missing tables are created'))
    .addOption(flag('--sqs-queue-url <url>', 'the SQS queue of async fan-out (with --queue sqs)'))
    .addOption(flag('--sqs-endpoint <url>', 'an SQS-compatible endpoint'))
    .addOption(flag('--router-only', 'serve the events API, and only /v1/status and /v1/metrics on the config port (the AWS container)'))
    .addOption(flag('--stream-relay <mode>', "with --store dynamodb: 'auto' relays the registry's Stream into the change log unless --router-only; 'off' when the invalidation Lambda does").choices(['auto', 'off']).default('auto'))
    .addOption(flag('--stream-relay-lease-ms <ms>', "how long the Stream relay's lease lasts unrenewed (a takeover waits at most this)").argParser(positiveInteger).default(10_000))
    .addOption(flag('--allow-targets <cidrs>', 'ranges http functions may reach beyond the public internet, e.g. 10.0.0.0/8,127.0.0.1/32'))
    .addOption(flag('--max-headers <n>', 'most header lines in one request').argParser(positiveInteger).default(100))
    .addOption(flag('--max-header-bytes <n>', 'largest size of all headers of one request').argParser(positiveInteger).default(16 * 1024))
    .addOption(flag('--max-json-depth <n>', 'deepest JSON nesting in a body').argParser(positiveInteger).default(64))
    .addOption(flag('--max-id-length <n>', 'longest id, name or path in the config API').argParser(positiveInteger).default(256))
    .addOption(flag('--admin-key <key>', 'an all-spaces access key that is not stored: bootstraps the others (needed outside --dev)'))
    .addOption(flag('--public-metrics', 'serve /v1/metrics without an access key'))
    .addOption(flag('--shutdown-timeout <seconds>', 'on SIGTERM/SIGINT, how long sync calls and deliveries in flight may take to finish').argParser(seconds).default(25))
    .addOption(flag('--loopback-metrics', 'serve /v1/metrics without an access key to loopback clients only (a scraper in the same task)'))
    .addOption(flag('--emf-interval <seconds>', 'seconds between CloudWatch EMF metric documents on stdout; 0: none (default: 60 with --router-only, else 0)').argParser(nonNegativeInteger))
    .addOption(flag('--metrics-namespace <name>', 'CloudWatch namespace of the EMF documents').default('EventGateway'))
    .addOption(flag('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .addOption(flag('--log-format <format>', 'log format (default: text with --dev, otherwise json)').choices(['text', 'json']))
    .enablePositionalOptions();

  program.action(async (opts: CliOptions) => {
    const gateway = await startGateway({
      dev: opts.dev ?? false,
      host: opts.host,
      configPort: opts.configPort,
      eventsPort: opts.eventsPort,
      dataDir: opts.embedDataDir ?? opts.dataDir,
      logLevel: opts.logLevel,
      logFormat: opts.logFormat,
      workers: opts.workers,
      maxPending: opts.workersBacklog ?? opts.maxPending,
      durability: opts.durability,
      cloudEventsVersion: opts.cloudeventsVersion,
      hooks: opts.hooks,
      maxBodyBytes: opts.maxBodyBytes,
      maxBatchSize: opts.maxBatchSize,
      adminKey: opts.adminKey,
      publicMetrics: opts.publicMetrics,
      maxHeaders: opts.maxHeaders,
      maxHeaderBytes: opts.maxHeaderBytes,
      maxJsonDepth: opts.maxJsonDepth,
      maxIdLength: opts.maxIdLength,
      store: opts.store,
      queue: opts.queue,
      dynamodbTablePrefix: opts.dynamodbTablePrefix,
      dynamodbEndpoint: opts.dynamodbEndpoint,
      sqsQueueUrl: opts.sqsQueueUrl,
      sqsEndpoint: opts.sqsEndpoint,
      routerOnly: opts.routerOnly,
      streamRelay: opts.streamRelay,
      streamRelayLeaseMs: opts.streamRelayLeaseMs,
      allowTargets: opts.allowTargets,
      ...(opts.shutdownTimeout !== undefined ? { shutdownTimeoutMs: Math.round(opts.shutdownTimeout * 1000) } : {}),
      emfInterval: opts.emfInterval,
      metricsNamespace: opts.metricsNamespace,
      loopbackMetrics: opts.loopbackMetrics,
    });
    let firstSignalAt: number | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (firstSignalAt === undefined) {
        firstSignalAt = performance.now();
        const seconds = gateway.options.shutdownTimeoutMs / 1000;
        gateway.logger.info({ signal }, `shutting down: finishing the work in flight (up to ${seconds} s); send the signal again to exit at once`);
        gateway.close().then(
          () => process.exit(0),
          (error: unknown) => {
            gateway.logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
        return;
      }
      if (performance.now() - firstSignalAt < REPEATED_SIGNAL_MS) return;
      gateway.logger.warn({ signal }, 'second signal: exiting at once; deliveries in flight are delivered again after the next start');
      process.exit(128 + (SIGNAL_NUMBERS[signal] ?? 1));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  program.addCommand(keysCommand());
  hintHelpAfterErrors(program);
  return program;
}

/** A usage error prints its one line, a suggestion for a misspelt flag, and where the help is; not all of it. */
function hintHelpAfterErrors(command: Command, path = command.name()): void {
  command.showHelpAfterError(`(run '${path} --help' for usage)`).showSuggestionAfterError();
  for (const sub of command.commands) hintHelpAfterErrors(sub, `${path} ${sub.name()}`);
}

/**
 * Go's `flag` package accepted `-dev` as well as `--dev` (docs/compatibility.md#flags-of-the-original); scripts written
 * for the original keep working.
 */
export function normaliseGoStyleFlags(argv: string[]): string[] {
  return argv.map((arg) => (/^-[a-z][a-z-]+(=.*)?$/.test(arg) ? `-${arg}` : arg));
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(normaliseGoStyleFlags(argv), { from: 'user' });
  } catch (error) {
    console.error(`event-gateway: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
