// `--loopback-metrics`: a Prometheus sidecar in the router's task scrapes /v1/metrics over the task's loopback
// without a key; anyone else still needs one. The peer address comes from the socket, never from a header.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccessControl } from '../../lib/config-api/index.js';
import { isLoopbackAddress } from '../../lib/http/index.js';
import type { RunningGateway } from '../../lib/gateway/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { http } from '../helpers/http.js';

describe('--loopback-metrics', () => {
  let open: RunningGateway;
  let closed: RunningGateway;

  before(async () => {
    open = await startTestGateway({ dev: false, adminKey: 'admin-key-for-tests', loopbackMetrics: true, routerOnly: true });
    closed = await startTestGateway({ dev: false, adminKey: 'admin-key-for-tests' });
  });
  after(async () => {
    await open.close();
    await closed.close();
  });

  it('serves /v1/metrics without a key to a loopback client', async () => {
    const res = await http(open.configUrl, '/v1/metrics', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(res.status, 200);
    assert.match(res.text, /eventgateway_events_received_total/);
  });

  it('still needs a key for everything else on the same port', async () => {
    const res = await http(closed.configUrl, '/v1/spaces/default/functions');
    assert.equal(res.status, 401);
  });

  it('needs a key for /v1/metrics without the option, even from loopback', async () => {
    assert.equal((await http(closed.configUrl, '/v1/metrics')).status, 401);
    assert.equal((await http(closed.configUrl, '/v1/metrics', { headers: { authorization: 'bearer admin-key-for-tests' } })).status, 200);
  });

  it('refuses a peer that is not on the loopback interface (the load balancer, another host)', async () => {
    const access = new AccessControl({ store: { findByHash: async () => undefined } as never, required: true, loopbackMetrics: true });
    const request = { method: 'GET', rawPath: '/v1/metrics', rawQuery: '', headers: {}, body: '' };
    await assert.rejects(access.authorize({ ...request, fromLoopback: false }, { kind: 'metrics' }), /Unauthorized/);
    await assert.rejects(access.authorize(request, { kind: 'metrics' }), /Unauthorized/, 'a Lambda request has no peer: never loopback');
    await access.authorize({ ...request, fromLoopback: true }, { kind: 'metrics' });
    await assert.rejects(access.authorize({ ...request, fromLoopback: true }, { kind: 'space', space: 'default' }), /Unauthorized/);
  });

  it('tells loopback addresses from the rest', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackAddress(address), true, address);
    for (const address of ['10.0.1.5', '::ffff:10.0.1.5', '172.17.0.1', 'fe80::1', '::', undefined]) assert.equal(isLoopbackAddress(address), false, String(address));
  });
});
