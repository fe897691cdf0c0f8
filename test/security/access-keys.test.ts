import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, afterEach, before, describe, it } from 'node:test';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { errorMessage, http, type HttpResult } from '../helpers/http.js';

const ADMIN = 'egk_' + 'A'.repeat(43);
const run = promisify(execFile);
const CLI = new URL('../../bin/event-gateway.js', import.meta.url).pathname;

function as(key: string | undefined, gw: RunningGateway, method: string, path: string, body?: unknown): Promise<HttpResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers.authorization = `bearer ${key}`;
  return http(gw.configUrl, path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

describe('access keys on the config API (docs/compatibility.md#access-keys)', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startTestGateway({ dev: false, host: '127.0.0.1', adminKey: ADMIN });
  });
  after(() => gw.close());

  it('keeps /v1/status open', async () => {
    assert.equal((await as(undefined, gw, 'GET', '/v1/status')).status, 200);
  });

  it('answers no key, a malformed header and a wrong key with 401 and the envelope', async () => {
    for (const res of [
      await as(undefined, gw, 'GET', '/v1/spaces/default/functions'),
      await http(gw.configUrl, '/v1/spaces/default/functions', { headers: { authorization: `basic ${ADMIN}` } }),
      await as('egk_' + 'B'.repeat(43), gw, 'GET', '/v1/spaces/default/functions'),
    ]) {
      assert.equal(res.status, 401);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.match(errorMessage(res), /^Unauthorized/);
    }
  });

  it('lets the admin key in, and requires a key for metrics unless they are public', async () => {
    assert.equal((await as(ADMIN, gw, 'GET', '/v1/spaces/default/functions')).status, 200);
    assert.equal((await as(undefined, gw, 'GET', '/v1/metrics')).status, 401);
    assert.equal((await as(ADMIN, gw, 'GET', '/v1/metrics')).status, 200);
  });

  it('serves /v1/metrics, which carries every space\'s labels, to all-spaces keys only', async () => {
    const spaceKey = (await as(ADMIN, gw, 'POST', '/v1/keys', { spaces: ['metrics-team'] })).json<{ key: string }>().key;
    const allKey = (await as(ADMIN, gw, 'POST', '/v1/keys', { spaces: '*' })).json<{ key: string }>().key;
    const scoped = await as(spaceKey, gw, 'GET', '/v1/metrics');
    assert.equal(scoped.status, 403);
    assert.equal(scoped.headers['content-type'], 'application/json');
    assert.match(errorMessage(scoped), /^Forbidden: \/v1\/metrics needs an all-spaces key/);
    const all = await as(allKey, gw, 'GET', '/v1/metrics');
    assert.equal(all.status, 200);
    assert.match(all.text, /eventgateway_events_received_total/);
  });

  it('scopes a key to its spaces: 200 in its own, 403 elsewhere and on /v1/keys; 401 once revoked', async () => {
    const created = await as(ADMIN, gw, 'POST', '/v1/keys', { spaces: ['team-a'], description: 'team A deploys' });
    assert.equal(created.status, 201);
    const { key, keyId, spaces, description } = created.json<{ key: string; keyId: string; spaces: string[]; description: string }>();
    assert.match(key, /^egk_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(spaces, ['team-a']);
    assert.equal(description, 'team A deploys');

    const own = await as(key, gw, 'POST', '/v1/spaces/team-a/eventtypes', { name: 'user.created' });
    assert.equal(own.status, 201);
    const other = await as(key, gw, 'GET', '/v1/spaces/team-b/eventtypes');
    assert.equal(other.status, 403);
    assert.equal(errorMessage(other), 'Forbidden: the access key does not grant access to space "team-b".');
    assert.equal((await as(key, gw, 'GET', '/v1/keys')).status, 403);

    const listed = await as(ADMIN, gw, 'GET', '/v1/keys');
    assert.ok(!listed.text.includes(key), 'the key is never shown again');
    assert.ok(!/hash/.test(listed.text));
    assert.ok(listed.json<{ keys: Array<{ keyId: string }> }>().keys.some((k) => k.keyId === keyId));

    assert.equal((await as(ADMIN, gw, 'DELETE', `/v1/keys/${keyId}`)).status, 204);
    assert.equal((await as(key, gw, 'GET', '/v1/spaces/team-a/eventtypes')).status, 401);
    const shown = await as(ADMIN, gw, 'GET', `/v1/keys/${keyId}`);
    assert.match(shown.json<{ revokedAt: string }>().revokedAt, /^\d{4}-/);
    assert.equal((await as(ADMIN, gw, 'DELETE', '/v1/keys/key_missing')).status, 404);
  });

  it('lets an all-spaces key manage keys', async () => {
    const created = await as(ADMIN, gw, 'POST', '/v1/keys', { spaces: '*' });
    const { key } = created.json<{ key: string }>();
    assert.equal((await as(key, gw, 'GET', '/v1/keys')).status, 200);
    assert.equal((await as(key, gw, 'GET', '/v1/spaces/anything/functions')).status, 200);
  });

  it('rejects bad key requests with 400', async () => {
    for (const body of [{}, { spaces: [] }, { spaces: 'default' }, { spaces: ['a b'] }, { spaces: ['ok1'], description: 5 }]) {
      assert.equal((await as(ADMIN, gw, 'POST', '/v1/keys', body)).status, 400, JSON.stringify(body));
    }
    assert.equal((await http(gw.configUrl, '/v1/keys', { method: 'POST', headers: { authorization: `bearer ${ADMIN}` }, body: '{' })).status, 400);
  });
});

