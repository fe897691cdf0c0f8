import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/cost-model.mjs', import.meta.url));

interface Result {
  eventsPerSecond: number;
  eventsPerMonth: number;
  stack: { lines: Array<{ item: string; usd: number }>; total: number };
  eventBridge: { lines: Array<{ item: string; usd: number }>; total: number };
}

function run(...args: string[]): string {
  return execFileSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 10_000 });
}

describe('scripts/cost-model.mjs', () => {
  it('prints one column each for 100, 1,000 and 10,000 events/s, with both totals', () => {
    const text = run();
    assert.match(text, /\| \| 100 events\/s \| 1,000 events\/s \| 10,000 events\/s \|/);
    assert.match(text, /\| \*\*This stack, total\*\* \| \*\*\$[\d,.]+\*\* \| \*\*\$[\d,.]+\*\* \| \*\*\$[\d,.]+\*\* \|/);
    assert.match(text, /\| \*\*API Gateway \+ EventBridge, total\*\* \|/);
  });

  it('adds up its lines, and the EventBridge side is a per-event price times the events', async () => {
    const { results } = JSON.parse(run('--json', '--rates', '1000')) as { results: Result[] };
    const [result] = results;
    const sum = result!.stack.lines.reduce((s, l) => s + l.usd, 0);
    assert.ok(Math.abs(sum - result!.stack.total) < 0.01);
    assert.equal(result!.eventsPerMonth, 1000 * 730 * 3600);
    const putEvents = result!.eventBridge.lines.find((l) => l.item === 'EventBridge PutEvents');
    assert.equal(putEvents?.usd, 2628);
  });

  it('dates its price table and gives every price a source URL', async () => {
    const { PRICES, PRICES_AS_OF, ASSUMPTIONS } = (await import(SCRIPT)) as {
      PRICES: Record<string, { usd: number; source: string }>;
      PRICES_AS_OF: string;
      ASSUMPTIONS: Record<string, { why: string }>;
    };
    assert.match(PRICES_AS_OF, /^\d{4}-\d{2}-\d{2}$/);
    for (const [name, price] of Object.entries(PRICES)) {
      assert.ok(price.usd > 0, name);
      assert.match(price.source, /^https:\/\/aws\.amazon\.com\//, name);
    }
    for (const [name, assumption] of Object.entries(ASSUMPTIONS)) assert.ok(assumption.why.length > 10, name);
  });

  it('grows with the event rate', () => {
    const { results } = JSON.parse(run('--json')) as { results: Result[] };
    const totals = results.map((r) => r.stack.total);
    assert.ok(totals[0]! < totals[1]! && totals[1]! < totals[2]!, totals.join(' < '));
  });

  it('refuses a rate that is not a positive number', () => {
    assert.throws(() => execFileSync(process.execPath, [SCRIPT, '--rates', 'abc'], { stdio: 'pipe' }), /--rates takes positive numbers/);
  });

  const COMMITTED = fileURLToPath(new URL('../../docs/cost-measured.json', import.meta.url));

  it('takes SQS requests, DynamoDB reads and tasks from the figures the aws bench measured', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-cost-'));
    try {
      const file = join(dir, 'aws.json');
      const measuredRun = (rate: number, billedTotal: number) => ({
        offeredRate: rate,
        acceptedPerVcpuSecond: 2000,
        delivered: 1000,
        sqsPer1000: { total: billedTotal, billedTotal },
        dynamodbPer1000: { router: { GetItem: 10 }, delivery: { GetItem: 5 } },
        bytesPerEvent: { routerToSqs: 1000 },
      });
      await writeFile(file, JSON.stringify({ date: '2026-12-04', delivery: { invocations: 20 }, runs: [measuredRun(1000, 50), measuredRun(5000, 20)] }));
      const { results, measured } = JSON.parse(run('--json', '--rates', '1000,10000', '--measured', file)) as { results: Result[]; measured: { file: string } };
      assert.equal(measured.file, file);
      const sqs = (r: Result) => r.stack.lines.find((l) => l.item === 'SQS requests')!.usd;
      // 2,628 M events × 50 per 1,000 + the idle pollers' 657,000 long polls, at $0.40 a million.
      assert.equal(sqs(results[0]!), Math.round(((2628e6 * 0.05 + 657_000) / 1e6) * 0.4 * 100) / 100);
      // 10,000 events/s takes the 5,000 run: 20 per 1,000.
      assert.equal(sqs(results[1]!), Math.round(((26_280e6 * 0.02 + 657_000) / 1e6) * 0.4 * 100) / 100);
      // 2,000 events per vCPU-second × 0.5 vCPU × 60% = 600 per task: 17 tasks at 10,000 events/s.
      assert.match(results[1]!.stack.lines.find((l) => l.item === 'Fargate router tasks')!.item, /Fargate/);
      const tasks = JSON.parse(run('--json', '--rates', '10000', '--measured', file)).results[0].stack.lines[0].usd;
      assert.equal(tasks, Math.round(17 * 730 * (0.5 * 0.04048 + 0.004445) * 100) / 100);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('on the committed measured figures: the default stack is at most a tenth of API Gateway + EventBridge at 1,000 and 10,000 events/s', () => {
    const { results } = JSON.parse(run('--json', '--rates', '1000,10000', '--measured', COMMITTED)) as { results: Result[] };
    for (const result of results) {
      assert.ok(result.stack.total * 10 <= result.eventBridge.total, `${result.eventsPerSecond}/s: $${result.stack.total} vs $${result.eventBridge.total}`);
    }
  });

  it('prices the small profile: one task, no NAT gateway, at or below API Gateway + EventBridge at 100 events/s', () => {
    const { results } = JSON.parse(run('--json', '--rates', '100', '--profile', 'small', '--measured', COMMITTED)) as { results: Result[] };
    const [result] = results;
    const line = (item: string) => result!.stack.lines.find((l) => l.item === item)!.usd;
    assert.equal(line('NAT gateway'), 0);
    assert.equal(line('Fargate router tasks'), Math.round(730 * (0.5 * 0.04048 + 0.004445) * 100) / 100);
    assert.ok(result!.stack.total <= result!.eventBridge.total, `$${result!.stack.total} vs $${result!.eventBridge.total}`);
    assert.throws(() => execFileSync(process.execPath, [SCRIPT, '--profile', 'tiny'], { stdio: 'pipe' }), /unknown profile tiny/);
  });

  it('caps the small profile at its two tasks and says when a rate is more than they take', () => {
    const text = run('--rates', '1000,10000', '--profile', 'small', '--measured', COMMITTED);
    assert.match(text, /At 10,000 events\/s this profile is over capacity: 2 tasks \(maxTasks\) take about [\d,]+ events\/s \(raise routerMaxTasks\)/);
    assert.doesNotMatch(text, /At 1,000 events\/s/);
    const { results } = JSON.parse(run('--json', '--rates', '10000', '--profile', 'small', '--measured', COMMITTED)) as { results: Result[] };
    assert.equal(results[0]!.stack.lines[0]!.usd, Math.round(2 * 730 * (0.5 * 0.04048 + 0.004445) * 100) / 100);
  });
});
