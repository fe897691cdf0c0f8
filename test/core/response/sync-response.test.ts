import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError, InternalError } from '../../../lib/core/errors/index.js';
import { sniffContentType } from '../../../lib/core/go/index.js';
import { FunctionResultError, mapSyncResult } from '../../../lib/core/response/index.js';

function assertMalformed(result: Buffer | string): void {
  assert.throws(
    () => mapSyncResult(result),
    (error: unknown) => {
      assert.ok(error instanceof FunctionResultError);
      assert.ok(error instanceof InternalError);
      assert.ok(error instanceof HttpError);
      assert.equal(error.statusCode, 500);
      assert.equal(error.message, 'HTTP response object malformed');
      assert.deepEqual(error.toBody(), { errors: [{ message: 'HTTP response object malformed' }] });
      return true;
    },
    `expected ${JSON.stringify(String(result))} to be malformed`,
  );
}

describe('Function: mapSyncResult', () => {
  describe('router_test scenarios (conformance items 6–8, item 2)', () => {
    it('maps {} to 200 with no headers and an empty body', () => {
      assert.deepEqual(mapSyncResult('{}'), { statusCode: 200, headers: [], body: '' });
    });

    it('maps a statusCode and a lower-case header to that status and the canonical header name', () => {
      const response = mapSyncResult('{"statusCode": 206, "headers": {"x-custom": "custom value"}}');

      assert.deepEqual(response, { statusCode: 206, headers: [['X-Custom', 'custom value']], body: '' });
    });

    it('rejects a result that is not JSON', () => {
      assertMalformed('not JSON');
    });

    it('keeps the function\'s Content-Type and writes the body verbatim', () => {
      const response = mapSyncResult(
        Buffer.from('{"statusCode":201,"headers":{"content-type":"text/html"},"body":"<head></head>"}'),
      );

      assert.deepEqual(response, {
        statusCode: 201,
        headers: [['Content-Type', 'text/html']],
        body: '<head></head>',
      });
    });
  });

  describe('defaults', () => {
    it('maps a JSON null to 200 with an empty body', () => {
      assert.deepEqual(mapSyncResult(' null\n'), { statusCode: 200, headers: [], body: '' });
    });

    it('treats null fields as absent: status 200, no headers, empty body', () => {
      assert.deepEqual(mapSyncResult('{"statusCode":null,"headers":null,"body":null}'), {
        statusCode: 200,
        headers: [],
        body: '',
      });
    });

    it('sets a header whose value is null to the empty string, as Go did', () => {
      assert.deepEqual(mapSyncResult('{"headers":{"x-empty":null}}').headers, [['X-Empty', '']]);
    });

    it('ignores unknown keys and never decodes the body (no isBase64Encoded support)', () => {
      const response = mapSyncResult('{"isBase64Encoded":true,"body":"aGk=","extra":[1,{"a":2}]}');

      assert.equal(response.body, 'aGk=');
    });

    it('matches keys case-insensitively like Go\'s encoding/json, including the long s', () => {
      assert.deepEqual(mapSyncResult('{"StatusCode":202,"HEADERS":{"X-A":"1"},"Body":"x"}'), {
        statusCode: 202,
        headers: [
          ['X-A', '1'],
          ['Content-Type', 'text/plain; charset=utf-8'],
        ],
        body: 'x',
      });
      assert.equal(mapSyncResult('{"\u017ftatusCode":203}').statusCode, 203);
    });

    it('keeps one header per canonical name, the last spelling winning', () => {
      const response = mapSyncResult('{"headers":{"content-type":"a","X-One":"1","Content-Type":"b"}}');

      assert.deepEqual(response.headers, [
        ['X-One', '1'],
        ['Content-Type', 'b'],
      ]);
    });

    it('merges a repeated headers object and clears the headers on a later null, as Go did', () => {
      assert.deepEqual(mapSyncResult('{"headers":{"x-a":"1"},"Headers":{"x-b":"2"}}').headers, [
        ['X-A', '1'],
        ['X-B', '2'],
      ]);
      assert.deepEqual(mapSyncResult('{"headers":{"x-a":"1"},"HEADERS":null}').headers, []);
    });

    it('turns line breaks in header values into spaces, as Go\'s server did', () => {
      assert.deepEqual(mapSyncResult('{"headers":{"x-a":"one\\r\\ntwo"}}').headers, [['X-A', 'one  two']]);
    });

    it('decodes invalid UTF-8 in the result as U+FFFD', () => {
      const bytes = Buffer.concat([Buffer.from('{"body":"a'), Buffer.from([0xff]), Buffer.from('b"}')]);

      assert.equal(mapSyncResult(bytes).body, 'a\ufffdb');
    });

    it('accepts every three-digit status code', () => {
      assert.equal(mapSyncResult('{"statusCode":100}').statusCode, 100);
      assert.equal(mapSyncResult('{"statusCode":599}').statusCode, 599);
      assert.equal(mapSyncResult('{"statusCode":999}').statusCode, 999);
    });
  });

  describe('malformed results (500 HTTP response object malformed)', () => {
    it('rejects an empty or blank result', () => {
      assertMalformed('');
      assertMalformed(Buffer.alloc(0));
      assertMalformed(' \n\t');
    });

    it('rejects invalid JSON and trailing garbage', () => {
      assertMalformed('{');
      assertMalformed('{} {}');
      assertMalformed("{'body':'x'}");
    });

    it('rejects arrays, strings, numbers and booleans', () => {
      assertMalformed('[]');
      assertMalformed('[{"statusCode":200}]');
      assertMalformed('"body"');
      assertMalformed('42');
      assertMalformed('true');
    });

    it('rejects a body that is not a string', () => {
      assertMalformed('{"body":{"message":"hi"}}');
      assertMalformed('{"body":5}');
      assertMalformed('{"body":["a"]}');
      assertMalformed('{"body":false}');
    });

    it('rejects headers that are not an object of strings', () => {
      assertMalformed('{"headers":{"x-count":5}}');
      assertMalformed('{"headers":{"x-a":["1"]}}');
      assertMalformed('{"headers":{"x-a":true}}');
      assertMalformed('{"headers":["x-a"]}');
      assertMalformed('{"headers":"x-a: 1"}');
    });

    it('rejects a header name that cannot be sent', () => {
      assertMalformed('{"headers":{"bad name":"x"}}');
      assertMalformed('{"headers":{"":"x"}}');
    });

    it('rejects a statusCode that is not an integer', () => {
      assertMalformed('{"statusCode":"200"}');
      assertMalformed('{"statusCode":200.5}');
      assertMalformed('{"statusCode":true}');
      assertMalformed('{"statusCode":{}}');
    });

    it('rejects a statusCode outside 100–999 (quirk Q11)', () => {
      assertMalformed('{"statusCode":0}');
      assertMalformed('{"statusCode":99}');
      assertMalformed('{"statusCode":1000}');
      assertMalformed('{"statusCode":-200}');
      assertMalformed('{"statusCode":1e400}');
    });

    it('keeps what was wrong in the error detail for the logs', () => {
      assert.throws(
        () => mapSyncResult('{"headers":{"x-count":5}}'),
        (error: unknown) => error instanceof FunctionResultError && /x-count/.test(error.detail),
      );
    });
  });

  describe('Content-Type defaults', () => {
    it('adds text/plain for a non-empty body without a Content-Type', () => {
      assert.deepEqual(mapSyncResult('{"body":"hello"}').headers, [['Content-Type', 'text/plain; charset=utf-8']]);
      assert.deepEqual(mapSyncResult('{"body":"{\\"a\\":1}"}').headers, [
        ['Content-Type', 'text/plain; charset=utf-8'],
      ]);
    });

    it('adds text/html for a body that looks like HTML after leading whitespace', () => {
      assert.deepEqual(mapSyncResult('{"body":" \\n<!doctype html><html></html>"}').headers, [
        ['Content-Type', 'text/html; charset=utf-8'],
      ]);
    });

    it('adds no Content-Type for an empty body', () => {
      assert.deepEqual(mapSyncResult('{"statusCode":201,"body":""}').headers, []);
    });

    it('never overrides a Content-Type the function set, even an empty one', () => {
      assert.deepEqual(mapSyncResult('{"headers":{"content-type":"application/json"},"body":"<html>"}').headers, [
        ['Content-Type', 'application/json'],
      ]);
      assert.deepEqual(mapSyncResult('{"headers":{"Content-Type":""},"body":"x"}').headers, [['Content-Type', '']]);
    });

    it('does not sniff a body the function marked with a Content-Encoding', () => {
      assert.deepEqual(mapSyncResult('{"headers":{"content-encoding":"gzip"},"body":"x"}').headers, [
        ['Content-Encoding', 'gzip'],
      ]);
    });

    it('drops the body and the length headers for statuses that cannot carry a body', () => {
      assert.deepEqual(mapSyncResult('{"statusCode":204,"headers":{"content-length":"1","x-a":"1"},"body":"x"}'), {
        statusCode: 204,
        headers: [['X-A', '1']],
        body: '',
      });
      assert.deepEqual(mapSyncResult('{"statusCode":304,"headers":{"content-type":"text/html"},"body":"<p>"}'), {
        statusCode: 304,
        headers: [],
        body: '',
      });
    });
  });
});

