import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FunctionConfig } from '../../lib/core/model/types.js';
import { InFlight, InvokerRegistry } from '../../lib/dispatch/index.js';
import { HttpInvoker } from '../../lib/invokers/index.js';
import { Sink } from '../helpers/sink.js';

const LOOPBACK = { allowLoopback: true, allow: [] };

describe('Class: InvokerRegistry (docs/compatibility.md#sync-responses, #retries-and-timeouts)', () => {
  let sink: Sink;
  let registry: InvokerRegistry;
  let target: FunctionConfig;
  const lambda: FunctionConfig = { space: 'default', functionId: 'fn', type: 'awslambda', provider: { arn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', region: 'us-east-1' } };

  before(async () => {
    sink = await Sink.start();
    registry = new InvokerRegistry([new HttpInvoker({ targetPolicy: LOOPBACK })]);
    target = { space: 'default', functionId: 'target', type: 'http', provider: { url: sink.url } };
  });

  after(async () => {
    await registry.close();
    await sink.close();
  });

  describe('Method: callSync', () => {
    it('answers with the body of any status but 500', async () => {
      for (const status of [200, 302, 404, 503]) {
        sink.reply = { status, body: `"${status}"` };
        const called = await registry.callSync(target, { payload: '{}' });
        assert.ok(called.ok, `status ${status}`);
        assert.equal(called.body.toString(), `"${status}"`);
      }
    });

    it('fails with the function error of a 500', async () => {
      sink.reply = { status: 500, body: 'boom' };
      const called = await registry.callSync(target, { payload: '{}' });
      assert.equal(called.ok, false);
      assert.equal(!called.ok && called.error.kind, 'function-error');
      assert.match(!called.ok ? called.error.message : '', /runtime error\. Error: HTTP status code: 500$/);
    });

    it('fails, without throwing, for a function type this gateway has no invoker for', async () => {
      const called = await registry.callSync(lambda, { payload: '{}' });
      assert.equal(called.ok, false);
      assert.match(!called.ok ? called.error.message : '', /no invoker for function type awslambda/);
    });
  });

  describe('Method: deliver', () => {
    it('delivers on a 2xx, with the body', async () => {
      sink.reply = { status: 204 };
      assert.deepEqual(await registry.deliver(target, { payload: '{}' }), { outcome: 'delivered', body: Buffer.alloc(0) });
    });

    it('retries a 429 with the target\'s Retry-After, and a 503', async () => {
      sink.reply = { status: 429, headers: { 'retry-after': '7' } };
      assert.deepEqual(await registry.deliver(target, { payload: '{}' }), {
        outcome: 'retry', error: { message: 'HTTP status code: 429', status: 429 }, retryAfterMs: 7000,
      });
      sink.reply = { status: 503 };
      const attempt = await registry.deliver(target, { payload: '{}' });
      assert.equal(attempt.outcome, 'retry');
    });

    it('fails a 400 and a 3xx for good', async () => {
      for (const status of [400, 301]) {
        sink.reply = { status, headers: { location: '/elsewhere' } };
        const attempt = await registry.deliver(target, { payload: '{}' });
        assert.equal(attempt.outcome, 'permanent', `status ${status}`);
        assert.deepEqual('error' in attempt && attempt.error, { message: `HTTP status code: ${status}`, status });
      }
    });

    it('retries a call that failed (no invoker), with the error\'s message and no status', async () => {
      const attempt = await registry.deliver(lambda, { payload: '{}' });
      assert.equal(attempt.outcome, 'retry');
      assert.deepEqual('error' in attempt && attempt.error, { message: 'Function call failed. Error: no invoker for function type awslambda in this gateway' });
    });
  });
});

describe('Class: InFlight', () => {
  it('resolves idle at once when nothing is in flight, else when the last one leaves', async () => {
    const inFlight = new InFlight();
    await inFlight.idle();
    inFlight.enter();
    inFlight.enter();
    let idle = false;
    const waiting = inFlight.idle().then(() => (idle = true));
    inFlight.leave();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(idle, false);
    assert.equal(inFlight.size, 1);
    inFlight.leave();
    await waiting;
    assert.equal(inFlight.size, 0);
  });
});
