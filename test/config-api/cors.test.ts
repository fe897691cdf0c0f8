import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatewayForSuite } from '../helpers/gateway-suite.js';
import { call, errorMessage } from '../helpers/http.js';

const CORS = '/v1/spaces/default/cors';

describe('config API: CORS (docs/compatibility.md#cors-configurations)', () => {
  const api = gatewayForSuite();

  const hello = { method: 'GET', path: '/hello', allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: ['content-type'], allowCredentials: false };

  it('creates a CORS configuration with the derived id (item 28)', async () => {
    const res = await call(api.url, 'POST', CORS, hello);
    assert.equal(res.status, 201);
    assert.equal(res.text,
      '{"space":"default","corsId":"GET%2Fhello","method":"GET","path":"/hello","allowedOrigins":["*"],"allowedMethods":["GET"],"allowedHeaders":["content-type"],"allowCredentials":false}\n');
  });

  it('answers a duplicate with 409 and a truncated body with 400 (item 28)', async () => {
    const dup = await call(api.url, 'POST', CORS, hello);
    assert.equal(dup.status, 409);
    assert.equal(errorMessage(dup), 'CORS configuration "GET%2Fhello" already exists.');
    const bad = await call(api.url, 'POST', CORS, '{');
    assert.equal(bad.status, 400);
    assert.equal(errorMessage(bad), "CORS configuration doesn't validate. Validation error: unexpected EOF");
  });

  it('gets, updates and deletes by the still-encoded id in the URL (item 29)', async () => {
    const got = await call(api.url, 'GET', `${CORS}/GET%2Fhello`);
    assert.equal(got.status, 200);
    assert.equal(got.json<{ corsId: string }>().corsId, 'GET%2Fhello');
    const updated = await call(api.url, 'PUT', `${CORS}/GET%2Fhello`, { ...hello, allowedOrigins: ['http://example.com'], allowCredentials: true });
    assert.equal(updated.status, 200);
    assert.deepEqual(updated.json<{ allowedOrigins: string[] }>().allowedOrigins, ['http://example.com']);
    assert.equal(updated.json<{ allowCredentials: boolean }>().allowCredentials, true);
    const defaults = await call(api.url, 'PUT', `${CORS}/GET%2Fhello`, { method: 'GET', path: '/hello' });
    assert.deepEqual(defaults.json<{ allowedMethods: string[] }>().allowedMethods, ['HEAD', 'GET', 'POST']);
    assert.equal((await call(api.url, 'DELETE', `${CORS}/GET%2Fhello`)).status, 204);
    for (const method of ['GET', 'DELETE']) {
      const missing = await call(api.url, method, `${CORS}/GET%2Fhello`);
      assert.equal(missing.status, 404);
      assert.equal(errorMessage(missing), 'CORS configuration "GET%2Fhello" not found.');
    }
    const put = await call(api.url, 'PUT', `${CORS}/GET%2Fhello`, hello);
    assert.equal(put.status, 404);
  });

  it('applies the defaults when only method and path are given (item 32)', async () => {
    const res = await call(api.url, 'POST', CORS, { method: 'POST', path: '/' });
    assert.equal(res.status, 201);
    assert.deepEqual(res.json(), {
      space: 'default', corsId: 'POST%2F', method: 'POST', path: '/',
      allowedOrigins: ['*'], allowedMethods: ['HEAD', 'GET', 'POST'], allowedHeaders: ['Origin', 'Accept', 'Content-Type'], allowCredentials: false,
    });
  });

  it('rejects an unknown method with the validator tag, and neither upper-cases nor prefixes for you (item 32)', async () => {
    const res = await call(api.url, 'POST', CORS, { method: 'NOT', path: '/x' });
    assert.equal(res.status, 400);
    assert.match(errorMessage(res), /failed on the 'eq=GET\|eq=POST\|eq=DELETE\|eq=PUT\|eq=PATCH\|eq=HEAD\|eq=OPTIONS' tag$/);
    assert.equal((await call(api.url, 'POST', CORS, { method: 'get', path: '/x' })).status, 400);
    assert.equal((await call(api.url, 'POST', CORS, { method: 'GET', path: 'x' })).status, 400);
  });

  it('refuses to change method or path on update with 400 (Q2 fixed)', async () => {
    const res = await call(api.url, 'PUT', `${CORS}/POST%2F`, { method: 'PUT', path: '/' });
    assert.equal(res.status, 400);
    assert.equal(errorMessage(res), "Invalid update. 'Method' of existing CORS configuration cannot be updated.");
    const path = await call(api.url, 'PUT', `${CORS}/POST%2F`, { method: 'POST', path: '/y' });
    assert.equal(path.status, 400);
    assert.equal(errorMessage(path), "Invalid update. 'Path' of existing CORS configuration cannot be updated.");
  });

  it('resolves an id without any percent-escape to the empty id, as the original did', async () => {
    const res = await call(api.url, 'GET', `${CORS}/GET`);
    assert.equal(res.status, 404);
    assert.equal(errorMessage(res), 'CORS configuration "" not found.');
  });

  it('rejects conflicting CORS routes within and across spaces, and accepts an identical twin (Q9 fixed)', async () => {
    assert.equal((await call(api.url, 'POST', CORS, { method: 'PUT', path: '/items/:a' })).status, 201);
    const within = await call(api.url, 'POST', CORS, { method: 'PUT', path: '/items/:b' });
    assert.equal(within.status, 400);
    assert.equal(errorMessage(within), 'CORS configuration path conflict: parameter with different name ("a") already defined: for route: /items/:b');
    const across = await call(api.url, 'POST', '/v1/spaces/other/cors', { method: 'PUT', path: '/items/:b' });
    assert.equal(across.status, 400);
    const twin = await call(api.url, 'POST', '/v1/spaces/other/cors', { method: 'PUT', path: '/items/:a' });
    assert.equal(twin.status, 201);
    const different = await call(api.url, 'POST', '/v1/spaces/third/cors', { method: 'PUT', path: '/items/:a', allowCredentials: true });
    assert.equal(different.status, 400);
  });
});
