import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { call, http } from '../helpers/http.js';
import { freePort } from '../helpers/ports.js';

const CLI = new URL('../../bin/event-gateway.js', import.meta.url).pathname;

/** Runs the real CLI as a child process and waits until its config API answers. */
async function startCli(args: string[]): Promise<{ child: ChildProcess; configUrl: string }> {
  const configPort = await freePort();
  const eventsPort = await freePort();
  const child = spawn(process.execPath, [CLI, '--dev', '--config-port', String(configPort), '--events-port', String(eventsPort), '--log-format', 'json', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const configUrl = `http://127.0.0.1:${configPort}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited: ${output}`);
    try {
      if ((await http(configUrl, '/v1/status')).status === 200) return { child, configUrl };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`gateway did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopCli(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('the local gateway on a real data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eg-restart-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps its configuration across a stop and a restart', async () => {
    const first = await startCli(['--data-dir', dataDir]);
    assert.equal((await call(first.configUrl, 'POST', '/v1/spaces/default/eventtypes', { name: 'user.created' })).status, 201);
    assert.equal((await call(first.configUrl, 'POST', '/v1/spaces/default/functions', { functionId: 'f', type: 'http', provider: { url: 'http://127.0.0.1:9/' } })).status, 201);
    const sub = await call(first.configUrl, 'POST', '/v1/spaces/default/subscriptions', { type: 'async', eventType: 'user.created', functionId: 'f' });
    assert.equal(sub.status, 201);
    assert.equal(await stopCli(first.child), 0);

    // The original's flag name works as an alias.
    const second = await startCli(['--embed-data-dir', dataDir]);
    try {
      const subs = await call(second.configUrl, 'GET', '/v1/spaces/default/subscriptions');
      assert.deepEqual(subs.json(), { subscriptions: [sub.json()] });
      assert.equal((await call(second.configUrl, 'GET', '/v1/spaces/default/functions/f')).status, 200);
      assert.equal((await call(second.configUrl, 'POST', '/v1/spaces/default/eventtypes', { name: 'user.created' })).status, 409);
    } finally {
      await stopCli(second.child);
    }
  });
});
