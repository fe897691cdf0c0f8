// `npm run bench -- aws [--smoke] [--rates 1000,5000] [--seconds 20] [--out file.json]`: the AWS request count of
// async fan-out, measured. Runs the router as the container does (`--router-only --store dynamodb --queue sqs`,
// pinned to CPU 0 with taskset when it is there) against DynamoDB Local and fauxqs, and the delivery Lambda's
// handler module (functions/delivery.ts) driven by an emulation of the SQS event source (batch size and batching
// window of lib/infra/workers/batching.ts), in a second process. Every AWS call goes through a counting proxy:
// one per service and per component, counting requests by X-Amz-Target and the bytes sent. A paced, open-loop
// load generator offers a steady rate of CloudEvents; a sink counts deliveries by webhook-id. See bench/README.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { openDynamoStores } from '../lib/gateway/aws.js';
import { ConfigService } from '../lib/config-api/service.js';
import { DELIVERY_BATCHING_WINDOW_SECONDS, DELIVERY_BATCH_SIZE } from '../lib/infra/workers/batching.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const HOST = '127.0.0.1';
const SQS_CHUNK_BYTES = 65_536;

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    smoke: { type: 'boolean', default: false },
    rates: { type: 'string' },
    seconds: { type: 'string' },
    out: { type: 'string' },
  },
});
const smoke = flags.smoke ?? false;
const rates = (flags.rates ?? (smoke ? '500' : '100,1000,5000')).split(',').map(Number);
const seconds = Number(flags.seconds ?? (smoke ? 2 : 20));
const outFile = flags.out ?? join(root, 'bench', 'results', smoke ? 'aws-smoke.json' : 'aws.json');
if (rates.some((rate) => !(rate > 0)) || !(seconds > 0)) {
  console.error('bench aws: --rates takes positive numbers (e.g. 1000,5000), --seconds a positive number');
  process.exit(1);
}

const children = new Set<ChildProcess>();
const log = (message: string) => console.error(`  · ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, HOST, () => resolve((server.address() as AddressInfo).port)));
}

/** A proxy in front of an AWS-compatible server that counts requests by action and the bytes sent. */
class CountingProxy {
  counts = new Map<string, number>();
  bytes = 0;
  /** SQS bills each 64 KiB chunk of a request's payload as one request. */
  billedUnits = 0;
  url = '';
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  readonly #server: http.Server;

  constructor(readonly name: string, target: string) {
    const { hostname, port } = new URL(target);
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const target = String(req.headers['x-amz-target'] ?? '');
        const action = target ? target.slice(target.indexOf('.') + 1) : (/Action=(\w+)/.exec(body.toString('latin1'))?.[1] ?? 'unknown');
        this.counts.set(action, (this.counts.get(action) ?? 0) + 1);
        const sent = body.length + Object.entries(req.headers).reduce((sum, [k, v]) => sum + k.length + String(v).length + 4, 0);
        this.bytes += sent;
        this.billedUnits += Math.max(1, Math.ceil(body.length / SQS_CHUNK_BYTES));
        const upstream = http.request(
          { host: hostname, port, method: req.method, path: req.url, headers: req.headers, agent: this.#agent },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', (error) => {
          res.writeHead(502);
          res.end(String(error));
        });
        upstream.end(body);
      });
    });
  }

  async start(): Promise<this> {
    this.url = `http://${HOST}:${await listen(this.#server)}`;
    return this;
  }

  reset(): void {
    this.counts = new Map();
    this.bytes = 0;
    this.billedUnits = 0;
  }

  snapshot() {
    return { requests: Object.fromEntries([...this.counts].sort()), bytes: this.bytes, billedUnits: this.billedUnits };
  }

  close(): void {
    this.#server.closeAllConnections();
    this.#server.close();
    this.#agent.destroy();
  }
}

