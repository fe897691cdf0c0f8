import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { BadRequestError } from '../../../lib/core/errors/index.js';
import { parseMediaType } from '../../../lib/core/go/index.js';
import { failure, parseFailure, parseOne } from '../cloudevents/helpers.js';

describe('parseMediaType (Go mime.ParseMediaType)', () => {
  it('returns the media type lower-cased, without parameters and surrounding space', () => {
    assert.equal(parseMediaType('application/json'), 'application/json');
    assert.equal(parseMediaType('  Application/JSON ; charset=utf-8'), 'application/json');
    assert.equal(parseMediaType('multipart/form-data; boundary=X-INSOMNIA-BOUNDARY'), 'multipart/form-data');
    assert.equal(parseMediaType('text/plain; charset="utf-8"; format=flowed'), 'text/plain');
  });

  it('accepts a bare token such as foo', () => {
    assert.equal(parseMediaType('foo'), 'foo');
  });

  it('returns the empty string where Go reports "mime: no media type"', () => {
    assert.equal(parseMediaType(''), '');
    assert.equal(parseMediaType('   '), '');
    assert.equal(parseMediaType('; charset=utf-8'), '');
    assert.equal(parseMediaType('/json'), '');
  });

  it('gives Go\'s exact error texts', () => {
    const cases: Array<[string, string]> = [
      ['text/', 'mime: expected token after slash'],
      ['a b', 'mime: expected slash after first token'],
      ['text/plain; charset', 'mime: invalid media parameter'],
      ['text/plain; charset=', 'mime: invalid media parameter'],
      ['text/plain;;', 'mime: invalid media parameter'],
      ['text/plain; charset="utf-8', 'mime: invalid media parameter'],
      ['text/plain garbage', 'mime: unexpected content after media subtype'],
      ['text/plain; a=1; A=2', 'mime: duplicate parameter name'],
    ];
    for (const [value, message] of cases) {
      const error = failure(() => parseMediaType(value));
      assert.deepEqual(error, { status: 400, message }, value);
    }
  });

  it('throws BadRequestError instances', () => {
    assert.throws(() => parseMediaType('text/'), BadRequestError);
  });

  it('allows a trailing semicolon, equal duplicate parameters and an empty quoted value', () => {
    assert.equal(parseMediaType('text/plain;'), 'text/plain');
    assert.equal(parseMediaType('text/plain; '), 'text/plain');
    assert.equal(parseMediaType('text/plain; a=1; a=1'), 'text/plain');
    assert.equal(parseMediaType('text/plain; a=""'), 'text/plain');
  });

  it('trims Go whitespace, including NEL and NBSP', () => {
    assert.equal(parseMediaType('\u0085text/plain\u00a0'), 'text/plain');
  });
});

describe('Content-Type handling of parseEventRequest (docs/compatibility.md#request-to-event step 0)', () => {
  it('answers 400 with the parser message for a malformed Content-Type, on plain HTTP requests too', () => {
    assert.deepEqual(parseFailure({ headers: ['Content-Type', 'text/'] }), {
      status: 400,
      message: 'mime: expected token after slash',
    });
    assert.deepEqual(parseFailure({ headers: ['Content-Type', 'a b'], method: 'GET' }), {
      status: 400,
      message: 'mime: expected slash after first token',
    });
    assert.deepEqual(parseFailure({ headers: ['Content-Type', 'text/plain; charset'] }), {
      status: 400,
      message: 'mime: invalid media parameter',
    });
  });

  it('treats a missing, empty or parameters-only Content-Type as application/octet-stream', () => {
    for (const headers of [[], ['Content-Type', ''], ['Content-Type', '; charset=utf-8']]) {
      const event = parseOne({ headers: ['Event', 'myevent', ...headers], body: 'hey' });
      assert.equal((event as { contentType?: string }).contentType, 'application/octet-stream');
    }
  });

  it('reads only the first of repeated Content-Type headers, as Go\'s Header.Get', () => {
    const event = parseOne({
      headers: ['Content-Type', 'application/json', 'content-type', 'text/plain', 'Event', 'e'],
      body: '{"a":1}',
    });
    assert.deepEqual((event as { data: unknown }).data, { a: 1 });
  });
});
