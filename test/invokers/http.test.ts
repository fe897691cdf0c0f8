import assert from 'node:assert/strict';
import type { LookupFunction } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import type { FunctionConfig } from '../../lib/core/model/types.js';
import { InvocationError } from '../../lib/core/response/index.js';
import { Sink, type SinkResponder } from '../helpers/sink.js';
import { HttpInvoker, httpResultError, parseRetryAfter } from '../../lib/invokers/http/index.js';

/** The target: a {@link Sink} that answers `ok` unless a test sets its own responder. */
const answerOk: SinkResponder = (_req, res) => res.end('ok');

async function startTarget(): Promise<Sink> {
  const sink = await Sink.start();
  sink.respond = answerOk;
  return sink;
}

function resetTarget(sink: Sink): void {
  sink.reset();
  sink.respond = answerOk;
}

function httpFunction(url: string, headers?: Record<string, string>): FunctionConfig {
  return { space: 'default', functionId: 'fn', type: 'http', provider: headers === undefined ? { url } : { url, headers } };
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const target = await startTarget();
  const port = target.port;
  await target.close();
  return port;
}

async function invocationError(promise: Promise<unknown>): Promise<InvocationError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof InvocationError, `expected an InvocationError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

const PAYLOAD = '{"eventType":"user.created","eventID":"1","cloudEventsVersion":"0.1","source":"/x","data":{"a":1}}';

describe('Class: HttpInvoker', () => {
  let target: Sink;
  let invoker: HttpInvoker;

  before(async () => {
    target = await startTarget();
    invoker = new HttpInvoker();
  });

  afterEach(() => resetTarget(target));

  after(async () => {
    await invoker.close();
    await target.close();
  });

  describe('Method: invoke', () => {
    it('posts the payload as application/cloudevents+json to the URL, without its fragment', async () => {
      const result = await invoker.invoke(httpFunction(`${target.origin}/hook/path?key=v#frag`), { payload: PAYLOAD });

      assert.equal(result.status, 200);
      assert.equal(result.body.toString(), 'ok');
      assert.equal(target.received.length, 1);
      const received = target.received[0]!;
      assert.equal(received.method, 'POST');
      assert.equal(received.url, '/hook/path?key=v');
      assert.equal(received.headers['content-type'], 'application/cloudevents+json');
      assert.equal(received.headers['content-length'], String(Buffer.byteLength(PAYLOAD)));
      assert.equal(received.body, PAYLOAD);
    });

    it('sends the static headers and the per-call headers, the per-call ones winning on a clash', async () => {
      const fn = httpFunction(target.origin, { 'x-functions-key': 'secret', 'x-shared': 'from-provider' });

      await invoker.invoke(fn, {
        payload: PAYLOAD,
        headers: { 'webhook-id': 'msg_1', 'X-Shared': 'from-request' },
      });

      const headers = target.received[0]!.headers;
      assert.equal(headers['x-functions-key'], 'secret');
      assert.equal(headers['webhook-id'], 'msg_1');
      assert.equal(headers['x-shared'], 'from-request');
    });

    it('keeps the content type fixed even when configured headers name another one', async () => {
      const fn = httpFunction(target.origin, { 'Content-Type': 'text/plain' });

      await invoker.invoke(fn, { payload: PAYLOAD, headers: { 'content-type': 'application/json' } });

      assert.equal(target.received[0]!.headers['content-type'], 'application/cloudevents+json');
    });

    it('turns credentials in the URL into Basic auth and does not send them in the path', async () => {
      await invoker.invoke(httpFunction(`http://us%40er:p%3Ass@127.0.0.1:${target.port}/x`), { payload: PAYLOAD });

      const received = target.received[0]!;
      assert.equal(received.url, '/x');
      assert.equal(received.headers.authorization, `Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
    });

    it('reuses one keep-alive connection for sequential calls', async () => {
      const fresh = new HttpInvoker();
      const fn = httpFunction(`${target.origin}/ka`);
      try {
        for (let i = 0; i < 5; i++) {
          const result = await fresh.invoke(fn, { payload: PAYLOAD, timeoutMs: 5000 });
          assert.equal(result.status, 200);
          // undici frees a socket one event-loop turn after its response ends (a call issued in the same turn
          // gets a second socket); between real requests the loop always turns.
          await setImmediatePromise();
        }
      } finally {
        await fresh.close();
      }

      assert.equal(target.received.length, 5);
      assert.equal(target.connections, 1);
      assert.equal(new Set(target.received.map((r) => r.remotePort)).size, 1);
    });

    it('returns a 302 as is and never contacts the Location target', async () => {
      const elsewhere = await startTarget();
      try {
        target.respond = (_req, res) => {
          res.writeHead(302, { location: `${elsewhere.origin}/internal` });
          res.end('moved');
        };

        const result = await invoker.invoke(httpFunction(target.origin), { payload: PAYLOAD });

        assert.equal(result.status, 302);
        assert.equal(result.body.toString(), 'moved');
        assert.equal(elsewhere.connections, 0);
        assert.equal(elsewhere.received.length, 0);
      } finally {
        await elsewhere.close();
      }
    });

    it('returns a 500 answer, which httpResultError turns into the runtime-error message of conformance item 36', async () => {
      target.respond = (_req, res) => {
        res.statusCode = 500;
        res.end('boom');
      };

      const result = await invoker.invoke(httpFunction(target.origin), { payload: PAYLOAD });
      const error = httpResultError(result.status);

      assert.equal(result.status, 500);
      assert.equal(result.body.toString(), 'boom');
      assert.ok(error instanceof InvocationError);
      assert.equal(error.kind, 'function-error');
      assert.equal(error.status, 500);
      assert.equal(error.message, 'Function call failed because of runtime error. Error: HTTP status code: 500');
    });

    it('returns 404 and 503 answers with their status and body', async () => {
      for (const status of [404, 503]) {
        target.respond = (_req, res) => {
          res.statusCode = status;
          res.end(`status ${status}`);
        };

        const result = await invoker.invoke(httpFunction(target.origin), { payload: PAYLOAD });

        assert.equal(result.status, status);
        assert.equal(result.body.toString(), `status ${status}`);
        assert.equal(result.retryAfterMs, undefined);
      }
    });

    it('returns an empty body as an empty Buffer', async () => {
      target.respond = (_req, res) => {
        res.statusCode = 204;
        res.end();
      };

      const result = await invoker.invoke(httpFunction(target.origin), { payload: PAYLOAD });

      assert.equal(result.status, 204);
      assert.ok(Buffer.isBuffer(result.body));
      assert.equal(result.body.length, 0);
    });

    it('reads Retry-After given in delta-seconds', async () => {
      target.respond = (_req, res) => {
        res.writeHead(429, { 'retry-after': '120' });
        res.end();
      };

      const result = await invoker.invoke(httpFunction(target.origin), { payload: PAYLOAD });

      assert.equal(result.status, 429);
      assert.equal(result.retryAfterMs, 120_000);
    });

    it('reads Retry-After given as an HTTP date', async () => {
      const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 30_000);
      target.respond = (_req, res) => {
        res.writeHead(503, { 'retry-after': at.toUTCString() });
        res.end();
      };

      const before = Date.now();
      const result = await invoker.invoke(httpFunction(target.origin), { payload: PAYLOAD });

      assert.equal(result.status, 503);
      assert.ok(result.retryAfterMs !== undefined);
      assert.ok(result.retryAfterMs <= at.getTime() - before, `${result.retryAfterMs}`);
      assert.ok(result.retryAfterMs >= 25_000, `${result.retryAfterMs}`);
    });

    it('throws a timeout error when the target never answers, within about timeoutMs', async () => {
      target.respond = () => {};
      const started = performance.now();

      const error = await invocationError(invoker.invoke(httpFunction(target.origin), { payload: PAYLOAD, timeoutMs: 200 }));

      const elapsed = performance.now() - started;
      assert.equal(error.kind, 'timeout');
      assert.equal(error.detail, 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)');
      assert.equal(
        error.message,
        'Function call failed. Error: context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
      );
      assert.ok(elapsed >= 190 && elapsed < 1000, `took ${elapsed} ms`);
    });

    it('counts the body in the timeout: a target that stalls mid-body times out', async () => {
      target.respond = (_req, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
      };
      const started = performance.now();

      const error = await invocationError(invoker.invoke(httpFunction(target.origin), { payload: PAYLOAD, timeoutMs: 200 }));

      const elapsed = performance.now() - started;
      assert.equal(error.kind, 'timeout');
      assert.equal(error.detail, 'context deadline exceeded (Client.Timeout or context cancellation while reading body)');
      assert.ok(elapsed >= 190 && elapsed < 1000, `took ${elapsed} ms`);
    });

    it('throws call-failed when the connection is refused', async () => {
      const port = await closedPort();

      const error = await invocationError(
        invoker.invoke(httpFunction(`http://127.0.0.1:${port}/`), { payload: PAYLOAD, timeoutMs: 5000 }),
      );

      assert.equal(error.kind, 'call-failed');
      assert.match(error.detail, /ECONNREFUSED/);
      assert.ok(error.message.startsWith('Function call failed. Error: '));
    });

    it('throws call-failed when the target resets the connection', async () => {
      target.respond = (req) => req.socket.destroy();

      const error = await invocationError(invoker.invoke(httpFunction(target.origin), { payload: PAYLOAD }));

      assert.equal(error.kind, 'call-failed');
      assert.notEqual(error.detail, '');
    });

    it('throws call-failed for a URL that is not http or https, without any connection', async () => {
      const error = await invocationError(invoker.invoke(httpFunction('ftp://127.0.0.1/x'), { payload: PAYLOAD }));

      assert.equal(error.kind, 'call-failed');
      assert.equal(error.detail, 'unsupported protocol scheme "ftp"');
    });

    it('throws call-failed when the call is aborted through its signal', async () => {
      target.respond = () => {};
      for (const timeoutMs of [undefined, 5000]) {
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 50);
        const started = performance.now();

        const error = await invocationError(
          invoker.invoke(httpFunction(target.origin), { payload: PAYLOAD, timeoutMs, signal: controller.signal }),
        );

        assert.equal(error.kind, 'call-failed', `timeoutMs ${timeoutMs}`);
        assert.equal(error.detail, 'context canceled');
        assert.ok(performance.now() - started < 1000);
      }
    });

    it('does not send anything when the signal is already aborted', async () => {
      const signal = AbortSignal.abort();

      const error = await invocationError(
        invoker.invoke(httpFunction(target.origin), { payload: PAYLOAD, timeoutMs: 5000, signal }),
      );

      assert.equal(error.kind, 'call-failed');
      assert.equal(error.detail, 'context canceled');
      assert.equal(target.received.length, 0);
    });
  });

  describe('Option: maxResponseBytes', () => {
    let small: HttpInvoker;

    before(() => {
      small = new HttpInvoker({ maxResponseBytes: 1024 });
    });

    after(() => small.close());

    it('accepts a body of exactly the limit', async () => {
      target.respond = (_req, res) => res.end(Buffer.alloc(1024, 'a'));

      const result = await small.invoke(httpFunction(target.origin), { payload: PAYLOAD });

      assert.equal(result.body.length, 1024);
    });

    it('fails a larger body announced by Content-Length', async () => {
      target.respond = (_req, res) => res.end(Buffer.alloc(1025, 'a'));

      const error = await invocationError(small.invoke(httpFunction(target.origin), { payload: PAYLOAD }));

      assert.equal(error.kind, 'call-failed');
      assert.equal(error.detail, 'response body larger than 1024 bytes');
    });

    it('fails a larger chunked body once it passes the limit', async () => {
      target.respond = (_req, res) => {
        res.writeHead(200, { 'transfer-encoding': 'chunked' });
        res.write(Buffer.alloc(800, 'a'));
        setTimeout(() => res.end(Buffer.alloc(800, 'b')), 20);
      };

      const error = await invocationError(small.invoke(httpFunction(target.origin), { payload: PAYLOAD }));

      assert.equal(error.kind, 'call-failed');
      assert.equal(error.detail, 'response body larger than 1024 bytes');
    });
  });

  describe('Option: lookup', () => {
    it('resolves a made-up hostname through the injected resolver only', async () => {
      const asked: string[] = [];
      const lookup: LookupFunction = (hostname, options, callback) => {
        asked.push(hostname);
        if (hostname !== 'fn.test') {
          callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
        } else if (options.all === true) {
          callback(null, [{ address: '127.0.0.1', family: 4 }]);
        } else {
          callback(null, '127.0.0.1', 4);
        }
      };
      const resolving = new HttpInvoker({ lookup });
      try {
        const result = await resolving.invoke(httpFunction(`http://fn.test:${target.port}/hook`), {
          payload: PAYLOAD,
          timeoutMs: 5000,
        });

        assert.equal(result.status, 200);
        assert.deepEqual(asked, ['fn.test']);
        assert.equal(target.received[0]!.headers.host, `fn.test:${target.port}`);
        assert.equal(target.received[0]!.url, '/hook');

        const error = await invocationError(
          resolving.invoke(httpFunction(`http://missing.test:${target.port}/`), { payload: PAYLOAD, timeoutMs: 5000 }),
        );

        assert.equal(error.kind, 'call-failed');
        assert.equal(error.detail, 'getaddrinfo ENOTFOUND missing.test');
        assert.deepEqual(asked, ['fn.test', 'missing.test']);
        assert.equal(target.received.length, 1);
      } finally {
        await resolving.close();
      }
    });

    it('bounds name resolution and connect by timeoutMs, and never sends the call once it gave up', async () => {
      const lookup: LookupFunction = (_hostname, options, callback) => {
        setTimeout(() => {
          if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }]);
          else callback(null, '127.0.0.1', 4);
        }, 600);
      };
      const slow = new HttpInvoker({ lookup });
      try {
        const started = performance.now();

        const error = await invocationError(
          slow.invoke(httpFunction(`http://slow.test:${target.port}/`), { payload: PAYLOAD, timeoutMs: 150 }),
        );

        const elapsed = performance.now() - started;
        assert.equal(error.kind, 'timeout');
        assert.equal(error.detail, 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)');
        assert.ok(elapsed >= 140 && elapsed < 500, `took ${elapsed} ms`);
        await new Promise((resolve) => setTimeout(resolve, 800));
        assert.equal(target.received.length, 0);
      } finally {
        await slow.close();
      }
    });
  });

  describe('Method: close', () => {
    it('can be called twice, and later calls fail as call-failed', async () => {
      const closing = new HttpInvoker();
      await closing.invoke(httpFunction(target.origin), { payload: PAYLOAD });

      await closing.close();
      await closing.close();
      const error = await invocationError(closing.invoke(httpFunction(target.origin), { payload: PAYLOAD }));

      assert.equal(error.kind, 'call-failed');
    });
  });
});

