import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
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
});
