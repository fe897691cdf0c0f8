/**
 * The DeliveryLimiter port's contract, written once and run against every adapter (in-process, DynamoDB):
 *
 *   runDeliveryLimiterContract('in-process', async (now) => ({ limiter, cleanup }));
 *
 * `create` gets the clock the limiter must use (a fake one each test moves by hand) and returns a limiter with no
 * state. A release may take effect a little later (a write), so checks that a slot came back poll with a deadline.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { burstCapacity, type Admission, type Admitted, type DeliveryLimiter, type FunctionLimits, type Refused } from '../../lib/ports/delivery-limiter.js';

export interface DeliveryLimiterUnderTest {
  limiter: DeliveryLimiter;
  cleanup(): Promise<void>;
}

const DEADLINE_MS = 3000;

function admitted(admission: Admission, what = 'an admission'): Admitted {
  assert.equal(admission.admitted, true, `expected ${what}, got ${JSON.stringify(admission)}`);
  return admission as Admitted;
}

function refused(admission: Admission, reason: Refused['reason']): Refused {
  assert.equal(admission.admitted, false, `expected a refusal for ${reason}`);
  const refusal = admission as Refused;
  assert.equal(refusal.reason, reason);
  assert.ok(refusal.retryAfterMs > 0, `retryAfterMs must be positive, got ${refusal.retryAfterMs}`);
  return refusal;
}

/** Acquires until admitted, in real time (a release may land a little later). */
async function eventually(limiter: DeliveryLimiter, key: string, limits: FunctionLimits): Promise<Admitted> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const admission = await limiter.acquire(key, limits);
    if (admission.admitted) return admission;
    if (Date.now() > deadline) assert.fail(`not admitted within ${DEADLINE_MS} ms: ${JSON.stringify(admission)}`);
    await sleep(20);
  }
}

/** Acquires greedily every `stepMs` of fake time for `durationMs`; the number admitted. */
async function admitOver(
  limiter: DeliveryLimiter,
  clock: { advance(ms: number): void },
  key: string,
  limits: FunctionLimits,
  durationMs: number,
  stepMs: number,
): Promise<number> {
  let count = 0;
  for (let elapsed = 0; elapsed < durationMs; elapsed += stepMs) {
    for (;;) {
      const admission = await limiter.acquire(key, limits);
      if (!admission.admitted) break;
      admission.release();
      count += 1;
    }
    clock.advance(stepMs);
  }
  return count;
}

