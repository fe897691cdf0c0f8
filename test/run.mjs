// Runs every test/**/*.test.ts file with Node's own test runner (through tsx).
// Node 20's --test takes no globs, so the files are listed here. Extra arguments filter by path substring:
//   npm test -- config-api
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : findTests(path);
    return name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

const files = findTests(join(root, 'test'))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched', filters);
  process.exit(1);
}

// Tests must never reach a real AWS account or the instance metadata service.
const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  EVENT_GATEWAY_ACCESS_KEY: '',
};

// The local AWS-compatible servers are started once per run, and only when a test under test/aws/ needs them;
// RabbitMQ likewise for test/amqp/ (at the same time: it takes a while to boot).
const wants = (dir) => files.some((f) => f.startsWith(join('test', dir) + '/'));
const started = await Promise.allSettled([
  wants('aws') ? import('./aws-servers.mjs').then((m) => m.startAwsServers()) : undefined,
  wants('amqp') ? import('./rabbitmq-server.mjs').then((m) => m.startRabbitMq()) : undefined,
]);
const [servers, rabbit] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
// The broker runs in its own process group: an interrupted run must still stop it.
const stopServers = () => Promise.all([servers?.stop(), rabbit?.stop?.()]);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void stopServers().finally(() => process.exit(130)));
const failed = started.find((s) => s.status === 'rejected');
if (failed) {
  await stopServers();
  throw failed.reason;
}
Object.assign(env, servers?.env, rabbit?.env);
if (rabbit?.env.EG_TEST_AMQP_SKIP) {
  console.error(`\n*** RabbitMQ could not start; the AMQP tests will be SKIPPED: ${rabbit.env.EG_TEST_AMQP_SKIP}\n`);
}

// Asynchronous spawn: fauxqs and kinesalite run inside this process and must keep serving while the tests run.
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  cwd: root,
  env,
  stdio: 'inherit',
});
const code = await new Promise((resolve) => child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
await stopServers();
process.exit(code);
