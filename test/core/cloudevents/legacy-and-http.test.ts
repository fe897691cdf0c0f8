import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isSystemEventType, eventTypeOf, serializeEvent } from '../../../lib/core/cloudevents/index.js';
import { FIXED_ID, FIXED_TIME, GATEWAY_EXTENSIONS, GATEWAY_SOURCE, parseFailure, parseOne, plain } from './helpers.js';

describe('legacy Event: mode', () => {
  it('makes a gateway event with contentType application/octet-stream and base64 data (conformance item 39)', () => {
    const event = parseOne({ headers: ['Event', 'myevent'], body: 'hey there' });
    assert.deepEqual(plain(event), {
      eventType: 'myevent',
      cloudEventsVersion: '0.1',
      source: GATEWAY_SOURCE,
      eventID: FIXED_ID,
      eventTime: FIXED_TIME,
      extensions: GATEWAY_EXTENSIONS,
      contentType: 'application/octet-stream',
      data: 'aGV5IHRoZXJl',
    });
  });

  it('base64s the 😸 body of the integration test (conformance item 1)', () => {
    const event = parseOne({ headers: ['Event', 'smileys'], body: '😸' });
    assert.equal((event as { data: unknown }).data, '8J+YuA==');
    assert.equal(eventTypeOf(event), 'smileys');
  });

  it('uses a valid CloudEvent body as it is with Content-Type application/json, whatever its type (conformance item 40)', () => {
    const body = JSON.stringify({
      eventType: 'user.created',
      cloudEventsVersion: '0.1',
      source: 'http://example.com',
      eventID: '6f6ada3b-0aa2-4b3c-989a-91ffc6405f11',
      contentType: 'text/plain',
      data: 'test',
    });
    const event = parseOne({ headers: ['Content-Type', 'application/json', 'Event', 'other.type'], body });
    assert.deepEqual(plain(event), JSON.parse(body));
  });

  it('falls back to a gateway event holding the object when the body is not a valid CloudEvent (conformance item 40)', () => {
    const event = parseOne({ headers: ['Content-Type', 'application/json', 'Event', 'user.created'], body: '{"eventType":"user.created"}' });
    assert.deepEqual(plain(event), {
      eventType: 'user.created',
      cloudEventsVersion: '0.1',
      source: GATEWAY_SOURCE,
      eventID: FIXED_ID,
      eventTime: FIXED_TIME,
      extensions: GATEWAY_EXTENSIONS,
      contentType: 'application/json',
      data: { eventType: 'user.created' },
    });
  });

  it('falls back when the body fails to decode (bad eventTime, wrong type, invalid JSON, array)', () => {
    for (const body of ['{"eventType":"a","eventTime":"x","cloudEventsVersion":"0.1","source":"/","eventID":"1"}', '{"eventType":1}', '{', '[1]']) {
      const event = parseOne({ headers: ['Content-Type', 'application/json', 'Event', 'legacy'], body });
      assert.equal(eventTypeOf(event), 'legacy', body);
    }
  });

  it('tries the body as a CloudEvent only for exactly application/json', () => {
    const body = '{"eventType":"user.created","cloudEventsVersion":"0.1","source":"/","eventID":"1"}';
    const event = parseOne({ headers: ['Content-Type', 'text/plain', 'Event', 'legacy'], body });
    assert.equal(eventTypeOf(event), 'legacy');
    assert.equal((event as { data: unknown }).data, Buffer.from(body).toString('base64'));
  });

  it('uses the media type without parameters as contentType', () => {
    const event = parseOne({ headers: ['Content-Type', 'Text/Plain; charset=utf-8', 'Event', 'e'], body: 'x' });
    assert.equal((event as { contentType: string }).contentType, 'text/plain');
  });

  it('parses a client event type in the system namespace, which the router then refuses (conformance item 5)', () => {
    const event = parseOne({ headers: ['Event', 'eventgateway.something'] });
    assert.equal(eventTypeOf(event), 'eventgateway.something');
    assert.ok(isSystemEventType(eventTypeOf(event)));
  });

  it('is not selected by an empty Event header', () => {
    assert.equal(eventTypeOf(parseOne({ headers: ['Event', ''] })), 'http.request');
  });
});

describe('http.request mode', () => {
  it('turns a plain application/json request into an http.request event with the object as body (conformance item 41)', () => {
    const event = parseOne({ headers: ['Content-Type', 'application/json'], body: '{"key": "value"}' });
    assert.deepEqual(plain(event), {
      eventType: 'http.request',
      cloudEventsVersion: '0.1',
      source: GATEWAY_SOURCE,
      eventID: FIXED_ID,
      eventTime: FIXED_TIME,
      extensions: GATEWAY_EXTENSIONS,
      contentType: 'application/json',
      data: {
        headers: { 'Content-Type': 'application/json' },
        query: {},
        body: { key: 'value' },
        host: '',
        path: '/',
        method: 'POST',
        params: null,
      },
    });
  });

  it('handles GET /httpresponse of the integration test (conformance item 2)', () => {
    const event = parseOne({ method: 'GET', path: '/httpresponse', headers: ['Host', 'localhost:4000', 'User-Agent', 'Go-http-client/1.1'] });
    assert.equal(eventTypeOf(event), 'http.request');
    assert.deepEqual(plain((event as { data: unknown }).data), {
      headers: { 'User-Agent': 'Go-http-client/1.1' },
      query: {},
      body: '',
      host: 'localhost:4000',
      path: '/httpresponse',
      method: 'GET',
      params: null,
    });
  });

  it('serialises in the key order of docs/compatibility.md#event-model', () => {
    const json = serializeEvent(parseOne({}));
    assert.deepEqual(Object.keys(JSON.parse(json) as object), [
      'eventType',
      'cloudEventsVersion',
      'source',
      'eventID',
      'eventTime',
      'extensions',
      'contentType',
      'data',
    ]);
  });

  it('gives each event a new UUID v4 and the current time by default', () => {
    const first = parseOne({}, { now: undefined, newId: undefined }) as { eventID: string; eventTime: string };
    const second = parseOne({}, { now: undefined, newId: undefined }) as { eventID: string };
    assert.match(first.eventID, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(first.eventID, second.eventID);
    assert.match(first.eventTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$/);
    assert.ok(Math.abs(Date.parse(first.eventTime) - Date.now()) < 60_000);
  });

  it('refuses JSON nested deeper than the limit with a 400', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    assert.deepEqual(parseFailure({ headers: ['Content-Type', 'application/json'], body: `{"a":${deep(64)}}` }), {
      status: 400,
      message: 'JSON nesting exceeds the maximum depth of 64',
    });
    const ok = parseOne({ headers: ['Content-Type', 'application/json'], body: `{"a":${deep(63)}}` });
    assert.equal(typeof (ok.data as { body: unknown }).body, 'object');
    assert.equal(parseFailure({ headers: ['Content-Type', 'application/json'], body: `{"a":${deep(5)}}` }, { maxJsonDepth: 5 }).status, 400);
  });
});
