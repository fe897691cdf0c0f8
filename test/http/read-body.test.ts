import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { readBody } from '../../lib/http/index.js';

const LIMIT = 100;

/** A test that waits on the network: it fails rather than hangs when an answer never comes. */
const WAITS = { timeout: 5000 };

/** What the server saw of one request: readBody's answer, every chunk, and the bytes received when it answered. */
interface Outcome {
  body: Buffer | undefined;
  chunks: Buffer[];
  bytesAtAnswer: number;
}

describe('readBody', () => {
  let server: Server;
  let port: number;
  let outcome: Promise<Outcome>;
  let settle: (outcome: Outcome) => void;
  /** Bytes of the current request the server has received so far, and a wake-up for whoever waits on them. */
  let received = 0;
  let onReceived: (() => void) | undefined;

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        onReceived?.();
      });
      readBody(req, LIMIT).then(
        (body) => {
          settle({ body, chunks, bytesAtAnswer: received });
          res.writeHead(body === undefined ? 413 : 200, { connection: 'close' }).end();
        },
        () => res.destroy(),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  after(() => {
    server.closeAllConnections(); // a failed test may leave a request open
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received = 0;
    onReceived = undefined;
    outcome = new Promise((resolve) => (settle = resolve));
  });

  /** Resolves once the server has received `bytes` bytes of the current request. */
  function serverReceived(bytes: number): Promise<void> {
    return new Promise((resolve) => {
      onReceived = () => {
        if (received >= bytes) resolve();
      };
      onReceived();
    });
  }

  /**
   * Sends `parts` one at a time, each written only after the server received the one before, so they arrive as
   * separate chunks. Without `contentLength` the body goes chunked. Resolves with the response status.
   */
  async function send(parts: string[], contentLength?: number): Promise<number> {
    const headers: Record<string, string> = contentLength === undefined ? {} : { 'content-length': String(contentLength) };
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent: false });
    const response = once(req, 'response') as Promise<[IncomingMessage]>;
    let sent = 0;
    for (const part of parts) {
      req.write(part);
      sent += Buffer.byteLength(part);
      await serverReceived(sent);
    }
    req.end();
    const [res] = await response;
    res.resume();
    return res.statusCode ?? 0;
  }

  it('returns a body that arrives in one chunk as that very chunk', WAITS, async () => {
    assert.equal(await send(['x'.repeat(40)]), 200);
    const { body, chunks } = await outcome;
    assert.equal(chunks.length, 1);
    assert.equal(body, chunks[0]);
    assert.equal(body?.toString(), 'x'.repeat(40));
  });

  it('joins a body that arrives in several chunks, in order', WAITS, async () => {
    assert.equal(await send(['first-', 'second-', 'third']), 200);
    const { body, chunks } = await outcome;
    assert.equal(chunks.length, 3);
    assert.equal(body?.toString(), 'first-second-third');
  });

  it('returns a body of exactly the limit', WAITS, async () => {
    assert.equal(await send(['a'.repeat(LIMIT / 2), 'b'.repeat(LIMIT / 2)], LIMIT), 200);
    const { body } = await outcome;
    assert.equal(body?.length, LIMIT);
    assert.equal(body?.toString(), 'a'.repeat(LIMIT / 2) + 'b'.repeat(LIMIT / 2));
  });

  it('returns an empty buffer for a request without a body', WAITS, async () => {
    assert.equal(await send([]), 200);
    const { body } = await outcome;
    assert.ok(Buffer.isBuffer(body));
    assert.equal(body.length, 0);
  });

  it('answers undefined for a declared content-length over the limit before any of the body is sent', WAITS, async () => {
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/',
      headers: { 'content-length': String(LIMIT + 1) },
      agent: false,
    });
    req.on('error', () => {}); // the request is cut off below, its body never sent
    req.flushHeaders();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    assert.equal(res.statusCode, 413);
    const { body, chunks } = await outcome;
    assert.equal(body, undefined);
    assert.equal(chunks.length, 0);
    req.destroy();
  });

  it('answers undefined for a chunked body that grows past the limit, after draining the rest of it', WAITS, async () => {
    const parts = ['a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60)];
    assert.equal(await send(parts), 413);
    const { body, chunks, bytesAtAnswer } = await outcome;
    assert.equal(body, undefined);
    assert.equal(Buffer.concat(chunks).length, 180, 'the whole body was read off the socket');
    assert.equal(bytesAtAnswer, 180, 'answered only once the body ended');
  });

  it('answers undefined for a chunked body one byte over the limit', WAITS, async () => {
    assert.equal(await send(['x'.repeat(LIMIT + 1)]), 413);
    assert.equal((await outcome).body, undefined);
  });
});
