import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessLimiter } from '../../../lib/adapters/limiter/index.js';
import type { Admission, Admitted, Refused } from '../../../lib/ports/delivery-limiter.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function admitted(a: Admission): Admitted {
  assert.equal(a.admitted, true, `expected admission, got ${JSON.stringify(a)}`);
  return a as Admitted;
}

function refused(a: Admission): Refused {
  assert.equal(a.admitted, false, 'expected a refusal');
  return a as Refused;
}

describe('InProcessLimiter: rate', () => {
  it('admits a burst of a tenth of perSecond, then refuses with the time until the next token', async () => {
    const c = clock();
    const limiter = new InProcessLimiter({ now: c.now });
    for (let i = 0; i < 10; i++) admitted(await limiter.acquire('s/f', { perSecond: 100 }));
    const r = refused(await limiter.acquire('s/f', { perSecond: 100 }));
    assert.equal(r.reason, 'rate');
    assert.equal(r.retryAfterMs, 10);
    c.advance(10);
    admitted(await limiter.acquire('s/f', { perSecond: 100 }));
  });

  it('holds a burst of at least one call, for rates under 10/s', () => {
    const c = clock();
    const limiter = new InProcessLimiter({ now: c.now });
    admitted(limiter.tryAcquire('k', { perSecond: 4 }));
    assert.equal(refused(limiter.tryAcquire('k', { perSecond: 4 })).retryAfterMs, 250);
  });

  it('refills continuously, never beyond its capacity', () => {
    const c = clock();
    const limiter = new InProcessLimiter({ now: c.now });
    for (let i = 0; i < 4; i++) admitted(limiter.tryAcquire('k', { perSecond: 40 }));
    refused(limiter.tryAcquire('k', { perSecond: 40 }));
    c.advance(60_000);
    for (let i = 0; i < 4; i++) admitted(limiter.tryAcquire('k', { perSecond: 40 }));
    refused(limiter.tryAcquire('k', { perSecond: 40 }));
    c.advance(25);
    admitted(limiter.tryAcquire('k', { perSecond: 40 }));
  });

  it('gives refused callers successive places in line, one token interval apart', () => {
    const c = clock();
    const limiter = new InProcessLimiter({ now: c.now });
    admitted(limiter.tryAcquire('k', { perSecond: 1 }));
    const hints = [0, 1, 2].map(() => refused(limiter.tryAcquire('k', { perSecond: 1 })).retryAfterMs);
    assert.deepEqual(hints, [1000, 2000, 3000]);
    // The line is forgotten once its places have passed.
    c.advance(10_000);
    admitted(limiter.tryAcquire('k', { perSecond: 1 }));
    assert.equal(refused(limiter.tryAcquire('k', { perSecond: 1 })).retryAfterMs, 1000);
  });

  it('holds a fractional rate: 0.5/s is one call every 2 s', () => {
    const c = clock();
    const limiter = new InProcessLimiter({ now: c.now });
    admitted(limiter.tryAcquire('k', { perSecond: 0.5 }));
    assert.equal(refused(limiter.tryAcquire('k', { perSecond: 0.5 })).retryAfterMs, 2000);
    c.advance(2000);
    admitted(limiter.tryAcquire('k', { perSecond: 0.5 }));
  });

  it('keeps keys apart, and starts a fresh bucket when the limit changes', () => {
    const c = clock();
    const limiter = new InProcessLimiter({ now: c.now });
    admitted(limiter.tryAcquire('a', { perSecond: 1 }));
    refused(limiter.tryAcquire('a', { perSecond: 1 }));
    admitted(limiter.tryAcquire('b', { perSecond: 1 }));
    for (let i = 0; i < 5; i++) admitted(limiter.tryAcquire('a', { perSecond: 50 }));
    refused(limiter.tryAcquire('a', { perSecond: 50 }));
    admitted(limiter.tryAcquire('a', {}));
  });

  it('admits about perSecond per second over a long run, and never more than 1.1 × perSecond + 1 in any second', () => {
    const c = clock();
    const limiter = new InProcessLimiter({ now: c.now });
    let calls = 0;
    const at: number[] = [];
    for (let ms = 0; ms < 10_000; ms++) {
      while (limiter.tryAcquire('k', { perSecond: 100 }).admitted) {
        calls++;
        at.push(ms);
      }
      c.advance(1);
    }
    for (let start = 0; start < 9000; start += 100) {
      const inSecond = at.filter((t) => t >= start && t < start + 1000).length;
      assert.ok(inSecond <= 111, `${inSecond} calls in the second from ${start} ms`);
    }
    // The burst (10) plus 10 s of refill (1000).
    assert.ok(calls >= 1009 && calls <= 1010, `${calls} calls in 10 s`);
  });
});