/** The target function: answers 200 and records the eventID of each delivery (the bench's ids carry their run). */
class Sink {
  eventIds = new Set<string>();
  deliveries = 0;
  url = '';
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const eventId = /"eventID":"([^"]+)"/.exec(Buffer.concat(chunks).toString())?.[1];
      if (eventId) this.eventIds.add(eventId);
      this.deliveries++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });

  /** Distinct events of one run (eventIDs `<label>-<n>`) delivered so far. */
  delivered(label: string): number {
    let count = 0;
    for (const id of this.eventIds) if (id.startsWith(`${label}-`)) count++;
    return count;
  }

  async start(): Promise<this> {
    this.url = `http://${HOST}:${await listen(this.#server)}/`;
    return this;
  }

  close(): void {
    this.#server.closeAllConnections();
    this.#server.close();
  }
}

function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess & { output: string } {
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { output: string };
  child.output = '';
  const collect = (chunk: Buffer) => (child.output = (child.output + chunk.toString()).slice(-32_000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  children.add(child);
  child.once('exit', () => children.delete(child));
  void name;
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return undefined;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Offers `rate` events/s for `durationS` seconds, open loop: each request leaves at its scheduled time. */
async function offer(eventsUrl: string, rate: number, durationS: number, label: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const latencies: number[] = [];
  let accepted = 0;
  let refused = 0;
  let failed = 0;
  let sent = 0;
  const total = Math.round(rate * durationS);
  const startedAt = performance.now();
  const inFlight = new Set<Promise<void>>();
  const send = (n: number) => {
    const body = JSON.stringify({
      eventType: 'bench.event',
      eventID: `${label}-${n}`,
      cloudEventsVersion: '0.1',
      source: '/bench/aws',
      contentType: 'application/json',
      data: { n, text: 'x'.repeat(600) },
    });
    const t0 = performance.now();
    const done = new Promise<void>((resolve) => {
      const req = http.request(eventsUrl, { method: 'POST', agent, headers: { 'content-type': 'application/cloudevents+json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          if (res.statusCode === 202) accepted++;
          else if (res.statusCode === 429) refused++;
          else failed++;
          resolve();
        });
      });
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end(body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - startedAt) / 1000) * rate));
    while (sent < due) send(sent++);
    await sleep(1);
  }
  const offeredForS = (performance.now() - startedAt) / 1000;
  await Promise.all([...inFlight]);
  agent.destroy();
  latencies.sort((x, y) => x - y);
  return { offered: total, accepted, refused, failed, offeredForS, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function main(): Promise<void> {
  process.env.AWS_ACCESS_KEY_ID ??= 'bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  const { startAwsServers } = (await import(join(root, 'test', 'aws-servers.mjs'))) as {
    startAwsServers: () => Promise<{ env: Record<string, string>; stop: () => Promise<void> }>;
  };
  log('starting DynamoDB Local and fauxqs');
  const servers = await startAwsServers();
  const proxies = {
    routerSqs: await new CountingProxy('router SQS', servers.env.EG_TEST_SQS_ENDPOINT!).start(),
    routerDynamodb: await new CountingProxy('router DynamoDB', servers.env.EG_TEST_DYNAMODB_ENDPOINT!).start(),
    deliverySqs: await new CountingProxy('delivery SQS', servers.env.EG_TEST_SQS_ENDPOINT!).start(),
    deliveryDynamodb: await new CountingProxy('delivery DynamoDB', servers.env.EG_TEST_DYNAMODB_ENDPOINT!).start(),
  };
  const sink = await new Sink().start();
  const prefix = `bench-${process.pid}-`;
  let router: (ChildProcess & { output: string }) | undefined;
  let delivery: (ChildProcess & { output: string }) | undefined;
  try {
    // Setup, not counted: tables, the queue, and the config the router and the Lambda read.
    const stores = await openDynamoStores({ dynamodbEndpoint: servers.env.EG_TEST_DYNAMODB_ENDPOINT, tablePrefix: prefix });
    const config = new ConfigService(stores.registry);
    await config.createEventType('default', '{"name":"bench.event"}');
    await config.createFunction('default', JSON.stringify({ functionId: 'sink', type: 'http', provider: { url: sink.url } }));
    await config.createSubscription('default', '{"type":"async","eventType":"bench.event","functionId":"sink"}');
    await stores.close();
    const sqs = new SQSClient({ endpoint: servers.env.EG_TEST_SQS_ENDPOINT, region: 'us-east-1' });
    const { QueueUrl = '' } = await sqs.send(
      new CreateQueueCommand({ QueueName: `${prefix}fanout`, Attributes: { VisibilityTimeout: '360', MaximumMessageSize: '1048576' } }),
    );
    sqs.destroy();
    // The SDK sends to the queue URL's host: each component gets the URL through its own proxy.
    // fauxqs names the queue http://sqs.<region>.127.0.0.1:<port>/…, a host the SDK cannot send to, so the SDK
    // sends to its configured endpoint: each component's proxy.
    const eventsPort = await freePort();
    const adminPort = await freePort();
    const tasksetFound = !spawnSync('taskset', ['--version']).error;
    const routerArgs = ['bin/event-gateway.js', '--router-only', '--store', 'dynamodb', '--queue', 'sqs'];
    const routerEnv = {
      ...process.env,
      EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX: prefix,
      EVENT_GATEWAY_DYNAMODB_ENDPOINT: proxies.routerDynamodb.url,
      EVENT_GATEWAY_SQS_ENDPOINT: proxies.routerSqs.url,
      EVENT_GATEWAY_SQS_QUEUE_URL: QueueUrl,
      EVENT_GATEWAY_ALLOW_TARGETS: '127.0.0.1/32',
      EVENT_GATEWAY_LOG_LEVEL: 'warn',
      EVENT_GATEWAY_HOST: HOST,
      EVENT_GATEWAY_EVENTS_PORT: String(eventsPort),
      EVENT_GATEWAY_CONFIG_PORT: String(adminPort),
    };
    router = tasksetFound
      ? start('router', 'taskset', ['-c', '0', process.execPath, ...routerArgs], routerEnv)
      : start('router', process.execPath, routerArgs, routerEnv);
    delivery = start('delivery', process.execPath, ['--import', 'tsx', join(root, 'bench', 'aws-delivery.ts')], {
      ...process.env,
      EVENT_GATEWAY_DYNAMODB_TABLE_PREFIX: prefix,
      EVENT_GATEWAY_DYNAMODB_ENDPOINT: proxies.deliveryDynamodb.url,
      EVENT_GATEWAY_SQS_ENDPOINT: proxies.deliverySqs.url,
      EVENT_GATEWAY_SQS_QUEUE_URL: QueueUrl,
      EVENT_GATEWAY_ALLOW_TARGETS: '127.0.0.1/32',
      EVENT_GATEWAY_LOG_LEVEL: 'warn',
      BENCH_BATCH_SIZE: String(DELIVERY_BATCH_SIZE),
      BENCH_BATCHING_WINDOW_SECONDS: String(DELIVERY_BATCHING_WINDOW_SECONDS),
    });
    const eventsUrl = `http://${HOST}:${eventsPort}/`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (router.exitCode !== null) throw new Error(`the router exited: ${router.output}`);
      if (delivery.exitCode !== null) throw new Error(`the delivery worker exited: ${delivery.output}`);
      const up = await fetch(`http://${HOST}:${adminPort}/v1/status`).then((r) => r.ok, () => false);
      if (up) break;
      if (Date.now() > deadline) throw new Error(`the router did not start: ${router.output}`);
      await sleep(100);
    }
    log(`router up (${tasksetFound ? 'pinned to CPU 0 with taskset' : 'taskset not found: not pinned'}); warming up`);
    await offer(eventsUrl, Math.min(200, rates[0]!), smoke ? 0.5 : 2, 'warmup');
    await waitForDeliveries(() => sink.delivered('warmup'), 1, 30_000);

    const runs = [];
    for (const rate of rates) {
      await sleep(1500); // let the warm-up's and the last run's stragglers settle before counting
      for (const proxy of Object.values(proxies)) proxy.reset();
      const deliveriesBefore = sink.deliveries;
      const cpuBefore = cpuSeconds(router.pid);
      const deliveryCpuBefore = cpuSeconds(delivery.pid);
      const label = `r${rate}`;
      log(`offering ${rate} events/s for ${seconds} s`);
      const load = await offer(eventsUrl, rate, seconds, label);
      const cpuAfter = cpuSeconds(router.pid);
      const delivered = await waitForDeliveries(() => sink.delivered(label), load.accepted, smoke ? 60_000 : 180_000);
      const deliveryCpuAfter = cpuSeconds(delivery.pid);
      const routerCpu = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
      const per1000 = (n: number) => Math.round((n / Math.max(1, load.accepted)) * 1000 * 10) / 10;
      const counts = Object.fromEntries(Object.entries(proxies).map(([name, proxy]) => [name, proxy.snapshot()]));
      const sqsRequests = proxies.routerSqs.snapshot().requests;
      const deliverySqsRequests = proxies.deliverySqs.snapshot().requests;
      const sum = (o: Record<string, number>) => Object.values(o).reduce((s, n) => s + n, 0);
      const byAction = (...objects: Record<string, number>[]) => {
        const out: Record<string, number> = {};
        for (const o of objects) for (const [k, v] of Object.entries(o)) out[k] = (out[k] ?? 0) + v;
        return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, per1000(v)]));
      };
      const ddbRouter = proxies.routerDynamodb.snapshot().requests;
      const ddbDelivery = proxies.deliveryDynamodb.snapshot().requests;
      const run = {
        offeredRate: rate,
        seconds,
        offered: load.offered,
        accepted: load.accepted,
        refused: load.refused,
        failed: load.failed,
        acceptedPerSecond: Math.round(load.accepted / load.offeredForS),
        acceptLatencyMs: { p50: round2(load.p50), p99: round2(load.p99) },
        routerCpuSeconds: routerCpu === undefined ? null : round2(routerCpu),
        acceptedPerVcpuSecond: routerCpu ? Math.round(load.accepted / routerCpu) : null,
        deliveryCpuSeconds:
          deliveryCpuBefore !== undefined && deliveryCpuAfter !== undefined ? round2(deliveryCpuAfter - deliveryCpuBefore) : null,
        delivered,
        deliveries: sink.deliveries - deliveriesBefore,
        lost: load.accepted - delivered,
        sqsPer1000: {
          router: byAction(sqsRequests),
          delivery: byAction(deliverySqsRequests),
          total: per1000(sum(sqsRequests) + sum(deliverySqsRequests)),
          billedTotal: per1000(proxies.routerSqs.billedUnits + proxies.deliverySqs.billedUnits),
        },
        dynamodbPer1000: { router: byAction(ddbRouter), delivery: byAction(ddbDelivery), total: per1000(sum(ddbRouter) + sum(ddbDelivery)) },
        bytesPerEvent: {
          routerToSqs: Math.round(proxies.routerSqs.bytes / Math.max(1, load.accepted)),
          deliveryToSqs: Math.round(proxies.deliverySqs.bytes / Math.max(1, load.accepted)),
          routerToDynamodb: Math.round(proxies.routerDynamodb.bytes / Math.max(1, load.accepted)),
          deliveryToDynamodb: Math.round(proxies.deliveryDynamodb.bytes / Math.max(1, load.accepted)),
        },
        counts,
      };
      runs.push(run);
      log(
        `${rate}/s: accepted ${run.accepted}, delivered ${run.delivered}, lost ${run.lost}; SQS ${run.sqsPer1000.total} requests per 1,000 (billed ${run.sqsPer1000.billedTotal}); p50 ${run.acceptLatencyMs.p50} ms, p99 ${run.acceptLatencyMs.p99} ms`,
      );
    }
    const invocations = await readInvocations(delivery);
    const result = {
      kind: 'event-gateway aws bench',
      date: new Date().toISOString(),
      mode: smoke ? 'smoke' : 'full',
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim(), loadavg: os.loadavg().map(round2), node: process.version },
      router: { pinned: tasksetFound, args: routerArgs.slice(1) },
      delivery: {
        how: 'functions/delivery.ts handler module, driven by an SQS event source emulation (bench/aws-delivery.ts)',
        batchSize: DELIVERY_BATCH_SIZE,
        batchingWindowSeconds: DELIVERY_BATCHING_WINDOW_SECONDS,
        ...invocations,
      },
      runs,
    };
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
    console.log(markdown(result));
    console.log(`\nFigures written to ${outFile}`);
    if (runs.some((run) => run.lost !== 0 || run.accepted === 0)) process.exitCode = 1;
  } finally {
    for (const child of [router, delivery]) if (child) await stopChild(child);
    for (const proxy of Object.values(proxies)) proxy.close();
    sink.close();
    await servers.stop();
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function freePort(): Promise<number> {
  const server = http.createServer();
  return listen(server).then((port) => new Promise((resolve) => server.close(() => resolve(port))));
}

async function waitForDeliveries(count: () => number, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (count() < expected && Date.now() < deadline) await sleep(100);
  return count();
}

/** The delivery process prints its invocation counts on SIGUSR2 as one JSON line. */
async function readInvocations(child: ChildProcess & { output: string }): Promise<Record<string, number>> {
  const before = child.output.length;
  child.kill('SIGUSR2');
  for (let i = 0; i < 50; i++) {
    const line = child.output.slice(before).split('\n').find((l) => l.startsWith('{"invocations"'));
    if (line) return JSON.parse(line) as Record<string, number>;
    await sleep(50);
  }
  return {};
}

type Result = { runs: Array<Record<string, unknown> & { offeredRate: number }> } & Record<string, unknown>;

function markdown(result: Result): string {
  const lines = ['| Offered rate | accepted/s | per vCPU-s | p50 / p99 accept | SQS req. per 1,000 (router + delivery) | billed | DynamoDB req. per 1,000 | bytes/event to SQS | delivered / lost |', '|---|---:|---:|---|---|---:|---|---:|---|'];
  for (const run of result.runs as never as Array<{
    offeredRate: number;
    acceptedPerSecond: number;
    acceptedPerVcpuSecond: number | null;
    acceptLatencyMs: { p50: number; p99: number };
    sqsPer1000: { router: Record<string, number>; delivery: Record<string, number>; total: number; billedTotal: number };
    dynamodbPer1000: { router: Record<string, number>; delivery: Record<string, number>; total: number };
    bytesPerEvent: { routerToSqs: number; deliveryToSqs: number };
    delivered: number;
    lost: number;
  }>) {
    const fmt = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(
      `| ${run.offeredRate}/s | ${run.acceptedPerSecond} | ${run.acceptedPerVcpuSecond ?? '–'} | ${run.acceptLatencyMs.p50} / ${run.acceptLatencyMs.p99} ms | **${run.sqsPer1000.total}**: router ${fmt(run.sqsPer1000.router)}; delivery ${fmt(run.sqsPer1000.delivery)} | ${run.sqsPer1000.billedTotal} | ${run.dynamodbPer1000.total}: router ${fmt(run.dynamodbPer1000.router)}; delivery ${fmt(run.dynamodbPer1000.delivery)} | ${run.bytesPerEvent.routerToSqs + run.bytesPerEvent.deliveryToSqs} | ${run.delivered} / ${run.lost} |`,
    );
  }
  return lines.join('\n');
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}

main().catch((error: unknown) => {
  console.error(`bench aws: ${error instanceof Error ? error.stack : String(error)}`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
});
