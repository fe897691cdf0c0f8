import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corsId, pathEscape, subscriptionId } from '../../../lib/core/model/index.js';

describe('pathEscape (Go url.PathEscape, docs/compatibility.md#subscriptions)', () => {
  it('keeps letters, digits and - _ . ~ $ & + : = @', () => {
    const kept = 'AZaz09-_.~$&+:=@';
    assert.equal(pathEscape(kept), kept);
    assert.equal(pathEscape(''), '');
  });

  it('percent-encodes everything else byte-wise with upper-case hex', () => {
    const cases: Array<[string, string]> = [
      ['/', '%2F'],
      ['*', '%2A'],
      [' ', '%20'],
      [';', '%3B'],
      [',', '%2C'],
      ['?', '%3F'],
      ['%', '%25'],
      ['#', '%23'],
      ['/users/:id', '%2Fusers%2F:id'],
      ['é', '%C3%A9'],
      ['😀', '%F0%9F%98%80'],
      ['\u0000\u007f', '%00%7F'],
    ];
    for (const [input, escaped] of cases) assert.equal(pathEscape(input), escaped, input);
  });
});

describe('subscriptionId (docs/compatibility.md#subscriptions)', () => {
  it('derives the four documented example ids byte for byte', () => {
    assert.equal(
      subscriptionId({ type: 'async', eventType: 'user.created', functionId: 'func', path: '/', method: 'GET' }),
      'YXN5bmMsdXNlci5jcmVhdGVkLGZ1bmMsJTJGLEdFVA',
    );
    assert.equal(
      subscriptionId({ type: 'sync', eventType: 'http.request', functionId: 'func', path: '/', method: 'POST' }),
      'c3luYyxodHRwLnJlcXVlc3QsJTJGLFBPU1Q',
    );
    assert.equal(
      subscriptionId({ type: 'sync', eventType: 'http.request', functionId: 'func', path: '/httpresponse', method: 'GET' }),
      'c3luYyxodHRwLnJlcXVlc3QsJTJGaHR0cHJlc3BvbnNlLEdFVA',
    );
    assert.equal(
      subscriptionId({ type: 'sync', eventType: 'http.request', functionId: 'other', path: '/users/:id', method: 'GET' }),
      'c3luYyxodHRwLnJlcXVlc3QsJTJGdXNlcnMlMkY6aWQsR0VU',
    );
  });

  it('leaves the function out of sync ids only', () => {
    const key = { eventType: 'e', path: '/', method: 'GET' };
    const decodeId = (id: string) => Buffer.from(id, 'base64url').toString('utf8');
    assert.equal(decodeId(subscriptionId({ ...key, type: 'sync', functionId: 'f' })), 'sync,e,%2F,GET');
    assert.equal(decodeId(subscriptionId({ ...key, type: 'async', functionId: 'f' })), 'async,e,f,%2F,GET');
    assert.doesNotMatch(subscriptionId({ ...key, type: 'async', functionId: 'ü?' }), /[=+/]/);
  });
});

describe('corsId (docs/compatibility.md#cors-configurations)', () => {
  it('is the method followed by the escaped path', () => {
    assert.equal(corsId('GET', '/hello'), 'GET%2Fhello');
    assert.equal(corsId('GET', '/'), 'GET%2F');
    assert.equal(corsId('OPTIONS', '/a b/*rest'), 'OPTIONS%2Fa%20b%2F%2Arest');
  });
});