describe('InProcessLimiter: concurrency', () => {
  it('admits maxConcurrency calls at once and frees a slot on release (once only)', () => {
    const c = clock();
    const limiter = new InProcessLimiter({ now: c.now });
    const first = admitted(limiter.tryAcquire('k', { maxConcurrency: 2 }));
    admitted(limiter.tryAcquire('k', { maxConcurrency: 2 }));
    const r = refused(limiter.tryAcquire('k', { maxConcurrency: 2 }));
    assert.equal(r.reason, 'concurrency');
    assert.ok(r.retryAfterMs >= 1);
    first.release();
    first.release();
    admitted(limiter.tryAcquire('k', { maxConcurrency: 2 }));
    refused(limiter.tryAcquire('k', { maxConcurrency: 2 }));
  });

  it('hints from the measured call duration, spread over the slots', () => {
    const c = clock();
    const limiter = new InProcessLimiter({ now: c.now, initialCallMs: 1000 });
    const calls = [admitted(limiter.tryAcquire('k', { maxConcurrency: 2 })), admitted(limiter.tryAcquire('k', { maxConcurrency: 2 }))];
    assert.deepEqual(
      [0, 1].map(() => refused(limiter.tryAcquire('k', { maxConcurrency: 2 })).retryAfterMs),
      [500, 1000],
    );
    c.advance(5000);
    calls[0]!.release();
    // The average moves towards 5000 ms (weight 0.2): 1000 + 0.2 * 4000 = 1800.
    admitted(limiter.tryAcquire('k', { maxConcurrency: 2 }));
    assert.equal(refused(limiter.tryAcquire('k', { maxConcurrency: 2 })).retryAfterMs, 900);
  });

  it('keeps counting calls in flight across a limit change', () => {
    const limiter = new InProcessLimiter();
    const a = admitted(limiter.tryAcquire('k', { maxConcurrency: 1 }));
    refused(limiter.tryAcquire('k', { maxConcurrency: 1 }));
    const b = admitted(limiter.tryAcquire('k', { maxConcurrency: 2 }));
    refused(limiter.tryAcquire('k', { maxConcurrency: 2 }));
    a.release();
    b.release();
    admitted(limiter.tryAcquire('k', { maxConcurrency: 1 }));
  });

  it('takes neither a token nor a slot when refused', () => {
    const c = clock();
    const limiter = new InProcessLimiter({ now: c.now });
    const held = admitted(limiter.tryAcquire('k', { perSecond: 20, maxConcurrency: 1 }));
    assert.equal(refused(limiter.tryAcquire('k', { perSecond: 20, maxConcurrency: 1 })).reason, 'concurrency');
    held.release();
    // One token is left: the refusal above took none.
    admitted(limiter.tryAcquire('k', { perSecond: 20, maxConcurrency: 1 })).release();
    const r = refused(limiter.tryAcquire('k', { perSecond: 20, maxConcurrency: 1 }));
    assert.equal(r.reason, 'rate');
    // ...and no slot: a call without rate limit still gets in.
    admitted(limiter.tryAcquire('k', { maxConcurrency: 1 }));
  });
});
