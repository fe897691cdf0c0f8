import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startCli, stopCli } from '../helpers/cli.js';
import { call, http } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';
import { Sink, eventually } from '../helpers/sink.js';

async function configure(configUrl: string, sinkUrl: string, retry?: object): Promise<void> {
  const post = async (resource: string, body: object) => {
    const res = await call(configUrl, 'POST', `/v1/spaces/default/${resource}`, body);
    assert.equal(res.status, 201, res.text);
  };
  await post('eventtypes', { name: 'order.placed' });
  await post('eventtypes', { name: 'http.request' });
  await post('functions', { functionId: 'sink', type: 'http', provider: { url: sinkUrl } });
  await post('subscriptions', { type: 'async', eventType: 'order.placed', functionId: 'sink', ...(retry ? { retry } : {}) });
}

function emit(eventsUrl: string, id: string): Promise<number> {
  return fetch(`${eventsUrl}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({ eventType: 'order.placed', cloudEventsVersion: '0.1', source: '/crash', eventID: id, data: { id } }),
  }).then(async (r) => (await r.arrayBuffer(), r.status));
}

describe('crash safety (issue 4)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eg-crash-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('delivers every event that got a 202 after a SIGKILL in the middle of a burst', async () => {
    let open = false;
    const sink = await Sink.start(() => (open ? { status: 200 } : { status: 503 }));
    const ports = { configPort: await freePort(), eventsPort: await freePort() };
    const first = await startCli(['--data-dir', dataDir], ports);
    try {
      await configure(first.configUrl, sink.url, { maxAttempts: 100, baseDelayMs: 50, maxDelayMs: 200 });
      await new Promise((r) => setTimeout(r, 100));

      const accepted: string[] = [];
      let sent = 0;
      let killed = false;
      const sender = async () => {
        while (!killed && sent < 2000) {
          const id = `crash-${sent++}`;
          const status = await emit(first.eventsUrl, id).catch(() => 0);
          if (status === 202) accepted.push(id);
          if (accepted.length >= 300 && !killed) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 16 }, sender));
      await new Promise<void>((resolve) => (first.child.exitCode !== null || first.child.signalCode !== null ? resolve() : first.child.once('exit', () => resolve())));
      assert.equal(first.child.signalCode, 'SIGKILL');
      assert.ok(accepted.length >= 300);

      const second = await startCli(['--data-dir', dataDir], ports);
      try {
        open = true;
        await eventually(() => {
          const delivered = new Set(sink.events<{ eventID?: string }>().map((e) => e?.eventID));
          return accepted.every((id) => delivered.has(id));
        }, 30_000, 'every accepted event delivered after the restart');
        const delivered = new Set(sink.events<{ eventID?: string }>().map((e) => e?.eventID));
        assert.deepEqual(accepted.filter((id) => !delivered.has(id)), [], '0 missing (duplicates are allowed)');
      } finally {
        await stopCli(second.child);
      }
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
      await sink.close();
    }
  });
});

describe('graceful shutdown (docs/operations.md#graceful-shutdown)', () => {
  it('finishes an in-flight sync call on SIGTERM, refuses new events, and exits 0', async () => {
    const sink = await Sink.start(() => ({ body: '{"statusCode":200,"body":"finished"}' }));
    const slow = await import('node:http').then(({ createServer }) =>
      createServer((req, res) => {
        req.resume();
        setTimeout(() => res.end('{"statusCode":200,"body":"finished"}'), 800);
      }),
    );
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const gateway = await startCli(['--data-dir', ':memory:']);
    try {
      const base = '/v1/spaces/default';
      await call(gateway.configUrl, 'POST', `${base}/eventtypes`, { name: 'http.request' });
      await call(gateway.configUrl, 'POST', `${base}/functions`, { functionId: 'slow', type: 'http', provider: { url: `http://127.0.0.1:${(slow.address() as { port: number }).port}/` } });
      await call(gateway.configUrl, 'POST', `${base}/subscriptions`, { type: 'sync', eventType: 'http.request', functionId: 'slow', method: 'GET', path: '/slow' });
      await new Promise((r) => setTimeout(r, 100));
      const inFlight = http(gateway.eventsUrl, '/slow');
      await new Promise((r) => setTimeout(r, 200));
      const exited = stopCli(gateway.child, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      const late = await http(gateway.eventsUrl, '/slow').catch((error: Error) => error);
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(res.text, 'finished');
      if (!(late instanceof Error)) assert.equal(late.status, 503, 'a new event during shutdown gets 503');
      assert.equal(await exited, 0);
    } finally {
      if (gateway.child.exitCode === null) gateway.child.kill('SIGKILL');
      slow.close();
      await sink.close();
    }
  });
});
