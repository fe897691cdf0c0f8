// The benchmark of issue 7 (bench/README.md). `npm run bench [-- --quick | --smoke | --seconds N | --rounds N]`;
// `npm run bench -- aws` runs bench/aws.ts.
// Starts the function (count-target.mjs, :5055), the baseline proxy (proxy.mjs, :4100) and the gateway in local mode
// on 127.0.0.1, drives them with wrk, and stops all of it at the end. See bench/README.md for the method.
// Environment: BENCH_SECONDS (seconds per wrk run), BENCH_PROFILE=1 (a --cpu-prof phase), BENCH_RESULTS_DIR.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatSummary, summarise } from './profile-summary.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bench = fileURLToPath(new URL('.', import.meta.url));
const HOST = '127.0.0.1';
const FUNCTION_PORT = 5055; // fixed in count-target.mjs and proxy.mjs
const PROXY_PORT = 4100;
const CONNECTIONS = 32;
/** Exit code when the fixed ports are taken (another bench running): the smoke test skips on it. */
const EXIT_PORTS_BUSY = 3;

// `npm run bench -- aws [...]`: the AWS request-count bench (bench/aws.ts, run through tsx), documented in bench/README.md.
if (process.argv[2] === 'aws') {
  const aws = spawnSync(process.execPath, ['--import', 'tsx', join(bench, 'aws.ts'), ...process.argv.slice(3)], { cwd: root, stdio: 'inherit' });
  process.exit(aws.status ?? 1);
}

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    profile: { type: 'boolean', default: process.env.BENCH_PROFILE === '1' },
    out: { type: 'string', default: process.env.BENCH_RESULTS_DIR ?? join(bench, 'results') },
  },
});

