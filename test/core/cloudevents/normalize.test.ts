import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseOne, plain } from './helpers.js';

/** The http.request `body` for a Content-Type and a body. */
function bodyFor(contentType: string | undefined, body: string | Buffer): unknown {
  const headers = contentType === undefined ? [] : ['Content-Type', contentType];
  return plain((parseOne({ headers, body }).data as { body: unknown }).body);
}

/** The legacy event `data` for a Content-Type and a body. */
function legacyDataFor(contentType: string, body: string): unknown {
  return plain(parseOne({ headers: ['Content-Type', contentType, 'Event', 'e'], body }).data);
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

describe('body normalisation (docs/compatibility.md#body-normalisation)', () => {
  it('base64s application/octet-stream and other unknown types', () => {
    assert.equal(bodyFor('application/octet-stream', 'some=thing'), b64('some=thing'));
    assert.equal(bodyFor('text/plain', 'hello'), b64('hello'));
    assert.equal(bodyFor(undefined, 'hello'), b64('hello'));
    assert.equal(bodyFor('image/png', Buffer.from([0, 255, 1])), 'AP8B');
  });

  it('keeps form bodies as text', () => {
    assert.equal(bodyFor('application/x-www-form-urlencoded', 'some=thing'), 'some=thing');
    const multipart = '--X-INSOMNIA-BOUNDARY\r\nContent-Disposition: form-data; name="some"\r\n\r\nthing\r\n--X-INSOMNIA-BOUNDARY--\r\n';
    assert.equal(bodyFor('multipart/form-data; boundary=X-INSOMNIA-BOUNDARY', multipart), multipart);
  });

  it('gives a JSON object body as the object, for application/json and any +json type', () => {
    assert.deepEqual(bodyFor('application/json', '{"hello": "world"}'), { hello: 'world' });
    assert.deepEqual(bodyFor('application/vnd.api+json', '{"a":[1,2]}'), { a: [1, 2] });
  });

  it('base64s JSON arrays, scalars and invalid JSON, and keeps null as null', () => {
    assert.equal(bodyFor('application/json', '[1,2]'), b64('[1,2]'));
    assert.equal(bodyFor('application/json', '"text"'), b64('"text"'));
    assert.equal(bodyFor('application/json', '42'), b64('42'));
    assert.equal(bodyFor('application/json', '{"a":'), b64('{"a":'));
    assert.equal(bodyFor('application/json', 'null'), null);
  });

  it('gives "" for an empty body whatever the type', () => {
    assert.equal(bodyFor('application/json', ''), '');
    assert.equal(bodyFor('application/x-www-form-urlencoded', ''), '');
    assert.equal(bodyFor(undefined, ''), '');
  });

  it('writes invalid UTF-8 in a form body as U+FFFD, as Go\'s JSON encoder does', () => {
    assert.equal(bodyFor('application/x-www-form-urlencoded', Buffer.from([0x61, 0xff, 0x62])), 'a\ufffdb');
  });
});

describe('quirk Q5: normalisation compares the parsed media type, without parameters', () => {
  it('gives an object for application/json with a charset (the original gave base64)', () => {
    assert.deepEqual(bodyFor('application/json; charset=utf-8', '{"a":1}'), { a: 1 });
    assert.deepEqual(bodyFor('Application/JSON', '{"a":1}'), { a: 1 });
    assert.deepEqual(legacyDataFor('application/json; charset=utf-8', '{"eventType":"x"}'), { eventType: 'x' });
  });

  it('gives text for a form with a charset', () => {
    assert.equal(bodyFor('application/x-www-form-urlencoded; charset=UTF-8', 'a=b'), 'a=b');
  });

  it('still base64s what is not JSON or a form, parameters or not', () => {
    assert.equal(bodyFor('text/plain; charset=utf-8', 'hi'), b64('hi'));
    assert.equal(bodyFor('application/jsonx', '{"a":1}'), b64('{"a":1}'));
  });
});
