// The router image, started (issues 6 and 18): the repository's Dockerfile is built on this machine without Docker
// (scripts/local-stack/image.ts applies its stages to the build context, as `npm run local-stack` does), and the
// image's ENTRYPOINT/CMD runs in the built image folder with the AWS adapters pointed at the local DynamoDB and SQS
// servers through the same EVENT_GATEWAY_* variables the ECS task sets. The image holds built JavaScript and no
// node_modules at all, so a production install has nothing to install: what starts here is all the image has.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildImage, type BuiltImage } from '../../scripts/local-stack/image.js';
import { startTestGateway } from '../helpers/gateway.js';
import { call, http } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { Sink, eventually } from '../helpers/sink.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The first build runs `npm ci` and the bundler; later ones reuse the cached layers (shared with the local stack). */
const BUILD_TIMEOUT_MS = 300_000;

describe('the router image (Dockerfile), built and started', { timeout: BUILD_TIMEOUT_MS + 120_000 }, () => {
  let image: BuiltImage;
  const tablePrefix = `ctr-${randomBytes(4).toString('hex')}-`;
  let queueUrl: string;
  let sqs: SQSClient;
  let sink: Sink;
  let router: ChildProcess | undefined;
  let output = '';
  let adminUrl: string;
  let eventsUrl: string;

  before(async () => {
    image = await buildImage({
      contextDir: ROOT,
      dockerfile: 'Dockerfile',
      cacheDir: join(ROOT, '.event-gateway', 'local-stack', 'image'),
      log: () => undefined,
      runEnv: { npm_config_prefer_offline: 'true' },
    });
    sqs = new SQSClient(awsClientConfig(requireEnv('EG_TEST_SQS_ENDPOINT')));
    ({ QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: `${tablePrefix}fanout` })));
    sink = await Sink.start({ body: '{"statusCode":200,"body":"hello from the function"}' });
    const aws = {
      store: 'dynamodb',
      queue: 'sqs',
      dynamodbTablePrefix: tablePrefix,
      dynamodbEndpoint: requireEnv('EG_TEST_DYNAMODB_ENDPOINT'),
      sqsQueueUrl: queueUrl,
      sqsEndpoint: requireEnv('EG_TEST_SQS_ENDPOINT'),
    } as const;
    // The config API stands in for the config Lambda; it is closed before the router starts, so its delivery
    // workers cannot take the router's messages off the queue.
    const config = await startTestGateway(aws);
    try {
      const base = '/v1/spaces/default';
      for (const [path, body] of [
        [`${base}/eventtypes`, { name: 'http.request' }],
        [`${base}/eventtypes`, { name: 'order.placed' }],
        [`${base}/functions`, { functionId: 'hello', type: 'http', provider: { url: sink.url } }],
        [`${base}/subscriptions`, { type: 'sync', eventType: 'http.request', functionId: 'hello', method: 'GET', path: '/hello' }],
        [`${base}/subscriptions`, { type: 'async', eventType: 'order.placed', functionId: 'hello' }],
      ] as const) {
        const res = await call(config.configUrl, 'POST', path, body);
        assert.equal(res.status, 201, `${path}: ${res.text}`);
      }
    } finally {
      await config.close();
    }

    const [command, ...args] = image.argv;
    assert.equal(command, 'node', 'the image starts node');
    const adminPort = await freePort();
    const eventsPort = await freePort();
    adminUrl = `http://127.0.0.1:${adminPort}`;
    eventsUrl = `http://127.0.0.1:${eventsPort}`;
    router = spawn(process.execPath, args, {
      cwd: image.workdirPath,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Only what the container has: the image's ENV, the task's variables, and the role's credentials.
      env: {
        PATH: process.env.PATH,
        AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_EC2_METADATA_DISABLED: 'true',
        ...image.env,
        // What the ECS task sets (lib/infra/stack.ts), pointed at the local servers.
        EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX: tablePrefix,
        EVENT_GATEWAY_SQS_QUEUE_URL: queueUrl,
        EVENT_GATEWAY_ALLOW_TARGETS: '127.0.0.1/32',
        EVENT_GATEWAY_LOG_LEVEL: 'warn',
        // Only for this machine: the local servers, loopback instead of 0.0.0.0, free ports instead of 4000/4001.
        EVENT_GATEWAY_DYNAMODB_ENDPOINT: requireEnv('EG_TEST_DYNAMODB_ENDPOINT'),
        EVENT_GATEWAY_SQS_ENDPOINT: requireEnv('EG_TEST_SQS_ENDPOINT'),
        EVENT_GATEWAY_HOST: '127.0.0.1',
        EVENT_GATEWAY_CONFIG_PORT: String(adminPort),
        EVENT_GATEWAY_EVENTS_PORT: String(eventsPort),
      },
    });
    router.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    router.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    await eventually(async () => {
      if (router?.exitCode !== null) throw new Error(`the router exited (${router?.exitCode}): ${output}`);
      try {
        return (await http(adminUrl, '/v1/status')).status === 200;
      } catch {
        return false;
      }
    }, 30_000, 'the router admin port answers');
  });

  after(async () => {
    if (router && router.exitCode === null) {
      const exited = new Promise((resolve) => router!.once('exit', resolve));
      router.kill('SIGTERM');
      await exited;
    }
    await sink?.close();
    sqs?.destroy();
  });

  it('starts node on the bundled CLI in router-only mode with the DynamoDB store and the SQS queue', () => {
    assert.deepEqual(image.argv, ['node', '--enable-source-maps', 'dist/router/index.js', '--router-only', '--store', 'dynamodb', '--queue', 'sqs']);
    assert.equal(image.workdir, '/app');
    assert.equal(image.env.NODE_ENV, 'production');
  });

  it('holds built JavaScript and package.json only: no node_modules, no TypeScript sources, no tsx', () => {
    assert.deepEqual(readdirSync(image.workdirPath).sort(), ['dist', 'package.json']);
    assert.equal(existsSync(join(image.root, 'node_modules')), false);
    const files = readdirSync(join(image.workdirPath, 'dist', 'router'));
    assert.ok(files.includes('index.js'));
    assert.deepEqual(files.filter((f) => !/\.js(\.map)?$/.test(f)), ['sources.json']);
  });

  it('answers the health check on the admin port and serves nothing of the config API there', async () => {
    assert.equal((await http(adminUrl, '/v1/status')).status, 200);
    assert.equal((await http(adminUrl, '/v1/spaces/default/functions')).status, 404);
  });

  it('routes a sync HTTP request to the loopback function that --allow-targets opens', async () => {
    const res = await http(eventsUrl, '/hello');
    assert.equal(res.status, 200, output);
    assert.equal(res.text, 'hello from the function');
    assert.equal(sink.received.at(-1)?.json && (sink.received.at(-1)!.json as { eventType?: string }).eventType, 'http.request');
  });

  it('accepts an async event into the SQS queue for the delivery Lambda', async () => {
    const res = await http(eventsUrl, '/', {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ eventType: 'order.placed', cloudEventsVersion: '0.1', source: '/container-test', eventID: 'order-1', data: { n: 1 } }),
    });
    assert.equal(res.status, 202, res.text);
    const bodies: string[] = [];
    await eventually(async () => {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      bodies.push(...Messages.map((m) => m.Body ?? ''));
      return bodies.some((body) => body.includes('order-1'));
    }, 15_000, 'the event is in the SQS queue');
  });
});
