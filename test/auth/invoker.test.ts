import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FunctionConfig, HttpAuth } from '../../lib/core/model/index.js';
import { InvocationError } from '../../lib/core/response/index.js';
import { HttpInvoker } from '../../lib/invokers/http/index.js';
import { OAuth2TokenServer } from '../fakes/oauth2-token-server.js';
import { ProtectedTarget } from '../fakes/protected-target.js';

const SECRET = 'invoker-test-secret';

function fn(functionId: string, url: string, auth: HttpAuth, headers?: Record<string, string>): FunctionConfig {
  return { space: 'default', functionId, type: 'http', provider: { url, auth, ...(headers !== undefined ? { headers } : {}) } };
}

describe('Class: HttpInvoker with provider.auth', () => {
  let oauth: OAuth2TokenServer;
  let target: ProtectedTarget;
  let invoker: HttpInvoker;
  const fetches: string[] = [];

  before(async () => {
    oauth = await OAuth2TokenServer.start({ clients: { c: SECRET } });
    target = await ProtectedTarget.start();
    invoker = new HttpInvoker({
      targetPolicy: { allowLoopback: true, allow: [] },
      onTokenFetch: (f, type, outcome) => fetches.push(`${f.functionId}:${type}:${outcome}`),
    });
  });
  after(async () => {
    await invoker.close();
    await Promise.all([oauth.close(), target.close()]);
  });

  const oauth2 = (): HttpAuth => ({ type: 'oauth2', tokenUrl: oauth.url, clientId: 'c', clientSecret: SECRET });

  it('replaces a static Authorization header with the auth’s, and sends the other headers and the payload', async () => {
    const url = target.protect('/static', (r) => (oauth.validBearer(r.headers.authorization) ? undefined : 'no token'));

    const result = await invoker.invoke(fn('static', url, oauth2(), { Authorization: 'Bearer stale', 'x-api-key': 'k' }), {
      payload: '{"a":1}',
      headers: { 'webhook-id': 'msg_1' },
    });

    assert.equal(result.status, 200);
    const received = target.accepted('/static')[0]!;
    assert.equal(received.headers['x-api-key'], 'k');
    assert.equal(received.headers['webhook-id'], 'msg_1');
    assert.equal(received.headers['content-type'], 'application/cloudevents+json');
    assert.equal(received.body, '{"a":1}');
    assert.deepEqual(fetches, ['static:oauth2:fetched']);
  });

  it('resends the same payload and headers after a 401, with the renewed token', async () => {
    let first = true;
    const url = target.protect('/once', (r) => {
      if (first) {
        first = false;
        return 'first call refused';
      }
      return oauth.validBearer(r.headers.authorization) ? undefined : 'no token';
    });

    const result = await invoker.invoke(fn('once', url, oauth2()), { payload: '{"b":2}', headers: { 'webhook-id': 'msg_2' } });

    assert.equal(result.status, 200);
    const [refused, accepted] = target.received.filter((r) => r.path === '/once');
    assert.equal(refused!.body, accepted!.body);
    assert.equal(refused!.headers['webhook-id'], accepted!.headers['webhook-id']);
    assert.notEqual(refused!.headers.authorization, accepted!.headers.authorization);
  });

  it('stops waiting for a slow token endpoint when the caller’s signal fires (shutdown)', async () => {
    const url = target.protect('/slow', () => undefined);
    oauth.delayMs = 2000;
    const controller = new AbortController();
    try {
      const started = Date.now();
      const call = invoker.invoke(fn('slow', url, oauth2()), { payload: '{}', signal: controller.signal });
      setTimeout(() => controller.abort(), 100);

      await assert.rejects(call, (error: unknown) => error instanceof InvocationError && error.detail === 'context canceled');
      assert.ok(Date.now() - started < 1500);
      assert.equal(target.received.filter((r) => r.path === '/slow').length, 0);
    } finally {
      oauth.delayMs = 0;
    }
  });
});
