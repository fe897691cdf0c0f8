import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { serializeEvent } from '../../../lib/core/cloudevents/index.js';
import { parseFailure, parseOne, plain } from './helpers.js';

const STRUCTURED = ['Content-Type', 'application/cloudevents+json'];
const VALIDATE = "CloudEvent doesn't validate: ";
const line = (field: string, tag: string) =>
  `Key: 'Event.${field}' Error:Field validation for '${field}' failed on the '${tag}' tag`;

const validBody = {
  eventType: 'user.created',
  eventTypeVersion: '1.0',
  cloudEventsVersion: '0.1',
  source: 'http://example.com',
  eventID: '6f6ada3b-0aa2-4b3c-989a-91ffc6405f11',
  eventTime: '1985-04-12T23:20:50.00Z',
  schemaURL: 'https://example.com/schema',
  extensions: { custom: { a: 1 } },
  contentType: 'text/plain',
  data: 'test',
};

describe('0.1 structured mode', () => {
  it('decodes a valid event, keeping data as decoded and re-serialising eventTime as Go does', () => {
    const event = parseOne({ headers: STRUCTURED, body: JSON.stringify(validBody) });
    assert.equal(
      serializeEvent(event),
      '{"eventType":"user.created","eventTypeVersion":"1.0","cloudEventsVersion":"0.1","source":"http://example.com",' +
        '"eventID":"6f6ada3b-0aa2-4b3c-989a-91ffc6405f11","eventTime":"1985-04-12T23:20:50Z",' +
        '"schemaURL":"https://example.com/schema","extensions":{"custom":{"a":1}},"contentType":"text/plain","data":"test"}',
    );
    assert.ok(Object.isFrozen(event));
  });

  it('matches keys case-insensitively and drops unknown keys (the router test uses "eventId")', () => {
    const event = parseOne({
      headers: STRUCTURED,
      body: '{"eventId":"test","eventType":"test.event","eventTypeVersion":"0.1","cloudEventsVersion":"0.1","source":"/","unknown":1}',
    });
    assert.deepEqual(plain(event), {
      eventType: 'test.event',
      eventTypeVersion: '0.1',
      cloudEventsVersion: '0.1',
      source: '/',
      eventID: 'test',
      data: null,
    });
  });

  it('folds ſ to s and the Kelvin sign to k, as Go\'s decoder does', () => {
    const event = parseOne({
      headers: STRUCTURED,
      body: '{"EVENTTYPE":"a","cloudEventsVerſion":"0.1","ſource":"/","EventID":"1"}',
    });
    assert.equal((event as { source: string }).source, '/');
    assert.equal((event as { eventType: string }).eventType, 'a');
  });

  it('accepts any cloudEventsVersion and omits empty optional members', () => {
    const event = parseOne({
      headers: STRUCTURED,
      body: '{"eventType":"e","cloudEventsVersion":"9","source":"urn:x","eventID":"1","eventTypeVersion":"","schemaURL":"","contentType":"","extensions":{},"eventTime":null}',
    });
    assert.deepEqual(plain(event), { eventType: 'e', cloudEventsVersion: '9', source: 'urn:x', eventID: '1', data: null });
  });

  it('merges case variants of extensions as Go merges into its map, and lets the last data win', () => {
    const event = parseOne({
      headers: STRUCTURED,
      body: '{"eventType":"e","cloudEventsVersion":"0.1","source":"/","eventID":"1","extensions":{"a":1},"EXTENSIONS":{"b":2},"data":1,"Data":2}',
    });
    assert.deepEqual(plain(event), { eventType: 'e', cloudEventsVersion: '0.1', source: '/', eventID: '1', extensions: { a: 1, b: 2 }, data: 2 });
  });

  it('keeps client extensions', () => {
    const event = parseOne({
      headers: STRUCTURED,
      body: '{"eventType":"e","cloudEventsVersion":"0.1","source":"/","eventID":"1","extensions":{"eventgateway":{"x":"y"},"other":true}}',
    });
    assert.deepEqual(plain((event as { extensions: unknown }).extensions), { eventgateway: { x: 'y' }, other: true });
  });

  it('answers 400 with Go\'s time error for "eventTime":"nottime" (conformance item 37)', () => {
    const body = JSON.stringify({ ...validBody, eventTime: 'nottime' });
    assert.deepEqual(parseFailure({ headers: STRUCTURED, body }), {
      status: 400,
      message:
        'parsing time "\\"nottime\\"" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse "nottime\\"" as "2006"',
    });
  });

  it('quotes a non-string eventTime exactly as it appears in the body', () => {
    const body = '{"eventType":"e","eventTime": { "a" : 1 },"cloudEventsVersion":"0.1","source":"/","eventID":"1"}';
    assert.deepEqual(parseFailure({ headers: STRUCTURED, body }), {
      status: 400,
      message:
        'parsing time "{ \\"a\\" : 1 }" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse "{ \\"a\\" : 1 }" as "\\""',
    });
    assert.deepEqual(parseFailure({ headers: STRUCTURED, body: '{"eventTime":1.50}' }).message,
      'parsing time "1.50" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse "1.50" as "\\""');
  });

  it('rejects the leap second of the README example', () => {
    const body = JSON.stringify({ ...validBody, eventTime: '1990-12-31T23:59:60Z' });
    assert.deepEqual(parseFailure({ headers: STRUCTURED, body }), {
      status: 400,
      message: 'parsing time "\\"1990-12-31T23:59:60Z\\"": second out of range',
    });
  });

  it('lists exactly three validator lines for {"eventType":"invalid"} (conformance item 37)', () => {
    assert.deepEqual(parseFailure({ headers: STRUCTURED, body: '{"eventType":"invalid"}' }), {
      status: 400,
      message: VALIDATE + [line('CloudEventsVersion', 'required'), line('Source', 'uri'), line('EventID', 'required')].join('\n'),
    });
  });

  it('lists all four lines for an empty object or null', () => {
    const all = VALIDATE + [line('EventType', 'required'), line('CloudEventsVersion', 'required'), line('Source', 'uri'), line('EventID', 'required')].join('\n');
    assert.equal(parseFailure({ headers: STRUCTURED, body: '{}' }).message, all);
    assert.equal(parseFailure({ headers: STRUCTURED, body: 'null' }).message, all);
  });

  it('rejects a source that is neither an absolute URI nor an absolute path', () => {
    for (const source of ['NOT URI', 'myapp', '#frag']) {
      const body = JSON.stringify({ ...validBody, source });
      assert.equal(parseFailure({ headers: STRUCTURED, body }).message, VALIDATE + line('Source', 'uri'), source);
    }
    const withFragment = parseOne({ headers: STRUCTURED, body: JSON.stringify({ ...validBody, source: '/s#frag ment' }) });
    assert.equal((withFragment as { source: string }).source, '/s#frag ment');
  });

  it('gives Go\'s type errors for members of the wrong JSON type', () => {
    const cases: Array<[string, string]> = [
      ['{"eventType":5}', 'json: cannot unmarshal number into Go struct field Event.eventType of type event.TypeName'],
      ['{"source":true}', 'json: cannot unmarshal bool into Go struct field Event.source of type string'],
      ['{"eventID":{}}', 'json: cannot unmarshal object into Go struct field Event.eventID of type string'],
      ['{"schemaURL":[]}', 'json: cannot unmarshal array into Go struct field Event.schemaURL of type string'],
      ['{"extensions":"x"}', 'json: cannot unmarshal string into Go struct field Event.extensions of type zap.MapStringInterface'],
      ['{"extensions":[1]}', 'json: cannot unmarshal array into Go struct field Event.extensions of type zap.MapStringInterface'],
      ['[]', 'json: cannot unmarshal array into Go value of type event.Event'],
      ['"x"', 'json: cannot unmarshal string into Go value of type event.Event'],
      ['1', 'json: cannot unmarshal number into Go value of type event.Event'],
      ['true', 'json: cannot unmarshal bool into Go value of type event.Event'],
    ];
    for (const [body, message] of cases) {
      assert.deepEqual(parseFailure({ headers: STRUCTURED, body }), { status: 400, message }, body);
    }
  });

  it('reports the first type error in input order, and a bad eventTime ahead of it', () => {
    assert.equal(
      parseFailure({ headers: STRUCTURED, body: '{"source":1,"eventType":2}' }).message,
      'json: cannot unmarshal number into Go struct field Event.source of type string',
    );
    assert.equal(
      parseFailure({ headers: STRUCTURED, body: '{"source":1,"eventTime":"x"}' }).message,
      'parsing time "\\"x\\"" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse "x\\"" as "2006"',
    );
  });

  it('answers malformed JSON with the Go decoder\'s message', () => {
    const cases: Array<[string, string]> = [
      ['', 'unexpected end of JSON input'],
      ['{', 'unexpected end of JSON input'],
      ['{"eventType": \n "eventID": "x"}', "invalid character ':' after object key:value pair"],
      ['nope', "invalid character 'o' in literal null (expecting 'u')"],
      ['{} x', "invalid character 'x' after top-level value"],
      ['0x1', "invalid character 'x' after top-level value"],
      ['{"a" 1}', "invalid character '1' after object key"],
    ];
    for (const [body, message] of cases) {
      assert.deepEqual(parseFailure({ headers: STRUCTURED, body }), { status: 400, message }, body);
    }
  });

  it('is chosen by the parsed media type, parameters and case aside', () => {
    const event = parseOne({
      headers: ['Content-Type', 'Application/CloudEvents+JSON; charset=utf-8'],
      body: JSON.stringify(validBody),
    });
    assert.equal((event as { eventType: string }).eventType, 'user.created');
  });
});