describe('--public-metrics', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startTestGateway({ dev: false, host: '127.0.0.1', adminKey: ADMIN, publicMetrics: true });
  });
  after(() => gw.close());

  it('opens /v1/metrics to everyone, space-scoped keys included, and nothing else', async () => {
    const spaceKey = (await as(ADMIN, gw, 'POST', '/v1/keys', { spaces: ['metrics-team'] })).json<{ key: string }>().key;
    assert.equal((await as(undefined, gw, 'GET', '/v1/metrics')).status, 200);
    assert.equal((await as(spaceKey, gw, 'GET', '/v1/metrics')).status, 200);
    assert.equal((await as(undefined, gw, 'GET', '/v1/spaces/default/functions')).status, 401);
  });
});

describe('access keys through the official SDK (EVENT_GATEWAY_ACCESS_KEY)', () => {
  let gw: RunningGateway;
  const saved = process.env.EVENT_GATEWAY_ACCESS_KEY;
  interface Sdk {
    createFunction(p: object): Promise<unknown>;
    listFunctions(): Promise<unknown[]>;
  }
  const require = createRequire(import.meta.url);
  const EventGateway = require('@serverless/event-gateway-sdk') as new (config: object) => Sdk;
  before(async () => {
    gw = await startTestGateway({ dev: false, host: '127.0.0.1', adminKey: ADMIN });
  });
  afterEach(() => {
    process.env.EVENT_GATEWAY_ACCESS_KEY = saved;
  });
  after(() => gw.close());

  it('works with the right key, and fails clearly with none, a wrong one and another space\'s', async () => {
    const spaceKey = (await as(ADMIN, gw, 'POST', '/v1/keys', { spaces: ['sdkspace'] })).json<{ key: string }>().key;
    const sdk = new EventGateway({ url: gw.eventsUrl, configurationUrl: gw.configUrl, space: 'sdkspace' });
    const other = new EventGateway({ url: gw.eventsUrl, configurationUrl: gw.configUrl, space: 'elsewhere' });

    process.env.EVENT_GATEWAY_ACCESS_KEY = '';
    await assert.rejects(sdk.listFunctions(), /Unauthorized/);
    process.env.EVENT_GATEWAY_ACCESS_KEY = 'egk_wrong';
    await assert.rejects(sdk.createFunction({ functionId: 'f', type: 'http', provider: { url: 'https://example.com/' } }), /Unauthorized/);
    process.env.EVENT_GATEWAY_ACCESS_KEY = spaceKey;
    await sdk.createFunction({ functionId: 'f', type: 'http', provider: { url: 'https://example.com/' } });
    assert.equal((await sdk.listFunctions()).length, 1);
    await assert.rejects(other.listFunctions(), /Forbidden/);
  });
});

describe('event-gateway keys create|list|revoke', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'eg-keys-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates a key the gateway then accepts, lists it, and revokes it', async () => {
    const created = JSON.parse((await run(process.execPath, [CLI, 'keys', 'create', '--spaces', 'cli-space', '--description', 'from the CLI', '--data-dir', dataDir])).stdout) as { key: string; keyId: string };
    const listed = (await run(process.execPath, [CLI, 'keys', 'list', '--data-dir', dataDir])).stdout;
    assert.ok(listed.includes(created.keyId));
    assert.ok(!listed.includes(created.key));

    const gw = await startTestGateway({ dev: false, host: '127.0.0.1', dataDir });
    try {
      assert.equal((await as(created.key, gw, 'GET', '/v1/spaces/cli-space/functions')).status, 200);
      await run(process.execPath, [CLI, 'keys', 'revoke', created.keyId, '--data-dir', dataDir]);
      assert.equal((await as(created.key, gw, 'GET', '/v1/spaces/cli-space/functions')).status, 401);
    } finally {
      await gw.close();
    }
    await assert.rejects(run(process.execPath, [CLI, 'keys', 'create', '--data-dir', dataDir]), /--spaces <list> or --all-spaces/);
  });

  it('refuses --spaces together with --all-spaces, and creates no key', async () => {
    const before = (await run(process.execPath, [CLI, 'keys', 'list', '--data-dir', dataDir])).stdout;
    for (const args of [['--spaces', 'a,b', '--all-spaces'], ['--all-spaces', '--spaces', 'a']]) {
      await assert.rejects(run(process.execPath, [CLI, 'keys', 'create', ...args, '--data-dir', dataDir]), (error: { code: number; stderr: string; stdout: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, /option '--all-spaces' cannot be used with option '--spaces <list>'/);
        assert.doesNotMatch(error.stdout, /egk_/);
        return true;
      });
    }
    assert.equal((await run(process.execPath, [CLI, 'keys', 'list', '--data-dir', dataDir])).stdout, before);
  });
});
