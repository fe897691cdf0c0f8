import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, afterEach, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { errorMessage, http } from '../helpers/http.js';
import { eventually } from '../helpers/sink.js';

const ADMIN = 'egk_' + 'S'.repeat(43);

/** A loopback server that counts every TCP connection made to it. */
async function recordingServer(reply: (res: import('node:http').ServerResponse) => void): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => {
    req.resume();
    reply(res);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections };
}

function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

async function configure(gw: RunningGateway, functionUrl: string, path: string): Promise<void> {
  const post = async (resource: string, body: object) => {
    const res = await http(gw.configUrl, `/v1/spaces/default/${resource}`, {
      method: 'POST', headers: { authorization: `bearer ${ADMIN}` }, body: JSON.stringify(body),
    });
    assert.ok(res.status === 201 || res.status === 409, `${resource}: ${res.status} ${res.text}`);
  };
  await post('eventtypes', { name: 'http.request' });
  const functionId = `f${path.replace(/\W/g, '')}`;
  await post('functions', { functionId, type: 'http', provider: { url: functionUrl } });
  await post('subscriptions', { type: 'sync', eventType: 'http.request', functionId, method: 'GET', path });
  await new Promise((r) => setTimeout(r, 50));
}

describe('the SSRF guard end to end, without --dev (docs/compatibility.md#ssrf-guard)', () => {
  let gw: RunningGateway;
  let target: Awaited<ReturnType<typeof recordingServer>>;
  let log: ReturnType<typeof capturingLogger>;
  before(async () => {
    target = await recordingServer((res) => res.end('{"statusCode":200,"body":"reached"}'));
    log = capturingLogger();
    gw = await startTestGateway({ dev: false, host: '127.0.0.1', adminKey: ADMIN, logger: log.logger });
  });
  after(async () => {
    await gw.close();
    target.server.close();
  });

  it('refuses every loopback form like an unreachable function: nothing reaches the target, and the log says why', async () => {
    const forms = [`http://127.0.0.1:${target.port}/`, `http://2130706433:${target.port}/`, `http://0x7f.1:${target.port}/`, `http://[::ffff:127.0.0.1]:${target.port}/`];
    for (const [i, url] of forms.entries()) {
      await configure(gw, url, `/form${i}`);
      const res = await http(gw.eventsUrl, `/form${i}`);
      assert.equal(res.status, 500, url);
      assert.equal(errorMessage(res), 'Function call failed. Please check logs.');
    }
    assert.equal(target.connections(), 0, 'no packet reached the loopback target');
    await eventually(() => log.lines.some((l) => l.includes('refused by the SSRF guard') && l.includes('loopback')), 2000, 'the refusal was logged');
  });
});

describe('the SSRF guard with --allow-targets 127.0.0.1/32', () => {
  let gw: RunningGateway;
  let target: Awaited<ReturnType<typeof recordingServer>>;
  let elsewhere: Awaited<ReturnType<typeof recordingServer>>;
  before(async () => {
    target = await recordingServer((res) => res.end('{"statusCode":200,"body":"reached"}'));
    elsewhere = await recordingServer((res) => res.end('{"statusCode":200,"body":"should never be called"}'));
    gw = await startTestGateway({ dev: false, host: '127.0.0.1', adminKey: ADMIN, allowTargets: '127.0.0.1/32' });
  });
  afterEach(() => undefined);
  after(async () => {
    await gw.close();
    target.server.close();
    elsewhere.server.close();
  });

  it('reaches an allowed loopback function', async () => {
    await configure(gw, `http://127.0.0.1:${target.port}/`, '/allowed');
    const res = await http(gw.eventsUrl, '/allowed');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'reached');
  });

  it('does not follow a redirect to another loopback port', async () => {
    const redirecting = await recordingServer((res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${elsewhere.port}/` });
      res.end();
    });
    try {
      await configure(gw, `http://127.0.0.1:${redirecting.port}/`, '/redirect');
      const res = await http(gw.eventsUrl, '/redirect');
      assert.equal(res.status, 500, 'an empty 302 body is not a response object');
      assert.equal(redirecting.connections(), 1);
      assert.equal(elsewhere.connections(), 0, 'the redirect target was never contacted');
    } finally {
      redirecting.server.close();
    }
  });

  it('refuses a bad --allow-targets value at startup with a clear error', async () => {
    await assert.rejects(startTestGateway({ dev: false, host: '127.0.0.1', allowTargets: '10.0.0.0/33' }), /invalid target range "10\.0\.0\.0\/33"/);
  });
});
