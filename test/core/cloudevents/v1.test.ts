import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PayloadTooLargeError } from '../../../lib/core/errors/index.js';
import {
  eventTypeOf,
  isCloudEventV1,
  parseEventRequest,
  serializeEvent,
  type GatewayEvent,
} from '../../../lib/core/cloudevents/index.js';
import { FIXED_ID, FIXED_TIME, GATEWAY_SOURCE, clock, parseFailure, parseOne, plain, request } from './helpers.js';

const STRUCTURED = ['Content-Type', 'application/cloudevents+json'];
const BATCH = ['Content-Type', 'application/cloudevents-batch+json'];
const VALIDATE = "CloudEvent doesn't validate: ";

const minimal = { specversion: '1.0', id: 'A234-1234-1234', source: '/mycontext', type: 'com.example.someevent' };

describe('1.0 structured mode', () => {
  it('is chosen by a specversion key and keeps attributes, extensions and data in serialisation order', () => {
    const body = JSON.stringify({
      data: { appinfoA: 'abc' },
      comexampleextension1: 'value',
      ...minimal,
      time: '2018-04-05T17:31:00Z',
      datacontenttype: 'application/json',
      dataschema: 'https://example.com/schema.json',
      subject: 'sub',
      comexampleothervalue: 5,
      flag: true,
    });
    const event = parseOne({ headers: STRUCTURED, body });
    assert.ok(isCloudEventV1(event));
    assert.equal(
      serializeEvent(event),
      '{"specversion":"1.0","id":"A234-1234-1234","source":"/mycontext","type":"com.example.someevent",' +
        '"datacontenttype":"application/json","dataschema":"https://example.com/schema.json","subject":"sub",' +
        '"time":"2018-04-05T17:31:00Z","comexampleextension1":"value","comexampleothervalue":5,"flag":true,' +
        '"data":{"appinfoA":"abc"}}',
    );
    assert.equal(JSON.stringify(event), serializeEvent(event));
    assert.ok(Object.isFrozen(event));
  });

  it('keeps data_base64, and treats null optional attributes and extensions as absent', () => {
    const event = parseOne({ headers: STRUCTURED, body: JSON.stringify({ ...minimal, subject: null, ext: null, data_base64: 'aGk=' }) });
    assert.deepEqual(plain(event), { ...minimal, data_base64: 'aGk=' });
  });

  it('accepts extension names longer than the 20 characters the spec recommends', () => {
    const event = parseOne({ headers: STRUCTURED, body: JSON.stringify({ ...minimal, averyveryverylongextensionname: 'x' }) });
    assert.equal((event as Record<string, unknown>)['averyveryverylongextensionname'], 'x');
  });

  it('lists every missing required attribute', () => {
    assert.deepEqual(parseFailure({ headers: STRUCTURED, body: '{"specversion":"1.0"}' }), {
      status: 400,
      message: `${VALIDATE}'id' is required\n'source' is required\n'type' is required`,
    });
  });

  it('names each broken rule', () => {
    const body = JSON.stringify({
      specversion: '0.3',
      id: '',
      source: 'NOT URI',
      type: 7,
      datacontenttype: 'text/',
      dataschema: '/relative',
      subject: '',
      time: '2018-04-05T17:31:60Z',
      BadName: 'x',
      nested: { a: 1 },
      data: 1,
      data_base64: 'aGk=',
    });
    assert.deepEqual(parseFailure({ headers: STRUCTURED, body }), {
      status: 400,
      message:
        VALIDATE +
        [
          `'specversion' must be "1.0"`,
          `'id' must be a non-empty string`,
          `'source' must be a non-empty URI-reference`,
          `'type' must be a string, not a number`,
          `'datacontenttype' must be an RFC 2046 media type`,
          `'dataschema' must be an absolute URI`,
          `'subject' must be a non-empty string`,
          `'time' must be an RFC 3339 timestamp`,
          `extension name "BadName" must consist of lower-case letters a-z and digits 0-9`,
          `extension 'nested' must be a string, number or boolean, not an object`,
          `'data' and 'data_base64' must not both be present`,
        ].join('\n'),
    });
  });

  it('refuses an id longer than 256 characters and data_base64 that is not base64', () => {
    assert.equal(
      parseFailure({ headers: STRUCTURED, body: JSON.stringify({ ...minimal, id: 'x'.repeat(257) }) }).message,
      `${VALIDATE}'id' must be at most 256 characters`,
    );
    assert.equal(
      parseFailure({ headers: STRUCTURED, body: JSON.stringify({ ...minimal, data_base64: 'not base64!' }) }).message,
      `${VALIDATE}'data_base64' must be a base64 string`,
    );
    assert.ok(parseOne({ headers: STRUCTURED, body: JSON.stringify({ ...minimal, id: 'x'.repeat(256) }) }));
  });

  it('answers invalid JSON with the decoder message, as for 0.1', () => {
    assert.deepEqual(parseFailure({ headers: STRUCTURED, body: '{"specversion":"1.0",' }), {
      status: 400,
      message: 'unexpected end of JSON input',
    });
  });
});