const binaryHeaders = [
  'CE-EventType', 'myevent',
  'CE-EventTypeVersion', '0.1beta',
  'CE-CloudEventsVersion', '0.1',
  'CE-Source', 'https://example.com',
  'CE-EventID', '778d495b-a29e-48f9-a438-a26de1e33515',
  'CE-SchemaURL', 'https://example.com',
  'Content-Type', 'text/plain',
];

describe('0.1 binary mode', () => {
  it('maps the CE- headers, keeps the raw Content-Type and base64s a text/plain body (conformance item 38)', () => {
    const event = parseOne({ headers: binaryHeaders, body: 'hey there' });
    assert.deepEqual(plain(event), {
      eventType: 'myevent',
      eventTypeVersion: '0.1beta',
      cloudEventsVersion: '0.1',
      source: 'https://example.com',
      eventID: '778d495b-a29e-48f9-a438-a26de1e33515',
      schemaURL: 'https://example.com',
      contentType: 'text/plain',
      data: Buffer.from('hey there').toString('base64'),
    });
  });

  it('matches header names case-insensitively', () => {
    const lower = binaryHeaders.map((v, i) => (i % 2 === 0 ? v.toLowerCase() : v));
    assert.equal((parseOne({ headers: lower, body: 'x' }) as { eventType: string }).eventType, 'myevent');
  });

  it('parses CE-EventTime and answers a bad one with the unquoted Go message (conformance item 38)', () => {
    const good = parseOne({ headers: [...binaryHeaders, 'CE-EventTime', '1985-04-12T23:20:50.00Z'], body: 'x' });
    assert.equal((good as { eventTime: string }).eventTime, '1985-04-12T23:20:50Z');
    assert.deepEqual(parseFailure({ headers: [...binaryHeaders, 'CE-EventTime', 'nottime'], body: 'x' }), {
      status: 400,
      message: 'parsing time "nottime" as "2006-01-02T15:04:05Z07:00": cannot parse "nottime" as "2006"',
    });
  });

  it('validates before parsing CE-EventTime: CE-Source NOT URI gives the uri line (conformance item 38)', () => {
    const headers = [
      'Content-Type', 'text/plain',
      'CE-EventType', 'myevent',
      'CE-CloudEventsVersion', '0.1',
      'CE-Source', 'NOT URI',
      'CE-EventID', '778d495b-a29e-48f9-a438-a26de1e33515',
      'CE-EventTime', 'nottime',
    ];
    assert.deepEqual(parseFailure({ headers, body: '{"eventType": "invalid"}' }), {
      status: 400,
      message: VALIDATE + line('Source', 'uri'),
    });
  });

  it('turns CE-X- headers into extensions by stripping exactly that prefix (quirk Q4)', () => {
    const event = parseOne({
      headers: [
        ...binaryHeaders,
        'CE-X-MyExtension', 'ding',
        'CE-X-Color', 'red',
        'ce-x-xtra', 'more',
        'CE-X-Multi', 'a',
        'ce-x-multi', 'b',
        'CE-X-my-ext', 'dash',
        'CE-X-', 'nameless',
      ],
      body: 'x',
    });
    assert.deepEqual(plain((event as { extensions: unknown }).extensions), {
      myextension: 'ding',
      color: 'red',
      xtra: 'more',
      multi: 'a, b',
      'my-Ext': 'dash',
    });
  });

  it('adds no eventgateway extension and omits extensions when there are none', () => {
    const event = parseOne({ headers: binaryHeaders, body: 'x' });
    assert.equal('extensions' in event, false);
  });

  it('normalises data with the parsed media type (quirk Q5) and keeps the raw Content-Type', () => {
    const headers = binaryHeaders.slice(0, -2).concat('Content-Type', 'application/json; charset=utf-8');
    const event = parseOne({ headers, body: '{"a":1}' });
    assert.equal((event as { contentType: string }).contentType, 'application/json; charset=utf-8');
    assert.deepEqual(plain((event as { data: unknown }).data), { a: 1 });
  });

  it('needs all four headers non-empty; otherwise the request is an http.request', () => {
    const headers = binaryHeaders.map((v, i) => (v === 'CE-EventID' ? v : i > 0 && binaryHeaders[i - 1] === 'CE-EventID' ? '' : v));
    assert.equal((parseOne({ headers, body: 'x' }) as { eventType: string }).eventType, 'http.request');
  });

  it('wins over the legacy Event header', () => {
    const event = parseOne({ headers: [...binaryHeaders, 'Event', 'legacy'], body: 'x' });
    assert.equal((event as { eventType: string }).eventType, 'myevent');
  });
});
