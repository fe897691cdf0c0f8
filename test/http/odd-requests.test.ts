import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { ConfigClient } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { http } from '../helpers/http.js';
import { Sink } from '../helpers/sink.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Writes bytes no HTTP client library would send and reads the answer until the server closes the connection. */
function raw(baseUrl: string, request: string): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(request.slice(0, 40))}`)));
    socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1] ?? 0);
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status, headers, body });
    });
    socket.write(request);
  });
}

function envelopeMessage(answer: RawAnswer): string {
  assert.equal(answer.headers['content-type'], 'application/json', `content-type of ${answer.status}`);
  const parsed = JSON.parse(answer.body) as { errors: Array<{ message: string }> };
  assert.equal(parsed.errors.length, 1);
  return parsed.errors[0]!.message;
}

describe('requests node:http does not hand to the request listener get an answer (issue 15)', () => {
  let gw: RunningGateway;
  let routerOnly: RunningGateway;
  let sink: Sink;
  before(async () => {
    sink = await Sink.start({ body: '{"statusCode":200,"body":"from the function"}' });
    gw = await startTestGateway({ maxHeaderBytes: 4096 });
    const c = new ConfigClient(gw);
    await c.eventType('http.request');
    await c.httpFunction('fn', sink.url);
    await c.subscribe({ type: 'sync', eventType: 'http.request', functionId: 'fn', method: 'GET', path: '/chat' });
    routerOnly = await startTestGateway({ routerOnly: true });
  });
  after(async () => {
    await gw.close();
    await routerOnly.close();
    await sink.close();
  });

  const apis = (): Array<[string, string]> => [
    ['the events API', gw.eventsUrl],
    ['the config API', gw.configUrl],
    ['the router-only admin port', routerOnly.configUrl],
  ];

  it('answers CONNECT with 405, Allow and the error envelope on every port', async () => {
    for (const [name, url] of apis()) {
      const answer = await raw(url, 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n');
      assert.equal(answer.status, 405, name);
      assert.match(envelopeMessage(answer), /Method Not Allowed: CONNECT/, name);
      assert.match(answer.headers.allow ?? '', /GET/, name);
    }
  });

  it('answers a method node:http cannot parse with 405 and the envelope', async () => {
    for (const [name, url] of apis()) {
      const answer = await raw(url, 'FOO / HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(answer.status, 405, name);
      assert.match(envelopeMessage(answer), /Method Not Allowed: FOO/, name);
    }
  });

  it('treats a request with an Upgrade header as an ordinary request: an event, never a protocol switch', async () => {
    const upgrade = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n\r\n`;
    const routed = await raw(gw.eventsUrl, upgrade('/chat'));
    assert.equal(routed.status, 200);
    assert.match(routed.body, /from the function/);
    assert.equal((await raw(gw.eventsUrl, upgrade('/elsewhere'))).status, 202);
    assert.equal((await raw(gw.configUrl, upgrade('/v1/status'))).status, 200);
  });

  it('answers headers over --max-header-bytes with 431 and the envelope on both APIs', async () => {
    for (const url of [gw.eventsUrl, gw.configUrl]) {
      const answer = await raw(url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'v'.repeat(5000)}\r\n\r\n`);
      assert.equal(answer.status, 431);
      assert.match(envelopeMessage(answer), /Request Header Fields Too Large: the limit is 4096 bytes/);
    }
  });

  it('answers a malformed request with 400 and the envelope', async () => {
    for (const url of [gw.eventsUrl, gw.configUrl]) {
      const answer = await raw(url, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      assert.equal(answer.status, 400);
      assert.match(envelopeMessage(answer), /Bad Request/);
    }
  });

  it('answers an Expect header other than 100-continue with 417 and the envelope on both APIs', async () => {
    for (const url of [gw.eventsUrl, gw.configUrl]) {
      const answer = await raw(url, 'POST / HTTP/1.1\r\nHost: x\r\nExpect: tea\r\nContent-Length: 2\r\n\r\n{}');
      assert.equal(answer.status, 417);
      assert.match(envelopeMessage(answer), /Expectation Failed/);
    }
  });

  it('keeps serving afterwards', async () => {
    assert.equal((await http(gw.eventsUrl, '/after')).status, 202);
    assert.equal((await http(gw.configUrl, '/v1/status')).status, 200);
  });
});
