import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { firstHeader, indexHeaders } from '../../../lib/core/cloudevents/index.js';
import { canonicalHeaderKey } from '../../../lib/core/go/index.js';

describe('canonicalHeaderKey (Go textproto.CanonicalMIMEHeaderKey)', () => {
  it('upper-cases the first letter and each letter after a dash, lower-cases the rest', () => {
    assert.equal(canonicalHeaderKey('content-type'), 'Content-Type');
    assert.equal(canonicalHeaderKey('X-API-KEY'), 'X-Api-Key');
    assert.equal(canonicalHeaderKey('CE-EventType'), 'Ce-Eventtype');
    assert.equal(canonicalHeaderKey('CE-X-MyExtension'), 'Ce-X-Myextension');
    assert.equal(canonicalHeaderKey('ce-specversion'), 'Ce-Specversion');
    assert.equal(canonicalHeaderKey('x_foo'), 'X_foo');
  });

  it('returns an already canonical name as it is', () => {
    const name = 'Content-Type';
    assert.equal(canonicalHeaderKey(name), name);
  });

  it('leaves a name holding a non-token byte unchanged', () => {
    assert.equal(canonicalHeaderKey('foo bar'), 'foo bar');
    assert.equal(canonicalHeaderKey('x-é'), 'x-é');
    assert.equal(canonicalHeaderKey(':authority'), ':authority');
  });

  it('gives the same answer from its cache on repeated calls', () => {
    for (let i = 0; i < 3; i++) assert.equal(canonicalHeaderKey('accept-encoding'), 'Accept-Encoding');
  });
});

describe('indexHeaders', () => {
  it('joins repeated values with ", " under the canonical name and keeps the first for Get', () => {
    const index = indexHeaders(['X-Tag', 'a', 'x-tag', 'b', 'X-TAG', 'c', 'Accept', '*/*']);
    assert.equal(index.flat['X-Tag'], 'a, b, c');
    assert.equal(firstHeader(index, 'X-Tag'), 'a');
    assert.equal(firstHeader(index, 'Accept'), '*/*');
    assert.equal(firstHeader(index, 'Missing'), '');
  });

  it('moves Host out of the headers (first value wins) and drops Transfer-Encoding, as Go\'s server does', () => {
    const index = indexHeaders(['Host', 'localhost:4000', 'host', 'other', 'Transfer-Encoding', 'chunked', 'A', '1']);
    assert.equal(index.host, 'localhost:4000');
    assert.deepEqual({ ...index.flat }, { A: '1' });
  });

  it('gives an empty host when there is no Host header', () => {
    assert.equal(indexHeaders([]).host, '');
  });

  it('reads latin1 header values as UTF-8, as Go reads the same bytes', () => {
    const latin1 = Buffer.from('café', 'utf8').toString('latin1');
    assert.equal(indexHeaders(['X-Name', latin1]).flat['X-Name'], 'café');
  });

  it('keeps a header named __proto__ as an own entry without touching the prototype', () => {
    const index = indexHeaders(['__proto__', 'x', '__proto__', 'y']);
    assert.ok(Object.hasOwn(index.flat, '__proto__'));
    assert.equal(JSON.stringify(index.flat), '{"__proto__":"x, y"}');
    assert.equal(firstHeader(index, '__proto__'), 'x');
    assert.equal(Object.getPrototypeOf(index.flat), Object.prototype);
  });

  it('reads nothing inherited from Object.prototype', () => {
    const index = indexHeaders([]);
    assert.equal(firstHeader(index, '__proto__'), '');
    assert.equal(firstHeader(index, 'constructor'), '');
  });
});
