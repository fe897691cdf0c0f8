import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  authorizerRequestData,
  decodePath,
  parseQuery,
  serializeEvent,
  withHttpParams,
} from '../../../lib/core/cloudevents/index.js';
import { FIXED_ID, FIXED_TIME, failure, parseFailure, parseOne, plain, request } from './helpers.js';

describe('parseQuery (Go url.ParseQuery)', () => {
  it('gives {} for no query', () => {
    assert.deepEqual({ ...parseQuery('') }, {});
  });

  it('always gives arrays, in order, and decodes + and %XX', () => {
    assert.deepEqual(plain(parseQuery('a=1&b=x+y&a=2&c&d=%C3%A9%2B')), { a: ['1', '2'], b: ['x y'], c: [''], d: ['é+'] });
  });

  it('skips empty pairs, pairs with a semicolon and pairs with a bad escape', () => {
    assert.deepEqual(plain(parseQuery('&&a=1;b=2&c=%zz&%zz=1&d=ok&')), { d: ['ok'] });
  });

  it('keeps a pair with an empty key', () => {
    assert.deepEqual(plain(parseQuery('=x')), { '': ['x'] });
  });

  it('keeps __proto__ and Object.prototype member names as ordinary keys', () => {
    const query = parseQuery('__proto__=1&constructor=2&toString=3&__proto__=4');
    assert.equal(JSON.stringify(query), '{"__proto__":["1","4"],"constructor":["2"],"toString":["3"]}');
    assert.equal(Object.getPrototypeOf(query), Object.prototype);
  });
});

describe('decodePath (Go URL.Path)', () => {
  it('decodes escapes, keeps +, and reads the bytes as UTF-8', () => {
    assert.equal(decodePath('/users/a%20b'), '/users/a b');
    assert.equal(decodePath('/a+b'), '/a+b');
    assert.equal(decodePath('/caf%C3%A9'), '/café');
    assert.equal(decodePath('/plain'), '/plain');
  });

  it('refuses a bad escape with Go\'s message', () => {
    assert.deepEqual(failure(() => decodePath('/a%zzb')), { status: 400, message: 'invalid URL escape "%zz"' });
    assert.deepEqual(failure(() => decodePath('/a%2')), { status: 400, message: 'invalid URL escape "%2"' });
  });

  it('makes an http.request with a bad path escape a 400', () => {
    assert.deepEqual(parseFailure({ method: 'GET', path: '/%zz' }), { status: 400, message: 'invalid URL escape "%zz"' });
  });
});

describe('the http.request event (docs/compatibility.md#http-request-events)', () => {
  it('reproduces the example of docs/compatibility.md#http-request-events once the router sets the params', () => {
    const event = parseOne({
      method: 'GET',
      path: '/users/42',
      query: 'x=1',
      headers: ['Host', 'localhost:4000', 'Accept', '*/*'],
    });
    const synced = withHttpParams(event, { id: '42' });
    assert.equal(
      serializeEvent(synced),
      '{"eventType":"http.request","cloudEventsVersion":"0.1",' +
        '"source":"https://serverless.com/event-gateway/#transformationVersion=0.1",' +
        `"eventID":"${FIXED_ID}","eventTime":"${FIXED_TIME}",` +
        '"extensions":{"eventgateway":{"transformed":"true","transformation-version":"0.1"}},' +
        '"contentType":"application/json",' +
        '"data":{"headers":{"Accept":"*/*"},"query":{"x":["1"]},"body":"","host":"localhost:4000",' +
        '"path":"/users/42","method":"GET","params":{"id":"42"}}}',
    );
  });

  it('has params null before the router sets them, and the decoded path', () => {
    const event = parseOne({ method: 'GET', path: '/users/a%20b', headers: ['Host', 'h'] });
    assert.deepEqual(plain(event.data), {
      headers: {},
      query: {},
      body: '',
      host: 'h',
      path: '/users/a b',
      method: 'GET',
      params: null,
    });
  });

  it('lists every header but Host under its Go-canonical name, repeated values joined', () => {
    const event = parseOne({
      headers: ['host', 'h:1', 'x-api-key', 'k', 'X-Multi', 'a', 'x-multi', 'b', 'content-type', 'text/plain'],
      body: 'hi',
    });
    assert.deepEqual(plain((event.data as { headers: unknown }).headers), {
      'X-Api-Key': 'k',
      'X-Multi': 'a, b',
      'Content-Type': 'text/plain',
    });
  });

  it('builds the authorizer request with body and params null', () => {
    const data = authorizerRequestData(
      request({ method: 'PUT', path: '/p', query: 'q=1', headers: ['Host', 'h', 'Content-Type', 'application/json'], body: '{"a":1}' }),
    );
    assert.deepEqual(plain(data), {
      headers: { 'Content-Type': 'application/json' },
      query: { q: ['1'] },
      body: null,
      host: 'h',
      path: '/p',
      method: 'PUT',
      params: null,
    });
  });

  it('freezes the data object, its headers, query and query arrays', () => {
    const event = parseOne({ query: 'a=1', headers: ['A', 'b'] });
    const data = event.data as { headers: object; query: Record<string, string[]> };
    assert.ok(Object.isFrozen(data));
    assert.ok(Object.isFrozen(data.headers));
    assert.ok(Object.isFrozen(data.query));
    assert.ok(Object.isFrozen(data.query['a']));
  });
});