describe('1.0 binary mode', () => {
  const headers = ['ce-specversion', '1.0', 'ce-id', '1', 'ce-source', '/s', 'ce-type', 't'];

  it('reads attributes and extensions from ce- headers and the data from the body', () => {
    const event = parseOne({
      headers: [...headers, 'ce-time', '2018-04-05T17:31:00Z', 'ce-subject', 'a%20b%C3%A9', 'Ce-MyExt', 'v', 'Content-Type', 'application/json; charset=utf-8'],
      body: '[1,2]',
    });
    assert.deepEqual(plain(event), {
      specversion: '1.0',
      id: '1',
      source: '/s',
      type: 't',
      datacontenttype: 'application/json; charset=utf-8',
      subject: 'a bé',
      time: '2018-04-05T17:31:00Z',
      myext: 'v',
      data: [1, 2],
    });
  });

  it('carries text as data, other bytes as data_base64, and an empty body as no data', () => {
    const text = parseOne({ headers: [...headers, 'Content-Type', 'text/plain'], body: 'hello' });
    assert.equal((text as Record<string, unknown>)['data'], 'hello');
    const binary = parseOne({ headers: [...headers, 'Content-Type', 'application/octet-stream'], body: Buffer.from([1, 2, 3]) });
    assert.equal((binary as Record<string, unknown>)['data_base64'], 'AQID');
    const invalidJson = parseOne({ headers: [...headers, 'Content-Type', 'application/json'], body: '{' });
    assert.equal((invalidJson as Record<string, unknown>)['data_base64'], 'ew==');
    const empty = parseOne({ headers });
    assert.deepEqual(plain(empty), { specversion: '1.0', id: '1', source: '/s', type: 't' });
  });

  it('is selected by ce-specversion alone, so missing attributes are a 400, not an http.request', () => {
    assert.deepEqual(parseFailure({ headers: ['ce-specversion', '1.0'] }), {
      status: 400,
      message: `${VALIDATE}'id' is required\n'source' is required\n'type' is required`,
    });
  });

  it('refuses header names that are not valid extension names', () => {
    assert.equal(
      parseFailure({ headers: [...headers, 'ce-my-ext', 'x'] }).message,
      `${VALIDATE}extension name "my-ext" must consist of lower-case letters a-z and digits 0-9`,
    );
  });

  it('gives way to 0.1 binary mode when the 0.1 headers are all there', () => {
    const event = parseOne({
      headers: [...headers, 'CE-EventType', 'old', 'CE-CloudEventsVersion', '0.1', 'CE-Source', '/s', 'CE-EventID', '1'],
    });
    assert.equal(eventTypeOf(event), 'old');
    assert.ok(!isCloudEventV1(event));
  });
});