describe('Function: httpResultError', () => {
  it('yields the body for every status except 500 (docs/compatibility.md#function-types, #sync-responses)', () => {
    for (const status of [200, 201, 204, 302, 400, 404, 408, 429, 501, 502, 503]) {
      assert.equal(httpResultError(status), undefined, `status ${status}`);
    }
  });

  it('makes 500 a function error with the original text', () => {
    const error = httpResultError(500);

    assert.ok(error instanceof InvocationError);
    assert.equal(error.kind, 'function-error');
    assert.equal(error.detail, 'HTTP status code: 500');
    assert.equal(error.status, 500);
    assert.equal(error.message, 'Function call failed because of runtime error. Error: HTTP status code: 500');
  });
});

describe('Function: parseRetryAfter', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');

  it('reads delta-seconds', () => {
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter(' 30 ', now), 30_000);
  });

  it('reads the three HTTP date forms as GMT, a past date giving 0', () => {
    assert.equal(parseRetryAfter('Mon, 01 Jan 2024 00:01:00 GMT', now), 60_000);
    assert.equal(parseRetryAfter('Monday, 01-Jan-24 00:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Mon Jan  1 00:00:05 2024', now), 5_000);
    assert.equal(parseRetryAfter('Sun, 31 Dec 2023 23:00:00 GMT', now), 0);
  });

  it('ignores what is neither', () => {
    for (const value of [undefined, '', '-1', '1.5', 'soon', 'Mon, 99 Foo 2024']) {
      assert.equal(parseRetryAfter(value, now), undefined, String(value));
    }
  });
});
