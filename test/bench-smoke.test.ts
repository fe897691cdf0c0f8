import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

// A smoke test of `npm run bench`: 1-second wrk runs on a tiny configuration. It checks that the bench completes
// and reports; it asserts nothing about speed (benchmarks are not tests, issue 7).
const RUN = new URL('../bench/run.mjs', import.meta.url).pathname;
/** bench/run.mjs exits with this when the fixed ports of the reference pieces (5055, 4100) are taken. */
const EXIT_PORTS_BUSY = 3;

function wrkInstalled(): boolean {
  const error = spawnSync('wrk', ['--version']).error as NodeJS.ErrnoException | undefined;
  return error?.code !== 'ENOENT';
}

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.BENCH_PROFILE;
  delete env.BENCH_SECONDS;
  delete env.BENCH_RESULTS_DIR;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function skipLoudly(t: { skip: (message: string) => void }, message: string): void {
  process.stderr.write(`\n*** ${message} ***\n\n`);
  t.skip(message);
}

describe('the benchmark (npm run bench)', () => {
  it('runs every scenario for a second each in smoke mode and prints the results and targets tables', { timeout: 240_000 }, async (t) => {
    if (!wrkInstalled()) {
      skipLoudly(t, 'wrk is not installed (apt-get install -y wrk): the bench smoke test was SKIPPED');
      return;
    }
    const out = await mkdtemp(join(tmpdir(), 'eg-bench-smoke-'));
    try {
      const { code, stdout, stderr } = await runBench(['--smoke', '--out', out]);
      if (code === EXIT_PORTS_BUSY) {
        skipLoudly(t, `ports 5055/4100 are in use, probably by another bench run: the bench smoke test was SKIPPED\n${stderr}`);
        return;
      }
      assert.equal(code, 0, `the bench failed:\n${stderr}\n${stdout}`);

      assert.match(stdout, /--durability process/, 'the durability setting is printed');
      for (const row of ['proxy `GET /hello` (baseline', '(a) sync `GET /hello`', '(b) async CE 0.1 structured', '(c) async CE 1.0 binary']) {
        assert.ok(stdout.includes(`| ${row}`), `the results table has a row for ${row}`);
      }
      for (const n of ['10', '100', '1,000']) {
        assert.match(stdout, new RegExp(`\\| \\(d\\) sync \`GET\` spread over ${n} routes \\| [\\d,]+ \\|`), `the results table has a row for (d) with ${n} routes`);
      }
      assert.match(stdout, /\| \(d\) sync route lookup end to end, subscriptions \|/);
      assert.match(stdout, /\| \(d\) micro-benchmark, `RoutingTable\.matchSync` in-process, subscriptions \|/);
      assert.match(stdout, /\| Route lookup at 100,000 subscriptions ≤ 1\.2× its cost at 10 \| [^|]+ end to end [^|]+ \| – \|/);
      assert.match(stdout, /\| RSS after loading 200 subscriptions/);
      assert.match(stdout, /\| Target \(issue 7\) \| Measured \| \|/);
      assert.match(stdout, /\| Ready in ≤ 0\.5 s on a warm start \| [^|]+ \| [✓✗] \|/);

      const files = (await readdir(out)).filter((f) => f.endsWith('.json'));
      assert.equal(files.length, 1);
      const result = JSON.parse(await readFile(join(out, files[0]!), 'utf8')) as {
        proxy: { rps: number };
        scenarios: Record<'sync' | 'asyncStructured' | 'asyncBinary', { rps: number; accepted?: number; delivered?: number; dropped?: number }>;
        routeLookup: { results: Array<{ subscriptions: number; matched: number }> };
        routeLookupEndToEnd: { results: Array<{ subscriptions: number; rps: number; rounds: Array<{ requests: number; non2xx: number }> }> };
        memory: { rssMB: number };
      };
      assert.ok(result.proxy.rps > 0 && result.scenarios.sync.rps > 0, 'wrk measured some requests');
      for (const key of ['asyncStructured', 'asyncBinary'] as const) {
        const s = result.scenarios[key];
        assert.ok((s.accepted ?? 0) > 0, `${key}: some events were accepted`);
        assert.ok((s.delivered ?? 0) >= s.accepted!, `${key}: every accepted event reached the function`);
        assert.equal(s.dropped, 0);
      }
      assert.deepEqual(result.routeLookup.results.map((r) => [r.subscriptions, r.matched]), [[10, 4096], [100, 4096], [1000, 4096]]);
      assert.deepEqual(result.routeLookupEndToEnd.results.map((r) => r.subscriptions), [10, 100, 1000]);
      for (const size of result.routeLookupEndToEnd.results) {
        assert.ok(size.rps > 0 && size.rounds.every((r) => r.requests > 0 && r.non2xx === 0), `(d) end to end with ${size.subscriptions} routes: every answer was 2xx`);
      }
      assert.ok(result.memory.rssMB > 0);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('aws: runs the router against DynamoDB Local and fauxqs for a second, counts AWS requests, and loses nothing', { timeout: 240_000 }, async () => {
    const out = await mkdtemp(join(tmpdir(), 'eg-bench-aws-smoke-'));
    try {
      const file = join(out, 'aws.json');
      const { code, stdout, stderr } = await runBench(['aws', '--smoke', '--rates', '200', '--seconds', '1', '--out', file]);
      assert.equal(code, 0, `the aws bench failed:\n${stderr}\n${stdout}`);
      assert.match(stdout, /\| 200\/s \| \d+ \|/, 'the results table has a row for the offered rate');
      const result = JSON.parse(await readFile(file, 'utf8')) as {
        delivery: { batchSize: number; invocations: number };
        runs: Array<{
          accepted: number;
          delivered: number;
          lost: number;
          sqsPer1000: { router: Record<string, number>; delivery: Record<string, number>; total: number };
          dynamodbPer1000: { total: number };
          acceptLatencyMs: { p50: number; p99: number };
        }>;
      };
      const [run] = result.runs;
      assert.ok(run && run.accepted > 0, 'some events were accepted');
      assert.equal(run.lost, 0);
      assert.ok(run.delivered >= run.accepted, 'every accepted event reached the function');
      assert.ok((run.sqsPer1000.router.SendMessageBatch ?? 0) > 0, 'the router sent through the counting proxy');
      assert.ok((run.sqsPer1000.delivery.ReceiveMessage ?? 0) > 0, 'the delivery side received through its proxy');
      assert.ok(run.acceptLatencyMs.p99 >= run.acceptLatencyMs.p50);
      assert.ok(result.delivery.invocations > 0, 'the delivery handler was invoked');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
