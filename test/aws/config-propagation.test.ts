// Config changes reach every gateway in `--store dynamodb --queue sqs` mode with no invalidation Lambda and no
// stand-in (issue 18): real CLI processes as a user starts them, on DynamoDB Local (with Streams) and the SQS
// server. The config-serving gateways relay the registry's Stream themselves, one at a time under a lease.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { call, http } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { Sink, eventually } from '../helpers/sink.js';
import { awsClientConfig, requireEnv } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LEASE_MS = 2000;
/**
 * The target is 1 s; the 20-trial test measures it (median asserted under 1 s, figures printed). The single-shot
 * checks allow more because the suite shares a 2-core machine with DynamoDB Local: what they must catch is a change
 * that never arrives, or arrives only after a restart or a lease expiry.
 */
const SLACK_MS = 3000;
const BASE = '/v1/spaces/default';

interface CliGateway {
  name: string;
  process: ChildProcess;
  eventsUrl: string;
  configUrl: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

async function startCli(name: string, settings: { tablePrefix: string; queueUrl: string }, extra: string[] = []): Promise<CliGateway> {
  const eventsPort = await freePort();
  const configPort = await freePort();
  let output = '';
  const child = spawn(
    process.execPath,
    [
      'bin/event-gateway.js', '--dev',
      '--store', 'dynamodb', '--dynamodb-endpoint', requireEnv('EG_TEST_DYNAMODB_ENDPOINT'), '--dynamodb-table-prefix', settings.tablePrefix,
      '--queue', 'sqs', '--sqs-queue-url', settings.queueUrl, '--sqs-endpoint', requireEnv('EG_TEST_SQS_ENDPOINT'),
      '--events-port', String(eventsPort), '--config-port', String(configPort), '--connector-port', '0',
      '--stream-relay-lease-ms', String(LEASE_MS), '--log-format', 'json',
      ...extra,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' },
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const configUrl = `http://127.0.0.1:${configPort}`;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}): ${output}`);
    try {
      return (await http(configUrl, '/v1/status')).status === 200;
    } catch {
      return false;
    }
  }, 60_000, `${name} answers`);
  return {
    name,
    process: child,
    eventsUrl: `http://127.0.0.1:${eventsPort}`,
    configUrl,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}

/** Whether the gateway's log says it holds the relay's lease now (its last lease message). */
function relaying(gateway: CliGateway): boolean {
  const messages = gateway.output().split('\n').filter((line) => line.includes('"holding"'));
  return messages.at(-1)?.includes('"holding":true') ?? false;
}

/** ms until `check` holds, polled every 10 ms; fails past `timeoutMs`. */
async function msUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = performance.now();
  await eventually(check, timeoutMs, what);
  return performance.now() - started;
}

const routeAnswers = (gateway: CliGateway, path: string) => async () => (await http(gateway.eventsUrl, path)).status === 200;
const routeStopped = (gateway: CliGateway, path: string) => async () => (await http(gateway.eventsUrl, path)).status !== 200;

async function subscribe(gateway: CliGateway, path: string): Promise<string> {
  const res = await call(gateway.configUrl, 'POST', `${BASE}/subscriptions`, { type: 'sync', eventType: 'http.request', functionId: 'fn', method: 'GET', path });
  assert.equal(res.status, 201, res.text);
  return res.json<{ subscriptionId: string }>().subscriptionId;
}

async function unsubscribe(gateway: CliGateway, subscriptionId: string): Promise<void> {
  const res = await call(gateway.configUrl, 'DELETE', `${BASE}/subscriptions/${encodeURIComponent(subscriptionId)}`);
  assert.equal(res.status, 204, res.text);
}

function stats(values: number[]): string {
  const sorted = [...values].sort((x, y) => x - y);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return `min ${sorted[0]!.toFixed(0)} ms, median ${median.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`;
}