describe('1.0 batch mode', () => {
  const batch = (events: unknown[]) => ({ headers: BATCH, body: JSON.stringify(events) });

  function parseBatch(parts: ReturnType<typeof batch>, maxBatchSize?: number): GatewayEvent[] {
    const parsed = parseEventRequest(request(parts), { ...clock, ...(maxBatchSize === undefined ? {} : { maxBatchSize }) });
    assert.equal(parsed.kind, 'batch');
    return parsed.kind === 'batch' ? parsed.events : [];
  }

  it('gives every event of the array, in order', () => {
    const events = parseBatch(batch([minimal, { ...minimal, id: '2', data: 'x' }]));
    assert.deepEqual(plain(events), [minimal, { ...minimal, id: '2', data: 'x' }]);
  });

  it('rejects the whole batch when one member is invalid, naming its index', () => {
    assert.deepEqual(parseFailure(batch([minimal, { specversion: '1.0', source: '/s', type: 't' }, 'x'])), {
      status: 400,
      message: `${VALIDATE}batch[1]: 'id' is required\nbatch[2]: an event must be a JSON object`,
    });
  });

  it('rejects an empty array, a non-array and invalid JSON', () => {
    assert.deepEqual(parseFailure(batch([])), { status: 400, message: `${VALIDATE}a batch must hold at least one event` });
    assert.deepEqual(parseFailure({ headers: BATCH, body: JSON.stringify(minimal) }), {
      status: 400,
      message: `${VALIDATE}a batch must be a JSON array of events`,
    });
    assert.deepEqual(parseFailure({ headers: BATCH, body: '[' }), { status: 400, message: 'unexpected end of JSON input' });
  });

  it('answers 413 beyond maxBatchSize (default 100)', () => {
    const events = Array.from({ length: 101 }, (_, i) => ({ ...minimal, id: String(i) }));
    assert.deepEqual(parseFailure(batch(events)), {
      status: 413,
      message: 'CloudEvents batch of 101 events exceeds the limit of 100',
    });
    assert.equal(parseBatch(batch(events.slice(0, 100))).length, 100);
    assert.equal(parseFailure(batch(events.slice(0, 3)), { maxBatchSize: 2 }).status, 413);
    assert.throws(() => parseEventRequest(request(batch(events)), clock), PayloadTooLargeError);
  });

  it('reads 0.1-looking members as invalid 1.0 events', () => {
    assert.equal(
      parseFailure(batch([{ eventType: 'e', cloudEventsVersion: '0.1', source: '/', eventID: '1' }])).message.split('\n')[0],
      `${VALIDATE}batch[0]: 'specversion' is required`,
    );
  });
});

describe('gateway-made events with --cloudevents-version 1.0', () => {
  const v1 = { gatewayEventVersion: '1.0' as const };

  it('makes http.request events in 1.0 form with the egtransformed extensions', () => {
    const event = parseOne({ method: 'GET', path: '/a', headers: ['Host', 'h'] }, v1);
    assert.equal(
      serializeEvent(event),
      `{"specversion":"1.0","id":"${FIXED_ID}","source":"${GATEWAY_SOURCE}","type":"http.request",` +
        `"datacontenttype":"application/json","time":"${FIXED_TIME}","egtransformed":"true","egtransformversion":"0.1",` +
        '"data":{"headers":{},"query":{},"body":"","host":"h","path":"/a","method":"GET","params":null}}',
    );
  });

  it('makes legacy events in 1.0 form, raw bytes as data_base64 and text as data', () => {
    const bytes = parseOne({ headers: ['Event', 'smileys'], body: '😸' }, v1);
    assert.deepEqual(plain(bytes), {
      specversion: '1.0',
      id: FIXED_ID,
      source: GATEWAY_SOURCE,
      type: 'smileys',
      datacontenttype: 'application/octet-stream',
      time: FIXED_TIME,
      egtransformed: 'true',
      egtransformversion: '0.1',
      data_base64: '8J+YuA==',
    });
    const text = parseOne({ headers: ['Event', 'e', 'Content-Type', 'text/plain'], body: 'hi' }, v1);
    assert.equal((text as Record<string, unknown>)['data'], 'hi');
  });

  it('still uses a valid CloudEvent body of either version in legacy JSON mode', () => {
    const v1Body = parseOne({ headers: ['Event', 'e', 'Content-Type', 'application/json'], body: JSON.stringify(minimal) }, v1);
    assert.deepEqual(plain(v1Body), minimal);
    const v01Body = parseOne(
      { headers: ['Event', 'e', 'Content-Type', 'application/json'], body: '{"eventType":"x","cloudEventsVersion":"0.1","source":"/","eventID":"1"}' },
      v1,
    );
    assert.equal(eventTypeOf(v01Body), 'x');
    assert.ok(!isCloudEventV1(v01Body));
  });

  it('leaves client events in their own version', () => {
    const event = parseOne({ headers: STRUCTURED, body: '{"eventType":"x","cloudEventsVersion":"0.1","source":"/","eventID":"1"}' }, v1);
    assert.ok(!isCloudEventV1(event));
  });
});