describe('Function: sniffContentType', () => {
  it('recognises the HTML signatures http.DetectContentType knows, in any case', () => {
    for (const body of [
      '<!DOCTYPE HTML>',
      '<!doctype html >',
      '<html>',
      '<HEAD>',
      '<script src="x">',
      '<iframe>',
      '<h1>Title</h1>',
      '<div>',
      '<font>',
      '<table>',
      '<a href="/">',
      '<style>',
      '<title>',
      '<b>',
      '<body>',
      '<br>',
      '<p>text</p>',
      '<!-- comment -->',
      '\t\r\n\f <html>',
    ]) {
      assert.equal(sniffContentType(body), 'text/html; charset=utf-8', body);
    }
  });

  it('requires a space or ">" right after the signature', () => {
    for (const body of ['<html', '<pre>', '<h2>', '<bx>', '<html/>', '<!--x-->']) {
      assert.equal(sniffContentType(body), 'text/plain; charset=utf-8', body);
    }
  });

  it('answers text/plain for XML and other text, which the original sniffed differently', () => {
    assert.equal(sniffContentType('<?xml version="1.0"?><a/>'), 'text/plain; charset=utf-8');
    assert.equal(sniffContentType('%PDF-1.4'), 'text/plain; charset=utf-8');
    assert.equal(sniffContentType('hello <html>'), 'text/plain; charset=utf-8');
  });

  it('only looks at the first 512 bytes, as Go does', () => {
    assert.equal(sniffContentType(`${' '.repeat(506)}<html>`), 'text/html; charset=utf-8');
    assert.equal(sniffContentType(`${' '.repeat(507)}<html>`), 'text/plain; charset=utf-8');
  });
});
