import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_HTTP_TIMEOUT_MS,
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  classifyHttpStatus,
  defaultTimeoutMs,
  mayRetry,
  resolveRetryPolicy,
  type ResolvedRetryPolicy,
} from '../../../lib/core/retry/index.js';

const policy: ResolvedRetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, maxAgeSeconds: 60 };

/** A random source that always returns `value` (0 ≤ value < 1, as Math.random). */
const fixed = (value: number) => () => value;
const ALMOST_ONE = 1 - Number.EPSILON;

describe('retry policy', () => {
  describe('resolveRetryPolicy', () => {
    it('fills every missing field with the documented default', () => {
      assert.deepEqual(resolveRetryPolicy(undefined), {
        maxAttempts: 10,
        baseDelayMs: 1000,
        maxDelayMs: 300_000,
        maxAgeSeconds: 86_400,
      });
      assert.deepEqual(resolveRetryPolicy({}), DEFAULT_RETRY_POLICY);
    });

    it('keeps the fields that are set, zero included', () => {
      assert.deepEqual(resolveRetryPolicy({ maxAttempts: 1, baseDelayMs: 0 }), {
        maxAttempts: 1,
        baseDelayMs: 0,
        maxDelayMs: 300_000,
        maxAgeSeconds: 86_400,
      });
      assert.deepEqual(resolveRetryPolicy(policy), policy);
    });

    it('cannot be changed through the shared defaults', () => {
      assert.ok(Object.isFrozen(DEFAULT_RETRY_POLICY));
      const resolved = resolveRetryPolicy(undefined);
      resolved.maxAttempts = 99;
      assert.equal(resolveRetryPolicy(undefined).maxAttempts, 10);
    });
  });

  describe('defaultTimeoutMs', () => {
    it('bounds an http invocation by 5 s and leaves the AWS types unbounded', () => {
      assert.equal(DEFAULT_HTTP_TIMEOUT_MS, 5000);
      assert.equal(defaultTimeoutMs('http'), 5000);
      for (const type of ['awslambda', 'awskinesis', 'awsfirehose', 'awssqs'] as const) {
        assert.equal(defaultTimeoutMs(type), undefined, type);
      }
    });
  });

  describe('backoffDelayMs', () => {
    it('draws from [0, base·2^attempt): the random source scales the ceiling, rounded down', () => {
      assert.equal(backoffDelayMs(policy, 0, undefined, fixed(0)), 0);
      assert.equal(backoffDelayMs(policy, 0, undefined, fixed(0.5)), 50);
      assert.equal(backoffDelayMs(policy, 0, undefined, fixed(ALMOST_ONE)), 99);
      assert.equal(backoffDelayMs(policy, 1, undefined, fixed(ALMOST_ONE)), 199);
      assert.equal(backoffDelayMs(policy, 3, undefined, fixed(0.5)), 400);
    });

    it('never reaches maxDelayMs, however many attempts were made', () => {
      for (const attempt of [4, 10, 30, 31, 1000, Number.MAX_SAFE_INTEGER]) {
        const delay = backoffDelayMs(policy, attempt, undefined, fixed(ALMOST_ONE));
        assert.equal(delay, 999, `attempt ${attempt}`);
      }
      const huge: ResolvedRetryPolicy = { ...policy, maxDelayMs: Number.MAX_SAFE_INTEGER };
      const delay = backoffDelayMs(huge, 1000, undefined, fixed(ALMOST_ONE));
      assert.ok(Number.isFinite(delay) && delay <= 100 * 2 ** 30, `the exponent is capped: ${delay}`);
    });

    it('stays within its bounds with the real random source', () => {
      for (let attempt = 0; attempt < 12; attempt++) {
        const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
        for (let i = 0; i < 50; i++) {
          const delay = backoffDelayMs(policy, attempt, undefined);
          assert.ok(Number.isInteger(delay) && delay >= 0 && delay < ceiling, `attempt ${attempt}: ${delay}`);
        }
      }
    });

    it("waits for the target's Retry-After when it is longer than the drawn delay, even beyond maxDelayMs", () => {
      assert.equal(backoffDelayMs(policy, 0, 5000, fixed(0.5)), 5000);
      assert.equal(backoffDelayMs(policy, 10, 60_000, fixed(ALMOST_ONE)), 60_000);
    });

    it('ignores a Retry-After shorter than the drawn delay, and a zero one', () => {
      assert.equal(backoffDelayMs(policy, 3, 10, fixed(0.5)), 400);
      assert.equal(backoffDelayMs(policy, 3, 0, fixed(0.5)), 400);
      assert.equal(backoffDelayMs(policy, 0, 0, fixed(0)), 0);
    });

    it('uses Math.random when no source is given', () => {
      const original = Math.random;
      Math.random = () => 0.25;
      try {
        assert.equal(backoffDelayMs(policy, 2, undefined), 100);
      } finally {
        Math.random = original;
      }
    });
  });

  describe('classifyHttpStatus', () => {
    it('counts every 2xx as delivered', () => {
      for (const status of [200, 201, 202, 204, 299]) assert.equal(classifyHttpStatus(status), 'delivered', String(status));
    });

    it('retries 408, 425, 429 and every 5xx', () => {
      for (const status of [408, 425, 429, 500, 502, 503, 504, 599]) assert.equal(classifyHttpStatus(status), 'retry', String(status));
    });

    it('gives up on redirects and the other 4xx, and on what is not a final status', () => {
      for (const status of [100, 199, 300, 301, 304, 400, 401, 403, 404, 409, 410, 413, 422, 426, 428, 431, 451]) {
        assert.equal(classifyHttpStatus(status), 'permanent', String(status));
      }
    });
  });

  describe('mayRetry', () => {
    const acceptedAt = 1_000_000;

    it('allows another attempt until maxAttempts attempts were made', () => {
      assert.equal(mayRetry(policy, 1, acceptedAt, acceptedAt), true);
      assert.equal(mayRetry(policy, 4, acceptedAt, acceptedAt), true);
      assert.equal(mayRetry(policy, 5, acceptedAt, acceptedAt), false);
      assert.equal(mayRetry({ ...policy, maxAttempts: 1 }, 1, acceptedAt, acceptedAt), false);
    });

    it('allows another attempt only while the item is younger than maxAgeSeconds', () => {
      assert.equal(mayRetry(policy, 1, acceptedAt, acceptedAt + 59_999), true);
      assert.equal(mayRetry(policy, 1, acceptedAt, acceptedAt + 60_000), false);
      assert.equal(mayRetry(policy, 1, acceptedAt, acceptedAt + 3_600_000), false);
    });
  });
});