describe('config propagation on DynamoDB without the invalidation Lambda (real CLI processes, no stand-in)', () => {
  const tablePrefix = `prop-${randomBytes(4).toString('hex')}-`;
  let a: CliGateway;
  let b: CliGateway;
  let router: CliGateway;
  let sink: Sink;

  before(async () => {
    const sqs = new SQSClient(awsClientConfig(requireEnv('EG_TEST_SQS_ENDPOINT')));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${tablePrefix}fanout` }));
    sqs.destroy();
    const settings = { tablePrefix, queueUrl: QueueUrl! };
    sink = await Sink.start({ body: '{"statusCode":200,"body":"from the function"}' });
    // A first, so that it creates the tables; the others then start together.
    a = await startCli('a', settings);
    [b, router] = await Promise.all([startCli('b', settings), startCli('router', settings, ['--router-only'])]);
    assert.equal((await call(a.configUrl, 'POST', `${BASE}/eventtypes`, { name: 'http.request' })).status, 201);
    assert.equal((await call(a.configUrl, 'POST', `${BASE}/functions`, { functionId: 'fn', type: 'http', provider: { url: sink.url } })).status, 201);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop(), router?.stop()]);
    await sink?.close();
  });

  it('a route created through the config API answers at once on its gateway and soon on the others; a delete stops it as fast', async () => {
    const id = await subscribe(a, '/created');
    // Read-your-writes: the gateway that served the write routes it as soon as the API answered.
    assert.equal((await http(a.eventsUrl, '/created')).status, 200);
    const onB = await msUntil(routeAnswers(b, '/created'), 5000, 'route live on b');
    const onRouter = await msUntil(routeAnswers(router, '/created'), 5000, 'route live on the router');
    assert.equal((await http(router.eventsUrl, '/created')).text, 'from the function');

    await unsubscribe(a, id);
    assert.notEqual((await http(a.eventsUrl, '/created')).status, 200);
    const goneOnB = await msUntil(routeStopped(b, '/created'), 5000, 'route gone on b');
    const goneOnRouter = await msUntil(routeStopped(router, '/created'), 5000, 'route gone on the router');
    for (const [what, ms] of Object.entries({ onB, onRouter, goneOnB, goneOnRouter })) assert.ok(ms < SLACK_MS, `${what}: ${ms.toFixed(0)} ms`);
  });

  it('two config-serving gateways see each other\'s changes, whichever of them relays', async () => {
    for (const [writer, reader] of [[a, b], [b, a]] as const) {
      const path = `/from-${writer.name}`;
      const id = await subscribe(writer, path);
      assert.equal((await http(writer.eventsUrl, path)).status, 200);
      const live = await msUntil(routeAnswers(reader, path), 5000, `${path} live on ${reader.name}`);
      await unsubscribe(writer, id);
      const gone = await msUntil(routeStopped(reader, path), 5000, `${path} gone on ${reader.name}`);
      assert.ok(live < SLACK_MS && gone < SLACK_MS, `${writer.name} → ${reader.name}: live after ${live.toFixed(0)} ms, gone after ${gone.toFixed(0)} ms`);
    }
    // Exactly one of them holds the lease.
    assert.equal([a, b].filter(relaying).length, 1, `a: ${relaying(a)}, b: ${relaying(b)}`);
    const metrics = (await http(router.configUrl, '/v1/metrics')).text;
    const count = Number(/^eventgateway_config_propagation_seconds_count(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 0);
    assert.ok(count >= 4, `the router measured ${count} propagations`);
  });

  it('measures create → route answers and delete → route stops on another gateway over 20 trials', async (t) => {
    // From sending the config API request (what a user sees), and from its answer (the propagation alone).
    const created: number[] = [];
    const deleted: number[] = [];
    const createdAfterAnswer: number[] = [];
    const deletedAfterAnswer: number[] = [];
    for (let trial = 0; trial < 20; trial++) {
      const path = `/trial-${trial}`;
      let started = performance.now();
      const id = await subscribe(a, path);
      let answered = performance.now();
      await eventually(routeAnswers(router, path), 5000, `${path} live`);
      created.push(performance.now() - started);
      createdAfterAnswer.push(performance.now() - answered);
      started = performance.now();
      await unsubscribe(a, id);
      answered = performance.now();
      await eventually(routeStopped(router, path), 5000, `${path} gone`);
      deleted.push(performance.now() - started);
      deletedAfterAnswer.push(performance.now() - answered);
    }
    const report = [
      `create → route answers on another gateway (20 trials), from the request: ${stats(created)}; from its answer: ${stats(createdAfterAnswer)}`,
      `delete → route stops on another gateway (20 trials), from the request: ${stats(deleted)}; from its answer: ${stats(deletedAfterAnswer)}`,
    ];
    for (const line of report) {
      t.diagnostic(line);
      console.log(line);
    }
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[10]!;
    assert.ok(median(createdAfterAnswer) < 1000 && median(deletedAfterAnswer) < 1000, report.join('\n'));
    assert.ok(Math.max(...createdAfterAnswer, ...deletedAfterAnswer) < SLACK_MS, report.join('\n'));
  });

  it('when the relaying gateway is killed, the other takes the lease over and no change is lost', async () => {
    await eventually(() => relaying(a) || relaying(b), 5000, 'one gateway relays');
    const [holder, survivor] = relaying(a) ? [a, b] : [b, a];
    await holder.stop('SIGKILL');
    // Written while nobody relays: it must come through once the survivor holds the lease.
    const id = await subscribe(survivor, '/after-kill');
    assert.equal((await http(survivor.eventsUrl, '/after-kill')).status, 200);
    const live = await msUntil(routeAnswers(router, '/after-kill'), LEASE_MS + 5000, 'route live on the router after the takeover');
    assert.ok(relaying(survivor), `${survivor.name} relays now`);
    assert.ok(live < LEASE_MS + SLACK_MS, `live after ${live.toFixed(0)} ms (lease ${LEASE_MS} ms)`);

    await unsubscribe(survivor, id);
    const gone = await msUntil(routeStopped(router, '/after-kill'), 5000, 'route gone on the router');
    assert.ok(gone < SLACK_MS, `gone after ${gone.toFixed(0)} ms`);
    await sleep(0);
  });
});
