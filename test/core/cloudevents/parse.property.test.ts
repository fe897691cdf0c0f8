import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { isHttpError } from '../../../lib/core/errors/index.js';
import {
  eventTypeOf,
  parseEventRequest,
  serializeEvent,
  type EventRequest,
  type GatewayEvent,
} from '../../../lib/core/cloudevents/index.js';
import { clock, plain } from './helpers.js';

const contentTypes = fc.oneof(
  fc.constantFrom(
    'application/cloudevents+json',
    'application/cloudevents-batch+json',
    'application/json',
    'application/json; charset=utf-8',
    'application/vnd.x+json',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
    '',
    'text/',
    'a b',
    'foo',
    '/json',
    'text/plain; charset',
    'text/plain; a=1; a=2',
  ),
  fc.string({ maxLength: 30 }),
);

const headerNames = fc.oneof(
  fc.constantFrom(
    'CE-EventType',
    'CE-EventTypeVersion',
    'CE-CloudEventsVersion',
    'CE-Source',
    'CE-EventID',
    'CE-EventTime',
    'CE-SchemaURL',
    'CE-X-Foo',
    'ce-x-',
    'ce-specversion',
    'ce-id',
    'ce-source',
    'ce-type',
    'ce-time',
    'ce-dataschema',
    'ce-datacontenttype',
    'ce-BAD-name',
    'Event',
    'Host',
    'Content-Type',
    'Transfer-Encoding',
    '__proto__',
    'constructor',
    'CE-X-__proto__',
    'ce-__proto__',
    'ce-constructor',
  ),
  fc.string({ minLength: 1, maxLength: 12 }),
);

const headerValues = fc.oneof(
  fc.constantFrom('1.0', '0.1', '/', 'https://example.com', 'NOT URI', 'nottime', '2018-01-01T00:00:00Z', '', 'a%20b', '%zz', 'application/json'),
  fc.string({ maxLength: 20 }),
);

const eventLikeKeys = fc.constantFrom(
  'eventType', 'eventID', 'eventId', 'cloudEventsVersion', 'source', 'eventTime', 'extensions', 'data', 'schemaURL',
  'specversion', 'id', 'type', 'time', 'datacontenttype', 'dataschema', 'subject', 'data_base64', 'ext', 'Bad', '__proto__',
);
const eventLikeValues = fc.oneof(
  fc.constantFrom('1.0', '0.1', '/', 'urn:x', 'NOT URI', 'nottime', '2018-01-01T00:00:00Z', '1990-12-31T23:59:60Z', 'aGk=', null),
  fc.jsonValue({ maxDepth: 2 }),
);
const eventLike = fc.dictionary(eventLikeKeys, eventLikeValues, { maxKeys: 8 });

const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue({ maxDepth: 3 }).map((value) => Buffer.from(JSON.stringify(value))),
  eventLike.map((value) => Buffer.from(JSON.stringify(value))),
  fc.array(eventLike, { maxLength: 4 }).map((value) => Buffer.from(JSON.stringify(value))),
  fc.string({ maxLength: 40 }).map((text) => Buffer.from(text)),
  fc.nat({ max: 80 }).map((depth) => Buffer.from('['.repeat(depth) + ']'.repeat(depth))),
);

const requests: fc.Arbitrary<EventRequest> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'OPTIONS'),
  rawPath: fc.oneof(fc.constantFrom('/', '/a%20b', '/%zz', '/users/42'), fc.string({ maxLength: 12 })),
  rawQuery: fc.oneof(fc.constantFrom('', 'a=1&a=2', 'x=%zz', 'a;b', 'constructor=1&toString=2&__proto__=3'), fc.string({ maxLength: 12 })),
  rawHeaders: fc
    .tuple(
      fc.option(contentTypes, { nil: undefined }),
      fc.array(fc.tuple(headerNames, headerValues), { maxLength: 8 }),
    )
    .map(([contentType, pairs]) => [
      ...(contentType === undefined ? [] : ['Content-Type', contentType]),
      ...pairs.flat(),
    ]),
  body: bodies,
});

const options = fc.record({
  gatewayEventVersion: fc.constantFrom('0.1' as const, '1.0' as const),
  maxBatchSize: fc.integer({ min: 1, max: 5 }),
});

function checkEvent(event: GatewayEvent): void {
  assert.ok(Object.isFrozen(event));
  assert.equal(typeof eventTypeOf(event), 'string');
  const json = serializeEvent(event);
  assert.deepEqual(JSON.parse(json), plain(event));
}

describe('parseEventRequest on fuzzed input', () => {
  it('returns events or throws an HttpError, never anything else', () => {
    fc.assert(
      fc.property(requests, options, (req, opts) => {
        let parsed;
        try {
          parsed = parseEventRequest(req, { ...clock, ...opts });
        } catch (error) {
          assert.ok(isHttpError(error), `not an HttpError: ${String(error)}`);
          assert.ok(error.statusCode === 400 || error.statusCode === 413);
          assert.ok(error.message.length > 0);
          return;
        }
        if (parsed.kind === 'single') checkEvent(parsed.event);
        else parsed.events.forEach(checkEvent);
      }),
      { numRuns: 10_000 },
    );
  });

  it('gives any JSON object posted as application/json back as data.body of an http.request', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })), (object) => {
        const parsed = parseEventRequest(
          { method: 'POST', rawPath: '/', rawQuery: '', rawHeaders: ['Content-Type', 'application/json'], body: Buffer.from(JSON.stringify(object)) },
          clock,
        );
        assert.equal(parsed.kind, 'single');
        if (parsed.kind === 'single') assert.deepEqual(plain((parsed.event.data as { body: unknown }).body), plain(object));
      }),
      { numRuns: 1_000 },
    );
  });

  it('parses the structured serialisation of a valid 0.1 event back to the same event', () => {
    const text = fc.string({ minLength: 1, maxLength: 10 });
    const event01 = fc.record(
      {
        eventType: text,
        eventTypeVersion: text,
        cloudEventsVersion: text,
        source: fc.constantFrom('/', '/a/b', 'https://example.com/x', 'urn:a:b'),
        eventID: text,
        eventTime: fc.constantFrom('2018-01-01T00:00:00Z', '2018-01-01T00:00:00.5+01:00'),
        schemaURL: text,
        extensions: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 3 }),
        contentType: text,
        data: fc.jsonValue({ maxDepth: 3 }),
      },
      { requiredKeys: ['eventType', 'cloudEventsVersion', 'source', 'eventID'] },
    );
    fc.assert(
      fc.property(event01, (event) => {
        const body = Buffer.from(JSON.stringify(event));
        const first = parseEventRequest(
          { method: 'POST', rawPath: '/', rawQuery: '', rawHeaders: ['Content-Type', 'application/cloudevents+json'], body },
          clock,
        );
        assert.equal(first.kind, 'single');
        if (first.kind !== 'single') return;
        const again = parseEventRequest(
          { method: 'POST', rawPath: '/', rawQuery: '', rawHeaders: ['Content-Type', 'application/cloudevents+json'], body: Buffer.from(serializeEvent(first.event)) },
          clock,
        );
        assert.equal(again.kind === 'single' && serializeEvent(again.event), serializeEvent(first.event));
      }),
      { numRuns: 1_000 },
    );
  });
});
