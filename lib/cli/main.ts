import { readFileSync } from 'node:fs';
import { Command, type Option } from 'commander';
import { startGateway } from '../gateway/index.js';
import { keysCommand } from './keys.js';
import type { GatewayOptions } from '../gateway/index.js';
import { FLAG_SETTINGS, SETTINGS, type SettingName } from '../settings/index.js';
import { settingOption } from './options.js';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The gateway's options by the names of the table, from the flags (an alias's value wins over its flag's). */
function gatewayOptionsOf(command: Command, options: ReadonlyMap<SettingName, Option>): GatewayOptions {
  const values: Record<string, unknown> = {};
  for (const [name, option] of options) {
    const value: unknown = command.getOptionValue(option.attributeName());
    if (value !== undefined) values[SETTINGS[name].aliasOf ?? name] = value;
  }
  return values as GatewayOptions;
}

/** Signals this soon after the first are the same request (Ctrl-C under `npm start` reaches the gateway twice). */
const REPEATED_SIGNAL_MS = 1000;
const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

export function buildProgram(): Command {
  const program = new Command('event-gateway')
    .description('Event Gateway: routes events and HTTP requests to functions (AWS Lambda, HTTP, Kinesis, Firehose, SQS).')
    .version(`Event Gateway version: ${packageJson.version}`, '-v, --version', 'print the version and exit')
    .enablePositionalOptions();
  const options = new Map(FLAG_SETTINGS.map((name) => [name, settingOption(name)] as const));
  for (const option of options.values()) program.addOption(option);

  program.action(async () => {
    const gateway = await startGateway(gatewayOptionsOf(program, options));
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
