import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { nodeConfigListener } from '../../lib/config-api/adapters/index.js';
import type { ConfigRequest } from '../../lib/config-api/types.js';

const LIMIT = 64;
const TOO_LARGE = `${JSON.stringify({ errors: [{ message: `Request body too large: the limit is ${LIMIT} bytes.` }] })}\n`;

describe('config API node listener: the body limit', () => {
  let server: Server;
  let port: number;
  const bodies: string[] = [];

  before(async () => {
    const listener = nodeConfigListener(
      async (req: ConfigRequest) => {
        bodies.push(req.body);
        return { statusCode: 200, headers: {}, body: '' };
      },
      { maxBodyBytes: LIMIT },
    );
    server = createServer(listener);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Sends `parts` as separate writes (chunked unless `headers` sets a content-length); status and body text. */
  async function send(parts: string[], headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/spaces/default/eventtypes', headers, agent: false });
    const response = once(req, 'response') as Promise<[IncomingMessage]>;
    for (const part of parts) req.write(part);
    req.end();
    const [res] = await response;
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') };
  }

  it('answers a declared content-length over the limit with 413 and the exact message', { timeout: 5000 }, async () => {
    const res = await send(['x'.repeat(LIMIT + 1)], { 'content-length': String(LIMIT + 1) });
    assert.equal(res.status, 413);
    assert.equal(res.text, TOO_LARGE);
  });

  it('answers a chunked body that grows past the limit with 413 and the exact message', { timeout: 5000 }, async () => {
    const res = await send(['a'.repeat(40), 'b'.repeat(40)]);
    assert.equal(res.status, 413);
    assert.equal(res.text, TOO_LARGE);
  });

  it('hands a body of exactly the limit to the handler as UTF-8 text', { timeout: 5000 }, async () => {
    const text = `{"name":"${'é'.repeat((LIMIT - 11) / 2)}"}`;
    assert.equal(Buffer.byteLength(text), LIMIT - 1);
    const res = await send([text.slice(0, 10), text.slice(10), 'x']);
    assert.equal(res.status, 200);
    assert.equal(bodies.at(-1), `${text}x`);
  });
});