const mode = flags.smoke ? 'smoke' : flags.quick ? 'quick' : 'full';
const settings = {
  mode,
  seconds: Number(flags.seconds ?? process.env.BENCH_SECONDS ?? { full: 6, quick: 2, smoke: 1 }[mode]),
  rounds: Number(flags.rounds ?? (mode === 'smoke' ? 1 : 2)),
  warmupSeconds: mode === 'smoke' ? 0 : 1,
  /** Subscriptions loaded for the RSS figure (the target is stated for 10,000). */
  loadSubscriptions: mode === 'smoke' ? 200 : 10_000,
  warmStarts: mode === 'smoke' ? 1 : 3,
  /** Sizes of scenario (d), end to end and in the micro-benchmark; the first is the base of its ratios. */
  routeSizes: mode === 'smoke' ? '10,100,1000' : '10,1000,100000',
  routeLookups: mode === 'smoke' ? 100_000 : 2_000_000,
  drainTimeoutMs: mode === 'smoke' ? 60_000 : 300_000,
};
for (const key of ['seconds', 'rounds']) {
  if (!Number.isInteger(settings[key]) || settings[key] < 1) fail(`--${key} must be a whole number of at least 1`);
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes: every one is tracked, and all are stopped on exit, Ctrl-C and errors.

const children = new Set();
const gatewayLog = [];
let tmp;

function start(name, command, args, { env = process.env, keepLog } = {}) {
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.label = name;
  child.output = '';
  const collect = (chunk) => {
    child.output = (child.output + chunk).slice(-64 * 1024);
    if (keepLog) for (const line of String(chunk).split('\n')) if (line.trim()) keepLog.push(line);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('error', (error) => {
    child.output += String(error);
  });
  children.add(child);
  child.exited.then(() => children.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stop(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    await Promise.all([...children].map((child) => stop(child, 5_000)));
    keepAlive.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  })();
  return cleaning;
}

function fail(message, code = 1) {
  console.error(`bench: ${message}`);
  process.exit(code);
}

class BenchError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

let aborting = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    aborting = true;
    console.error(`\nbench: ${signal}, stopping everything`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const benchStarted = performance.now();
const progress = (message) => console.error(`  · ${((performance.now() - benchStarted) / 1000).toFixed(1).padStart(6)} s  ${message}`);

function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** One HTTP request to 127.0.0.1; resolves with status and body, or status 0 when the connection failed. */
function request(url, { method = 'GET', body, agent = keepAlive } = {}) {
  return new Promise((resolve) => {
    const req = http.request(url, { method, agent, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end(body);
  });
}

async function waitUntil(what, check, { child, timeoutMs = 30_000, everyMs = 20 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (child && child.exitCode !== null) throw childExited(child);
    if (Date.now() > deadline) throw new BenchError(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

function childExited(child) {
  const busy = /EADDRINUSE/.test(child.output);
  return new BenchError(
    `${child.label} exited (code ${child.exitCode})${busy ? ': its port is in use' : ''}\n${child.output.trim().split('\n').slice(-20).join('\n')}`,
    busy ? EXIT_PORTS_BUSY : 1,
  );
}

const accepts = (port) => () => new Promise((resolve) => {
  const socket = net.connect(port, HOST, () => socket.end(() => resolve(true)));
  socket.on('error', () => resolve(false));
});

// ---------------------------------------------------------------------------------------------------------------
// The function, the proxy and the gateway.

async function count() {
  const res = await request(`http://${HOST}:${FUNCTION_PORT}/count`);
  if (res.status !== 200) throw new BenchError(`GET /count of the function answered ${res.status}`);
  return JSON.parse(res.body);
}

async function startReferencePieces() {
  for (const [port, what] of [[FUNCTION_PORT, 'count-target'], [PROXY_PORT, 'proxy']]) {
    if (!(await canListen(port))) {
      throw new BenchError(`port ${port} (${what}) is in use on ${HOST}: is another bench running?`, EXIT_PORTS_BUSY);
    }
  }
  const target = start('count-target', process.execPath, [join(bench, 'count-target.mjs')], { env: { ...process.env, PORT: String(FUNCTION_PORT) } });
  await waitUntil('the function on :5055', accepts(FUNCTION_PORT), { child: target });
  const proxy = start('proxy', process.execPath, [join(bench, 'proxy.mjs')], { env: { ...process.env, PORT: String(PROXY_PORT) } });
  await waitUntil('the proxy on :4100', accepts(PROXY_PORT), { child: proxy });
  return { target, proxy };
}

/** The gateway's flags. `--durability process` is what the crash tests (and the default) use. */
function gatewayArgs(dataDir, configPort, eventsPort) {
  return [
    'bin/event-gateway.js', '--dev',
    '--data-dir', dataDir,
    '--config-port', String(configPort),
    '--events-port', String(eventsPort),
    '--connector-port', '0',
    '--log-level', 'warn',
    '--durability', 'process',
  ];
}

/** Spawns the gateway and waits for `GET /v1/status` 200; readyMs is spawn → that 200. */
async function startGateway(dataDir, { profileDir } = {}) {
  const configPort = await freePort();
  const eventsPort = await freePort();
  const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const args = [...nodeFlags, ...gatewayArgs(dataDir, configPort, eventsPort)];
  const configUrl = `http://${HOST}:${configPort}`;
  const spawnedAt = performance.now();
  const child = start('gateway', process.execPath, args, { keepLog: gatewayLog });
  await waitUntil('the gateway\'s /v1/status', async () => (await request(`${configUrl}/v1/status`, { agent: false })).status === 200, {
    child,
    everyMs: 5,
  });
  const readyMs = performance.now() - spawnedAt;
  await waitUntil('the events API', accepts(eventsPort), { child });
  return { child, pid: child.pid, configUrl, eventsUrl: `http://${HOST}:${eventsPort}`, readyMs, args };
}

async function stopGateway(gateway) {
  const { code, signal } = await stop(gateway.child);
  if (code !== 0) progress(`the gateway exited with ${signal ?? `code ${code}`}`);
}

function assertAlive(gateway) {
  if (gateway.child.exitCode !== null) throw childExited(gateway.child);
}

/** The same calls as setup.sh: the function, two event types, sync GET /hello and async POST /. */
async function registerBenchConfig(configUrl) {
  const space = `${configUrl}/v1/spaces/default`;
  const calls = [
    ['functions', { functionId: 'bench', type: 'http', provider: { url: `http://${HOST}:${FUNCTION_PORT}/` } }],
    ['eventtypes', { name: 'http.request' }],
    ['eventtypes', { name: 'bench.event' }],
    ['subscriptions', { type: 'sync', eventType: 'http.request', functionId: 'bench', method: 'GET', path: '/hello' }],
    ['subscriptions', { type: 'async', eventType: 'bench.event', functionId: 'bench', path: '/' }],
  ];
  for (const [kind, body] of calls) {
    const res = await request(`${space}/${kind}`, { method: 'POST', body: JSON.stringify(body) });
    if (res.status !== 201) throw new BenchError(`POST ${kind} answered ${res.status}: ${res.body}`);
  }
}

/** Runs prefill-subscriptions.ts (see the script) on stopped gateways' data dirs; resolves with its stdout. */
async function prefillSubscriptions(args) {
  const child = start('prefill-subscriptions', process.execPath, ['--import', 'tsx', join(bench, 'prefill-subscriptions.ts'), ...args]);
  const { code } = await child.exited;
  if (code !== 0) throw new BenchError(`prefill-subscriptions failed:\n${child.output}`);
  return child.output;
}

/** Sums every series of the named metrics in the Prometheus text of /v1/metrics. */
async function metrics(configUrl, names) {
  const res = await request(`${configUrl}/v1/metrics`);
  const out = Object.fromEntries(names.map((n) => [n, 0]));
  for (const line of res.body.split('\n')) {
    const m = /^([a-z_]+)(?:\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (m && m[1] in out) out[m[1]] += Number(m[2]);
  }
  return out;
}

function vmStatus(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024 };
}

/**
 * Bundles the CLI first (bin/build.mjs, as `npm install` does), so that the bin runs the current code the way it
 * starts after an install, and not the sources through tsx because a file changed since the last build.
 */
function buildBundle() {
  const built = spawnSync(process.execPath, [join(root, 'bin', 'build.mjs')], { cwd: root, encoding: 'utf8' });
  if (built.status !== 0 || !existsSync(join(root, 'dist', 'cli', 'index.js'))) {
    console.error(`bench: could not bundle the CLI; the gateway runs through tsx\n${built.stderr ?? ''}`);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// wrk.

function haveWrk() {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  return probe.error?.code !== 'ENOENT';
}

const UNIT_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseWrk(text) {
  const latency = (pct) => {
    const m = new RegExp(`^\\s+${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text);
    return m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
  };
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m|h)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non200 = /^Non-200 responses: (\d+)$/m.exec(text); // printed by lookup-paths.lua
  const requests = Number(done?.[1] ?? NaN);
  const durationS = done ? (Number(done[2]) * UNIT_MS[done[3]]) / 1000 : NaN;
  return {
    requests,
    durationS,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN),
    p50Ms: latency(50),
    p99Ms: latency(99),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non200: non200 ? Number(non200[1]) : undefined,
  };
}

async function wrk(url, { script, scriptArgs = [], seconds = settings.seconds } = {}) {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', join(bench, script)] : []), url];
  if (scriptArgs.length > 0) args.push('--', ...scriptArgs);
  const child = start('wrk', 'wrk', args);
  const { code } = await child.exited;
  if (code !== 0) throw new BenchError(`wrk ${args.join(' ')} failed (code ${code}):\n${child.output}`);
  const result = parseWrk(child.output);
  if (!Number.isFinite(result.requests) || !Number.isFinite(result.p99Ms)) {
    throw new BenchError(`could not read wrk's output:\n${child.output}`);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios.

const QUEUE_METRICS = [
  'eventgateway_queue_commits_total',
  'eventgateway_queue_committed_items_total',
  'eventgateway_delivery_retries_total',
  'eventgateway_dead_letters',
];

/**
 * Async emits with `script`, then waits until the function has seen every accepted (2xx) event. Requests still in
 * flight when wrk stops may be accepted without wrk counting them, so `delivered` can exceed `accepted` by a few.
 */
async function asyncScenario(gateway, script, seconds = settings.seconds) {
  const before = await count();
  const metricsBefore = await metrics(gateway.configUrl, QUEUE_METRICS);
  const startedUs = nowUs();
  const run = await wrk(`${gateway.eventsUrl}/`, { script, seconds });
  const accepted = run.requests - run.non2xx;
  const drainStarted = performance.now();
  const deadline = Date.now() + settings.drainTimeoutMs;
  let delivered = 0;
  let drainMs = null;
  for (;;) {
    delivered = (await count()).bench - before.bench;
    if (delivered >= accepted) {
      drainMs = performance.now() - drainStarted;
      break;
    }
    if (Date.now() > deadline) break;
    assertAlive(gateway);
    await sleep(20);
  }
  const drainedUs = nowUs();
  // Let the cut-off requests land too, so that they do not count in the next scenario.
  await waitUntil('an empty delivery queue', async () => (await metrics(gateway.configUrl, ['eventgateway_queue_depth'])).eventgateway_queue_depth === 0, {
    timeoutMs: drainMs === null ? 1_000 : 30_000,
    everyMs: 50,
  }).catch(() => {});
  delivered = (await count()).bench - before.bench;
  const after = await metrics(gateway.configUrl, QUEUE_METRICS);
  const delta = (name) => after[name] - metricsBefore[name];
  assertAlive(gateway);
  return {
    ...run,
    acceptedPerSec: run.requests > 0 ? (run.rps * accepted) / run.requests : 0,
    accepted,
    delivered,
    dropped: Math.max(0, accepted - delivered),
    rejected: run.non2xx,
    drainMs,
    itemsPerCommit: delta('eventgateway_queue_committed_items_total') / Math.max(1, delta('eventgateway_queue_commits_total')),
    retries: delta('eventgateway_delivery_retries_total'),
    deadLetters: after.eventgateway_dead_letters,
    window: { fromUs: startedUs, toUs: drainedUs },
  };
}

const SCENARIOS = [
  { key: 'sync', label: '(a) sync `GET /hello`', run: (gw) => wrk(`${gw.eventsUrl}/hello`) },
  { key: 'asyncStructured', label: '(b) async CE 0.1 structured', async: true, run: (gw) => asyncScenario(gw, 'emit.lua') },
  { key: 'asyncBinary', label: '(c) async CE 1.0 binary', async: true, run: (gw) => asyncScenario(gw, 'emit-binary.lua') },
];

const proxyHello = () => wrk(`http://${HOST}:${PROXY_PORT}/hello`);

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function summariseRounds(rounds, isAsync) {
  const out = {
    rps: mean(rounds.map((r) => (isAsync ? r.acceptedPerSec : r.rps))),
    p50Ms: mean(rounds.map((r) => r.p50Ms)),
    p99Ms: mean(rounds.map((r) => r.p99Ms)),
  };
  if (isAsync) {
    Object.assign(out, {
      answeredPerSec: mean(rounds.map((r) => r.rps)),
      accepted: rounds.reduce((a, r) => a + r.accepted, 0),
      delivered: rounds.reduce((a, r) => a + r.delivered, 0),
      dropped: rounds.reduce((a, r) => a + r.dropped, 0),
      rejected: rounds.reduce((a, r) => a + r.rejected, 0),
      drainMs: rounds.some((r) => r.drainMs === null) ? null : Math.max(...rounds.map((r) => r.drainMs)),
      itemsPerCommit: mean(rounds.map((r) => r.itemsPerCommit)),
      retries: rounds.reduce((a, r) => a + r.retries, 0),
      deadLetters: Math.max(...rounds.map((r) => r.deadLetters)),
    });
  }
  return out;
}

async function routeLookup() {
  const args = ['--import', 'tsx', join(bench, 'route-lookup.ts'), '--json', '--sizes', settings.routeSizes, '--lookups', String(settings.routeLookups)];
  const child = start('route-lookup', process.execPath, args);
  const { code } = await child.exited;
  if (code !== 0) throw new BenchError(`route-lookup failed:\n${child.output}`);
  return JSON.parse(child.output.trim().split('\n').pop());
}

/**
 * Scenario (d) end to end: for each size N, a gateway on a copy of `baseDataDir` (the stopped bench gateway's, with
 * its function and event types) plus N sync routes, driven by lookup-paths.lua over all N routes. The gateways run
 * side by side so that the rounds can interleave the sizes, as the main rounds interleave the scenarios.
 */
async function routeLookupEndToEnd(baseDataDir, proxy) {
  const sizes = settings.routeSizes.split(',').map(Number);
  const pathsFile = join(tmp, 'route-paths.txt');
  const dirs = sizes.map((n) => join(tmp, `routes-${n}`));
  for (const dir of dirs) cpSync(baseDataDir, dir, { recursive: true });
  progress(`(d) adding ${sizes.map(fmtInt).join(', ')} sync routes to copies of the data dir`);
  const prefill = JSON.parse((await prefillSubscriptions(['--routes', pathsFile, ...sizes.flatMap((n, i) => [dirs[i], String(n)])])).trim().split('\n').pop());
  const paths = readFileSync(pathsFile, 'utf8').split('\n');

  const tables = [];
  try {
    for (const [i, n] of sizes.entries()) {
      const table = { n, gateway: await startGateway(dirs[i]), prefillMs: prefill.prefillMs[dirs[i]], rounds: [] };
      tables.push(table);
      // Exactly 200 and the function's body on the first, a middle and the last route; wrk checks 2xx for all.
      for (const path of new Set([paths[0], paths[Math.floor(n / 2)], paths[n - 1]])) {
        const res = await request(`${table.gateway.eventsUrl}${path}`);
        if (res.status !== 200 || res.body !== 'ok') throw new BenchError(`(d) GET ${path} with ${fmtInt(n)} subscriptions answered ${res.status} ${res.body}`);
      }
      table.idle = vmStatus(table.gateway.pid);
      progress(`(d) gateway with ${fmtInt(n)} routes ready in ${fmtMs(table.gateway.readyMs)}, ${table.idle.rssMB.toFixed(1)} MB RSS`);
    }
    const run = async (table, seconds) => {
      const x = await wrk(table.gateway.eventsUrl, { script: 'lookup-paths.lua', scriptArgs: [pathsFile, String(table.n)], seconds });
      assertAlive(table.gateway);
      // A path that no sync route matches is answered 202 (an async event), so wrk's non-2xx count is not enough.
      if (x.non2xx > 0 || x.non200 !== 0) {
        throw new BenchError(`(d) with ${fmtInt(table.n)} subscriptions, ${x.non200 ?? 'an unknown number'} of ${fmtInt(x.requests)} answers were not 200 (${fmtInt(x.non2xx)} not 2xx): every route must answer 200`);
      }
      return x;
    };
    if (settings.warmupSeconds) for (const table of tables) await run(table, settings.warmupSeconds);
    for (let round = 1; round <= settings.rounds; round++) {
      // Smallest first in odd rounds, largest first in even ones, so that drifting load favours no size.
      for (const table of round % 2 === 1 ? tables : [...tables].reverse()) {
        const x = await run(table);
        table.rounds.push(x);
        progress(`round ${round}: (d) ${fmtInt(table.n)} routes ${fmtInt(x.rps)} req/s, p50 ${fmtMs(x.p50Ms)}, p99 ${fmtMs(x.p99Ms)}`);
      }
    }
    for (const table of tables) table.peak = vmStatus(table.gateway.pid);
  } finally {
    for (const { gateway } of tables) await stopGateway(gateway);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }

  const results = tables.map(({ n, gateway, prefillMs, rounds, idle, peak }) => {
    const m = summariseRounds(rounds, false);
    return {
      subscriptions: n,
      rounds,
      ...m,
      ratio: { rps: m.rps / proxy.rps, p50: m.p50Ms / proxy.p50Ms, p99: m.p99Ms / proxy.p99Ms },
      readyMs: gateway.readyMs,
      rssMB: idle.rssMB,
      hwmMB: peak.hwmMB,
      prefillMs,
    };
  });
  const [base] = results;
  for (const x of results) {
    // The cost of a request is 1 / throughput: 1.10× means each request took 10% longer than with the fewest routes.
    x.vsSmallest = { cost: base.rps / x.rps, p50: x.p50Ms / base.p50Ms, p99: x.p99Ms / base.p99Ms };
  }
  return { routesMs: prefill.routesMs, results, ratio: results.at(-1).vsSmallest.cost };
}

async function profilePhase(dataDir, profileDir) {
  mkdirSync(profileDir, { recursive: true });
  const gateway = await startGateway(dataDir, { profileDir });
  const windows = {};
  try {
    const fromUs = nowUs();
    await wrk(`${gateway.eventsUrl}/hello`);
    windows.sync = { fromUs, toUs: nowUs() };
    const emitted = await asyncScenario(gateway, 'emit.lua');
    windows.async = emitted.window;
  } finally {
    await stopGateway(gateway);
  }
  // One file per thread (pino-pretty's transport runs in workers); the main thread's has thread index 0.
  const file = readdirSync(profileDir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f)).map((f) => join(profileDir, f))[0];
  if (!file) throw new BenchError(`the gateway wrote no .cpuprofile into ${profileDir}`);
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  return {
    file: relative(root, file),
    sync: summarise(profile, { from: windows.sync.fromUs, to: windows.sync.toUs }),
    async: summarise(profile, { from: windows.async.fromUs, to: windows.async.toUs }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Output.

const TARGETS = {
  syncRps: 1.0,
  syncP99: 1.5,
  asyncRps: 1.5,
  lookupRatio: 1.2,
  rssMB: 150,
  warmReadyMs: 500,
};

const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtMs = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 100 ? `${ms.toFixed(2)} ms` : `${fmtInt(ms)} ms`);
const fmtX = (x) => `${x.toFixed(2)}×`;
const check = (ok) => (ok === null ? '–' : ok ? '✓' : '✗');
const routesLabel = (n) => `(d) sync \`GET\` spread over ${fmtInt(n)} routes`;

/** Rows of the targets table: [target, measured, met (null when this mode does not measure it), value]. */
function targetRows(r) {
  const rows = [];
  const sync = r.scenarios.sync;
  rows.push(['Sync throughput ≥ 1.0× the proxy', fmtX(sync.ratio.rps), sync.ratio.rps >= TARGETS.syncRps, sync.ratio.rps]);
  rows.push(['Sync p99 ≤ 1.5× the proxy\'s', fmtX(sync.ratio.p99), sync.ratio.p99 <= TARGETS.syncP99, sync.ratio.p99]);
  for (const key of ['asyncStructured', 'asyncBinary']) {
    const s = r.scenarios[key];
    const name = key === 'asyncStructured' ? 'CE 0.1 structured' : 'CE 1.0 binary';
    rows.push([`Async ${name}: accepted ≥ 1.5× the proxy's rate`, fmtX(s.ratio.rps), s.ratio.rps >= TARGETS.asyncRps, s.ratio.rps]);
    rows.push([
      `Async ${name}: 0 dropped, every accepted event delivered`,
      `${fmtInt(s.dropped)} dropped of ${fmtInt(s.accepted)}${s.drainMs === null ? ' (drain timed out)' : ''}`,
      s.dropped === 0 && s.drainMs !== null,
      s.dropped,
    ]);
  }
  const e2e = r.routeLookupEndToEnd;
  const largest = e2e.results.at(-1);
  const smallest = e2e.results[0];
  const measuresTarget = smallest.subscriptions === 10 && largest.subscriptions === 100_000;
  rows.push([
    'Route lookup at 100,000 subscriptions ≤ 1.2× its cost at 10',
    `${fmtX(e2e.ratio)} end to end (1/req/s; p50 ${fmtX(largest.vsSmallest.p50)})${measuresTarget ? '' : `, ${fmtInt(largest.subscriptions)} vs ${fmtInt(smallest.subscriptions)} subscriptions in this mode`}`,
    measuresTarget ? e2e.ratio <= TARGETS.lookupRatio : null,
    e2e.ratio,
  ]);
  const mem = r.memory;
  rows.push([
    'RSS ≤ 150 MB with 10,000 subscriptions loaded',
    `${mem.rssMB.toFixed(1)} MB${mem.subscriptions === 10_000 ? '' : ` with ${fmtInt(mem.subscriptions)} subscriptions in this mode`}`,
    mem.subscriptions === 10_000 ? mem.rssMB <= TARGETS.rssMB : null,
    mem.rssMB,
  ]);
  rows.push(['Ready in ≤ 0.5 s on a warm start', fmtMs(r.startup.warmReadyMs), r.startup.warmReadyMs <= TARGETS.warmReadyMs, r.startup.warmReadyMs]);
  return rows;
}

function markdown(r) {
  const lines = [];
  const proxy = r.proxy;
  lines.push(`### Results (${r.settings.mode} mode, ${r.settings.rounds} round${r.settings.rounds > 1 ? 's' : ''} of ${r.settings.seconds} s)`, '');
  lines.push('| Scenario | req/s | × proxy | p50 | × proxy | p99 | × proxy |', '|---|--:|--:|--:|--:|--:|--:|');
  lines.push(`| proxy \`GET /hello\` (baseline, mean of ${proxy.rounds.length}) | ${fmtInt(proxy.rps)} | 1.00× | ${fmtMs(proxy.p50Ms)} | 1.00× | ${fmtMs(proxy.p99Ms)} | 1.00× |`);
  for (const s of SCENARIOS) {
    const x = r.scenarios[s.key];
    const label = s.async ? `${s.label}, accepted/s` : s.label;
    lines.push(`| ${label} | ${fmtInt(x.rps)} | ${fmtX(x.ratio.rps)} | ${fmtMs(x.p50Ms)} | ${fmtX(x.ratio.p50)} | ${fmtMs(x.p99Ms)} | ${fmtX(x.ratio.p99)} |`);
  }
  for (const x of r.routeLookupEndToEnd.results) {
    lines.push(`| ${routesLabel(x.subscriptions)} | ${fmtInt(x.rps)} | ${fmtX(x.ratio.rps)} | ${fmtMs(x.p50Ms)} | ${fmtX(x.ratio.p50)} | ${fmtMs(x.p99Ms)} | ${fmtX(x.ratio.p99)} |`);
  }
  lines.push('', '| Async delivery | accepted (202) | delivered | dropped | non-202 (429…) | drain after the run (longest round) | items per commit | retries |', '|---|--:|--:|--:|--:|--:|--:|--:|');
  for (const s of SCENARIOS.filter((s) => s.async)) {
    const x = r.scenarios[s.key];
    lines.push(
      `| ${s.label} | ${fmtInt(x.accepted)} | ${fmtInt(x.delivered)} | ${fmtInt(x.dropped)} | ${fmtInt(x.rejected)} | ${x.drainMs === null ? 'timed out' : fmtMs(x.drainMs)} | ${x.itemsPerCommit.toFixed(1)} | ${fmtInt(x.retries)} |`,
    );
  }
  const e2e = r.routeLookupEndToEnd;
  lines.push('', '| (d) sync route lookup end to end, subscriptions | cost per request (1/req/s) × smallest | p50 × smallest | p99 × smallest | prefill (set-up) |', '|--:|--:|--:|--:|--:|');
  for (const x of e2e.results) {
    lines.push(`| ${fmtInt(x.subscriptions)} | ${fmtX(x.vsSmallest.cost)} | ${fmtX(x.vsSmallest.p50)} | ${fmtX(x.vsSmallest.p99)} | ${fmtMs(x.prefillMs)} |`);
  }
  const lookup = r.routeLookup;
  const base = lookup.results[0];
  lines.push('', '| (d) micro-benchmark, `RoutingTable.matchSync` in-process, subscriptions | ns/lookup (requests over all routes) | × smallest | ns/lookup (16 hot routes) | × smallest |', '|--:|--:|--:|--:|--:|');
  for (const x of lookup.results) {
    lines.push(`| ${fmtInt(x.subscriptions)} | ${x.nsPerLookup.toFixed(0)} | ${fmtX(x.nsPerLookup / base.nsPerLookup)} | ${x.nsPerLookupHot.toFixed(0)} | ${fmtX(x.nsPerLookupHot / base.nsPerLookupHot)} |`);
  }
  const st = r.startup;
  lines.push('', '| Memory and start-up | |', '|---|--:|');
  lines.push(`| RSS after loading ${fmtInt(r.memory.subscriptions)} subscriptions (fresh start, VmRSS) | ${r.memory.rssMB.toFixed(1)} MB (peak ${r.memory.hwmMB.toFixed(1)} MB) |`);
  lines.push(`| time-to-ready, first start (fresh data dir) | ${fmtMs(st.firstReadyMs)} |`);
  lines.push(`| time-to-ready, warm start (median of ${st.warmReadyRuns.length}: ${st.warmReadyRuns.map(fmtMs).join(', ')}) | ${fmtMs(st.warmReadyMs)} |`);
  lines.push(`| time-to-ready, warm start with ${fmtInt(r.memory.subscriptions)} subscriptions | ${fmtMs(st.loadedReadyMs)} |`);
  const most = e2e.results.at(-1);
  lines.push(`| RSS with ${fmtInt(most.subscriptions)} sync routes of (d) (after start; peak after its runs) | ${most.rssMB.toFixed(1)} MB (peak ${most.hwmMB.toFixed(1)} MB) |`);
  lines.push(`| time-to-ready with ${fmtInt(most.subscriptions)} sync routes of (d) | ${fmtMs(most.readyMs)} |`);
  lines.push('', '| Target (issue 7) | Measured | |', '|---|---|:-:|');
  for (const [name, measured, ok] of targetRows(r)) lines.push(`| ${name} | ${measured} | ${check(ok)} |`);
  const failures = [
    ['proxy `GET /hello`', proxy.rounds],
    ...SCENARIOS.map((s) => [s.label, r.scenarios[s.key].rounds]),
    ...r.routeLookupEndToEnd.results.map((x) => [routesLabel(x.subscriptions), x.rounds]),
  ]
    .map(([label, rounds]) => [label, rounds.reduce((a, x) => a + x.socketErrors, 0), SCENARIOS.some((s) => s.async && s.label === label) ? 0 : rounds.reduce((a, x) => a + x.non2xx, 0)])
    .filter(([, socketErrors, non2xx]) => socketErrors > 0 || non2xx > 0);
  for (const [label, socketErrors, non2xx] of failures) {
    lines.push('', `Warning: ${label} had ${fmtInt(non2xx)} non-2xx answers and ${fmtInt(socketErrors)} socket errors (wrk); its figures include them.`);
  }
  if (r.profile) {
    lines.push('', `### CPU profile of the gateway (${r.profile.file})`, '');
    lines.push(formatSummary(r.profile.sync, 'sync `GET /hello`'), '', formatSummary(r.profile.async, 'async CE 0.1 emits, until delivered'));
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------

async function main() {
  if (!haveWrk()) {
    console.error('bench: wrk is not installed. Install it (Debian/Ubuntu) with:\n\n  apt-get install -y wrk\n');
    process.exit(1);
  }
  const startedAt = new Date();
  tmp = mkdtempSync(join(os.tmpdir(), 'eg-bench-'));
  const dataDir = join(tmp, 'data');
  const overrides = Object.entries(process.env).filter(([k]) => k.startsWith('EVENT_GATEWAY_')).map(([k, v]) => `${k}=${v}`);

  console.log(`## Event Gateway benchmark, ${startedAt.toISOString()}`);
  console.log('');
  const bundled = buildBundle();
  console.log(`- Gateway: local mode, \`node ${gatewayArgs('<tmp>/data', '<free>', '<free>').join(' ')}\`${overrides.length ? `, with ${overrides.join(' ')}` : ''}, ${bundled ? 'running the bundle of `npm run build` (built just now)' : 'running the sources through tsx (the bundle could not be built)'}.`);
  console.log('- Durability: `process`, as in the crash tests: SQLite WAL with synchronous=NORMAL and group commit; an accepted (202) event survives a crash of the gateway process, not a power loss.');
  console.log(`- Method: \`wrk -t1 -c${CONNECTIONS} -d${settings.seconds}s --latency\`, proxy and gateway runs interleaved, ${settings.rounds} round(s)${settings.warmupSeconds ? `, after a ${settings.warmupSeconds} s warm-up of each path (not counted)` : ''}. Ratios are to the proxy's \`GET /hello\` (mean of its rounds).`);
  console.log(`- Machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}; shared with other work, so absolute numbers are noise.`);
  console.log('');

  await startReferencePieces();
  const first = await startGateway(dataDir);
  progress(`gateway ready in ${fmtMs(first.readyMs)} (pid ${first.pid})`);
  await registerBenchConfig(first.configUrl);
  await sleep(100); // the routing table is rebuilt on the next turn after a change

  if (settings.warmupSeconds) {
    progress('warm-up');
    await wrk(`http://${HOST}:${PROXY_PORT}/hello`, { seconds: settings.warmupSeconds });
    await wrk(`${first.eventsUrl}/hello`, { seconds: settings.warmupSeconds });
    await asyncScenario(first, 'emit.lua', settings.warmupSeconds);
  }

  const proxyRounds = [];
  const scenarioRounds = Object.fromEntries(SCENARIOS.map((s) => [s.key, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    const p = await proxyHello();
    proxyRounds.push(p);
    progress(`round ${round}: proxy GET /hello ${fmtInt(p.rps)} req/s, p50 ${fmtMs(p.p50Ms)}, p99 ${fmtMs(p.p99Ms)}`);
    for (const s of SCENARIOS) {
      const x = await s.run(first);
      assertAlive(first);
      scenarioRounds[s.key].push(x);
      progress(
        `round ${round}: ${s.label} ${fmtInt(x.rps)} req/s${s.async ? ` (${fmtInt(x.acceptedPerSec)} accepted/s, ${fmtInt(x.delivered)}/${fmtInt(x.accepted)} delivered, ${fmtInt(x.rejected)} non-202)` : ''}, p50 ${fmtMs(x.p50Ms)}, p99 ${fmtMs(x.p99Ms)}`,
      );
    }
  }
  await stopGateway(first);

  const proxy = { rounds: proxyRounds, ...summariseRounds(proxyRounds, false) };
  const scenarios = {};
  for (const s of SCENARIOS) {
    const m = summariseRounds(scenarioRounds[s.key], s.async);
    scenarios[s.key] = {
      rounds: scenarioRounds[s.key].map(({ window, ...rest }) => rest),
      ...m,
      ratio: { rps: m.rps / proxy.rps, p50: m.p50Ms / proxy.p50Ms, p99: m.p99Ms / proxy.p99Ms },
    };
  }

  const routesEndToEnd = await routeLookupEndToEnd(dataDir, proxy);

  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  let profile;
  if (flags.profile) {
    progress('profile phase (--cpu-prof)');
    profile = await profilePhase(dataDir, join(flags.out, `${stamp}-profile`));
  }

  progress('warm starts');
  const warmReadyRuns = [];
  for (let i = 0; i < settings.warmStarts; i++) {
    const gateway = await startGateway(dataDir);
    warmReadyRuns.push(gateway.readyMs);
    await stopGateway(gateway);
  }
  progress(`adding ${fmtInt(settings.loadSubscriptions)} subscriptions to the data dir`);
  await prefillSubscriptions([dataDir, String(settings.loadSubscriptions)]);
  const loaded = await startGateway(dataDir);
  const probe = await request(`${loaded.eventsUrl}/load/s0`);
  if (probe.status !== 200) throw new BenchError(`GET /load/s0 on the restarted gateway answered ${probe.status}: the loaded subscriptions are not live`);
  await sleep(1_000);
  const memory = { subscriptions: settings.loadSubscriptions, ...vmStatus(loaded.pid) };
  await stopGateway(loaded);

  progress('route lookup micro-benchmark');
  const lookup = await routeLookup();

  const sorted = [...warmReadyRuns].sort((a, b) => a - b);
  const result = {
    startedAt: startedAt.toISOString(),
    settings,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim(), loadavg: os.loadavg(), node: process.version },
    gateway: { args: gatewayArgs('<tmp>/data', '<free>', '<free>'), durability: 'process', env: overrides },
    proxy,
    scenarios,
    routeLookupEndToEnd: routesEndToEnd,
    routeLookup: lookup,
    memory,
    startup: { firstReadyMs: first.readyMs, warmReadyMs: sorted[Math.floor((sorted.length - 1) / 2)], warmReadyRuns, loadedReadyMs: loaded.readyMs },
    profile,
  };
  result.targets = targetRows(result).map(([target, measured, met, value]) => ({ target, value, measured, met }));

  mkdirSync(flags.out, { recursive: true });
  const file = join(flags.out, `${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(markdown(result));
  if (gatewayLog.length > 0) {
    console.log(['', `The gateway logged ${gatewayLog.length} line(s) at warn or above; the first ones:`, '', '```', ...gatewayLog.slice(0, 10), '```'].join('\n'));
  }
  console.log(`\nJSON: ${relative(process.cwd(), file) || file}`);
}

try {
  await main();
  await cleanup();
  process.exit(0);
} catch (error) {
  if (aborting) await new Promise(() => {}); // the signal handler stops everything and exits
  console.error(`bench: ${error instanceof BenchError ? error.message : error?.stack ?? error}`);
  await cleanup();
  process.exit(error instanceof BenchError ? error.exitCode : 1);
}
