import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startCli, stopCli } from '../helpers/cli.js';
import { call } from '../helpers/http.js';

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
