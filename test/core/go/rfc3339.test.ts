import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatLocalTimestamp, timeQuote, isRfc3339, parseGoRfc3339 } from '../../../lib/core/go/rfc3339.js';

const ok = (value: string) => ({ ok: true, value });
const bad = (message: string) => ({ ok: false, message });

describe('parseGoRfc3339 (Go time.Parse with RFC3339)', () => {
  it('accepts fractional seconds and re-serialises as Go\'s JSON encoder does', () => {
    assert.deepEqual(parseGoRfc3339('1985-04-12T23:20:50.00Z', false), ok('1985-04-12T23:20:50Z'));
    assert.deepEqual(parseGoRfc3339('1985-04-12T23:20:50.52Z', false), ok('1985-04-12T23:20:50.52Z'));
    assert.deepEqual(parseGoRfc3339('2018-07-20T10:00:00.123456789+02:00', false), ok('2018-07-20T10:00:00.123456789+02:00'));
    assert.deepEqual(parseGoRfc3339('2018-07-20T10:00:00.1234567891234Z', false), ok('2018-07-20T10:00:00.123456789Z'));
    assert.deepEqual(parseGoRfc3339('2018-07-20T10:00:00,5Z', false), ok('2018-07-20T10:00:00.5Z'));
  });

  it('writes a zero offset as Z and keeps other offsets', () => {
    assert.deepEqual(parseGoRfc3339('2018-07-20T10:00:00-00:00', false), ok('2018-07-20T10:00:00Z'));
    assert.deepEqual(parseGoRfc3339('2018-07-20T10:00:00+00:00', false), ok('2018-07-20T10:00:00Z'));
    assert.deepEqual(parseGoRfc3339('2018-07-20T10:00:00-05:30', false), ok('2018-07-20T10:00:00-05:30'));
  });

  it('accepts a one-digit hour, as Go\'s layout "15" does', () => {
    assert.deepEqual(parseGoRfc3339('2018-07-20T9:00:00Z', false), ok('2018-07-20T09:00:00Z'));
  });

  it('gives Go\'s message for a value that is not a time, quoted and unquoted', () => {
    assert.deepEqual(
      parseGoRfc3339('"nottime"', true),
      bad('parsing time "\\"nottime\\"" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse "nottime\\"" as "2006"'),
    );
    assert.deepEqual(
      parseGoRfc3339('nottime', false),
      bad('parsing time "nottime" as "2006-01-02T15:04:05Z07:00": cannot parse "nottime" as "2006"'),
    );
  });

  it('names the layout element that failed', () => {
    assert.deepEqual(
      parseGoRfc3339('2018-07-20 10:00:00Z', false),
      bad('parsing time "2018-07-20 10:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 10:00:00Z" as "T"'),
    );
    assert.deepEqual(
      parseGoRfc3339('2018-07-20T10:00:00', false),
      bad('parsing time "2018-07-20T10:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"'),
    );
    assert.deepEqual(
      parseGoRfc3339('2018-7-20T10:00:00Z', false),
      bad('parsing time "2018-7-20T10:00:00Z" as "2006-01-02T15:04:05Z07:00": cannot parse "7-20T10:00:00Z" as "01"'),
    );
    assert.deepEqual(
      parseGoRfc3339('123', true),
      bad('parsing time "123" as "\\"2006-01-02T15:04:05Z07:00\\"": cannot parse "123" as "\\""'),
    );
  });

  it('rejects the leap second :60 and other values out of range', () => {
    assert.deepEqual(parseGoRfc3339('1990-12-31T23:59:60Z', false), bad('parsing time "1990-12-31T23:59:60Z": second out of range'));
    assert.deepEqual(
      parseGoRfc3339('"1990-12-31T23:59:60Z"', true),
      bad('parsing time "\\"1990-12-31T23:59:60Z\\"": second out of range'),
    );
    assert.deepEqual(parseGoRfc3339('2018-13-01T00:00:00Z', false), bad('parsing time "2018-13-01T00:00:00Z": month out of range'));
    assert.deepEqual(parseGoRfc3339('2018-02-30T00:00:00Z', false), bad('parsing time "2018-02-30T00:00:00Z": day out of range'));
    assert.deepEqual(parseGoRfc3339('2018-01-01T24:00:00Z', false), bad('parsing time "2018-01-01T24:00:00Z": hour out of range'));
    assert.deepEqual(parseGoRfc3339('2018-01-01T00:60:00Z', false), bad('parsing time "2018-01-01T00:60:00Z": minute out of range'));
    assert.deepEqual(parseGoRfc3339('2016-02-29T00:00:00Z', false), ok('2016-02-29T00:00:00Z'));
  });

  it('reports extra text after the offset', () => {
    assert.deepEqual(
      parseGoRfc3339('2018-01-01T00:00:00Zjunk', false),
      bad('parsing time "2018-01-01T00:00:00Zjunk": extra text: "junk"'),
    );
  });

  it('quotes non-ASCII bytes as \\xNN', () => {
    assert.equal(timeQuote('é"\\\n'), '"\\xc3\\xa9\\"\\\\\\x0a"');
  });
});

describe('isRfc3339 (CloudEvents 1.0 time)', () => {
  it('accepts RFC 3339 date-times', () => {
    for (const value of ['2018-04-05T17:31:00Z', '2018-04-05t17:31:00.123z', '2018-04-05T17:31:00+05:30', '2016-02-29T00:00:00Z']) {
      assert.ok(isRfc3339(value), value);
    }
  });

  it('rejects anything else', () => {
    for (const value of ['2018-04-05', '2018-04-05T17:31Z', '2018-04-05T17:31:60Z', '2018-02-30T00:00:00Z', '2018-04-05T9:31:00Z', '2018-04-05T17:31:00', '2018-04-05T17:31:00.Z', '2018-04-05T17:31:00+0530']) {
      assert.ok(!isRfc3339(value), value);
    }
  });
});

describe('formatLocalTimestamp', () => {
  it('writes nine fractional digits and the server offset, Z when it is zero', () => {
    const date = new Date(Date.UTC(2018, 6, 20, 10, 0, 0, 123));
    const previous = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      assert.equal(formatLocalTimestamp(date), '2018-07-20T10:00:00.123000000Z');
      process.env.TZ = 'Asia/Kolkata';
      assert.equal(formatLocalTimestamp(date), '2018-07-20T15:30:00.123000000+05:30');
      process.env.TZ = 'America/New_York';
      assert.equal(formatLocalTimestamp(date), '2018-07-20T06:00:00.123000000-04:00');
    } finally {
      process.env.TZ = previous;
    }
  });
});