export function runDeliveryLimiterContract(name: string, create: (now: () => number) => Promise<DeliveryLimiterUnderTest>): void {
  describe(`DeliveryLimiter contract: ${name}`, () => {
    let time = 1_800_000_000_000;
    const clock = { now: () => time, advance: (ms: number) => void (time += ms) };
    let subject: DeliveryLimiterUnderTest;
    let limiter: DeliveryLimiter;

    beforeEach(async () => {
      time += 3_600_000;
      subject = await create(clock.now);
      limiter = subject.limiter;
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('admits a burst of burstCapacity(perSecond), then refuses for the rate with a positive retryAfterMs', async () => {
      assert.equal(burstCapacity(50), 5);
      for (let i = 0; i < 5; i++) admitted(await limiter.acquire('s/burst', { perSecond: 50 }));
      refused(await limiter.acquire('s/burst', { perSecond: 50 }), 'rate');
    });

    it('holds the rate over time: at most the burst plus perSecond per second, at least 80% of it', async () => {
      const count = await admitOver(limiter, clock, 's/rate', { perSecond: 20 }, 3000, 10);
      assert.ok(count <= burstCapacity(20) + 3 * 20, `admitted ${count} in 3 s at 20/s`);
      assert.ok(count >= 0.8 * 3 * 20, `admitted only ${count} in 3 s at 20/s`);
    });

    it('a refused caller admitted after waiting retryAfterMs', async () => {
      admitted(await limiter.acquire('s/wait', { perSecond: 2 }));
      const refusal = refused(await limiter.acquire('s/wait', { perSecond: 2 }), 'rate');
      assert.ok(refusal.retryAfterMs <= 500, `the next token is at most 500 ms away, got ${refusal.retryAfterMs}`);
      clock.advance(refusal.retryAfterMs);
      admitted(await limiter.acquire('s/wait', { perSecond: 2 }));
    });

    it('holds maxConcurrency, and a released slot comes back', async () => {
      const held = [];
      for (let i = 0; i < 3; i++) held.push(admitted(await limiter.acquire('s/conc', { maxConcurrency: 3 })));
      refused(await limiter.acquire('s/conc', { maxConcurrency: 3 }), 'concurrency');
      held.pop()!.release();
      held.push(await eventually(limiter, 's/conc', { maxConcurrency: 3 }));
      refused(await limiter.acquire('s/conc', { maxConcurrency: 3 }), 'concurrency');
      for (const slot of held) slot.release();
    });

    it('a second release of the same admission frees nothing more', async () => {
      const first = admitted(await limiter.acquire('s/twice', { maxConcurrency: 2 }));
      const second = admitted(await limiter.acquire('s/twice', { maxConcurrency: 2 }));
      first.release();
      first.release();
      const third = await eventually(limiter, 's/twice', { maxConcurrency: 2 });
      await sleep(100);
      refused(await limiter.acquire('s/twice', { maxConcurrency: 2 }), 'concurrency');
      second.release();
      third.release();
    });

    it('a call refused for concurrency takes no rate token', async () => {
      const limits = { perSecond: 20, maxConcurrency: 1 };
      assert.equal(burstCapacity(20), 2, 'one token left after the first call');
      const first = admitted(await limiter.acquire('s/both', limits));
      for (let i = 0; i < 5; i++) refused(await limiter.acquire('s/both', limits), 'concurrency');
      first.release();
      (await eventually(limiter, 's/both', limits)).release();
    });

    it('a raised rate takes effect within a second, a lowered one at once', async () => {
      await admitOver(limiter, clock, 's/change', { perSecond: 10 }, 1000, 10);
      const raised = await admitOver(limiter, clock, 's/change', { perSecond: 100 }, 2000, 5);
      assert.ok(raised >= 150, `at 100/s for 2 s, admitted only ${raised}`);
      assert.ok(raised <= burstCapacity(100) + 200, `at 100/s for 2 s, admitted ${raised}`);
      const lowered = await admitOver(limiter, clock, 's/change', { perSecond: 2 }, 2000, 10);
      assert.ok(lowered <= burstCapacity(2) + 2 * 2, `at 2/s for 2 s, admitted ${lowered}`);
    });

    it('a changed maxConcurrency takes effect on the next call', async () => {
      const held = [];
      for (let i = 0; i < 2; i++) held.push(admitted(await limiter.acquire('s/conc-change', { maxConcurrency: 2 })));
      refused(await limiter.acquire('s/conc-change', { maxConcurrency: 2 }), 'concurrency');
      held.push(admitted(await limiter.acquire('s/conc-change', { maxConcurrency: 3 })));
      refused(await limiter.acquire('s/conc-change', { maxConcurrency: 1 }), 'concurrency');
      for (const slot of held) slot.release();
    });

    it('keys are independent', async () => {
      for (let i = 0; i < 3; i++) admitted(await limiter.acquire('s/a', { perSecond: 30, maxConcurrency: 10 }));
      refused(await limiter.acquire('s/a', { perSecond: 30, maxConcurrency: 10 }), 'rate');
      const held = admitted(await limiter.acquire('s/b', { perSecond: 30, maxConcurrency: 1 }));
      refused(await limiter.acquire('s/b', { perSecond: 30, maxConcurrency: 1 }), 'concurrency');
      admitted(await limiter.acquire('other/a', { perSecond: 30 })).release();
      held.release();
    });

    it('no limits: always admitted', async () => {
      for (let i = 0; i < 50; i++) admitted(await limiter.acquire('s/free', {}));
    });
  });
}
