// `npm run local-stack -- --events-port <n> --config-port <n> [-c key=value …]`: the synthesized CDK stack, run on
// this machine with no AWS account and no Docker. See README.md, "Try the AWS shape locally".
//
// From the template in cdk.out it creates the DynamoDB tables and SQS queues on DynamoDB Local and fauxqs, and the
// secrets on a local Secrets Manager; runs every Lambda from its bundled asset with its template environment; wires
// the event source mappings; serves the HTTP API (payload 2.0) in front of the config Lambda; and builds the router
// image from its Dockerfile and runs its command with the task definition's environment. The processes reach the
// local servers through the SDK's standard endpoint variables (AWS_ENDPOINT_URL_<SERVICE>), nothing else.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { LocalStack } from './stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function usage(message?: string): never {
  if (message) console.error(`local-stack: ${message}`);
  console.error('usage: npm run local-stack -- [--events-port <n>] [--config-port <n>] [--host <ip>] [-c key=value …] [--resynth] [--verbose]');
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        'events-port': { type: 'string', default: '4000' },
        'config-port': { type: 'string', default: '4001' },
        host: { type: 'string', default: '127.0.0.1' },
        context: { type: 'string', short: 'c', multiple: true, default: [] },
        resynth: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  } catch (error) {
    usage((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) usage();
  const port = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) usage(`--${name} must be a port number, not "${value}"`);
    return n;
  };
  const context: Record<string, string> = {};
  for (const pair of values.context) {
    const eq = pair.indexOf('=');
    if (eq <= 0) usage(`-c takes key=value, not "${pair}"`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const stack = new LocalStack({
    root: ROOT,
    workDir: join(ROOT, '.event-gateway', 'local-stack'),
    eventsPort: port('events-port', values['events-port']),
    configPort: port('config-port', values['config-port']),
    host: values.host,
    context,
    resynth: values.resynth,
    verbose: values.verbose,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`local-stack: ${signal}, stopping\n`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    await stack.start();
  } catch (error) {
    if (stopping) return;
    stopping = true;
    await stack.stop().catch(() => undefined);
    throw error;
  }
  process.stdout.write(`events: ${stack.eventsUrl}\nconfig: ${stack.configUrl}\nadmin key: ${stack.adminKey}\n`);
}

main().catch((error: unknown) => {
  console.error(`local-stack: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
