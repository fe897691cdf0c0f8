/**
 * RFC 3339 timestamps the way the original handled them: Go's `time.Parse` with the layout
 * `2006-01-02T15:04:05Z07:00` (quoted, `"2006-…"`, when Go's JSON decoder parses a string with it), its exact error
 * texts, and the re-serialised form Go's JSON encoder writes (`RFC3339Nano`: trailing zeros of the fraction dropped,
 * `Z` for a zero offset).
 */

export type TimeParseResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string };

const LAYOUT = '2006-01-02T15:04:05Z07:00';
const QUOTED_LAYOUT = `"${LAYOUT}"`;

/**
 * Go's `time.Parse(RFC3339, value)` (`quoted: false`, used for the `CE-EventTime` header) or the Go ≤ 1.19
 * `Time.UnmarshalJSON`, i.e. `time.Parse("\"" + RFC3339 + "\"", rawJsonText)` (`quoted: true`).
 * On success returns the timestamp as Go's `MarshalJSON` writes it.
 */
export function parseGoRfc3339(value: string, quoted: boolean): TimeParseResult {
  if (!quoted && isCanonicalRfc3339(value)) return { ok: true, value };
  const layout = quoted ? QUOTED_LAYOUT : LAYOUT;
  const cannotParse = (valueElem: string, layoutElem: string): TimeParseResult => ({
    ok: false,
    message:
      `parsing time ${timeQuote(value)} as ${timeQuote(layout)}: ` +
      `cannot parse ${timeQuote(valueElem)} as ${timeQuote(layoutElem)}`,
  });
  const withMessage = (message: string): TimeParseResult => ({
    ok: false,
    message: `parsing time ${timeQuote(value)}${message}`,
  });
  const outOfRange = (what: string): TimeParseResult => withMessage(`: ${what} out of range`);

  let rest = value;
  if (quoted) {
    if (rest.charCodeAt(0) !== QUOTE) return cannotParse(rest, '"');
    rest = rest.slice(1);
  }

  // 2006
  if (rest.length < 4 || !isDigitAt(rest, 0)) return cannotParse(rest, '2006');
  if (!isDigitAt(rest, 1) || !isDigitAt(rest, 2) || !isDigitAt(rest, 3)) return cannotParse(rest, '2006');
  const year = Number(rest.slice(0, 4));
  rest = rest.slice(4);

  // -01
  if (rest.charCodeAt(0) !== DASH) return cannotParse(rest, '-');
  rest = rest.slice(1);
  const month = twoDigits(rest);
  if (month < 0) return cannotParse(rest, '01');
  if (month === 0 || month > 12) return outOfRange('month');
  rest = rest.slice(2);

  // -02 (range checked after the whole value, as Go does)
  if (rest.charCodeAt(0) !== DASH) return cannotParse(rest, '-');
  rest = rest.slice(1);
  const day = twoDigits(rest);
  if (day < 0) return cannotParse(rest, '02');
  rest = rest.slice(2);

  // T15: one or two digits
  if (rest.charCodeAt(0) !== T) return cannotParse(rest, 'T');
  rest = rest.slice(1);
  if (!isDigitAt(rest, 0)) return cannotParse(rest, '15');
  let hour = rest.charCodeAt(0) - ZERO;
  if (isDigitAt(rest, 1)) {
    hour = hour * 10 + rest.charCodeAt(1) - ZERO;
    rest = rest.slice(2);
  } else {
    rest = rest.slice(1);
  }
  if (hour >= 24) return outOfRange('hour');

  // :04
  if (rest.charCodeAt(0) !== COLON) return cannotParse(rest, ':');
  rest = rest.slice(1);
  const minute = twoDigits(rest);
  if (minute < 0) return cannotParse(rest, '04');
  if (minute >= 60) return outOfRange('minute');
  rest = rest.slice(2);

  // :05, then a fraction the layout does not name (Go accepts `.` or `,`)
  if (rest.charCodeAt(0) !== COLON) return cannotParse(rest, ':');
  rest = rest.slice(1);
  const second = twoDigits(rest);
  if (second < 0) return cannotParse(rest, '05');
  if (second >= 60) return outOfRange('second');
  rest = rest.slice(2);
  let fraction = '';
  if (rest.length >= 2 && (rest.charCodeAt(0) === DOT || rest.charCodeAt(0) === COMMA) && isDigitAt(rest, 1)) {
    let n = 2;
    while (n < rest.length && isDigitAt(rest, n)) n++;
    fraction = rest.slice(1, Math.min(n, 10)); // Go keeps nanoseconds: at most nine digits
    rest = rest.slice(n);
  }

  // Z07:00
  let offsetMinutes = 0;
  if (rest.charCodeAt(0) === Z) {
    rest = rest.slice(1);
  } else {
    const sign = rest.charCodeAt(0);
    const offsetHour = rest.length >= 6 && rest.charCodeAt(3) === COLON ? twoDigits(rest.slice(1, 3)) : -1;
    const offsetMinute = offsetHour >= 0 ? twoDigits(rest.slice(4, 6)) : -1;
    if (offsetMinute < 0 || (sign !== PLUS && sign !== DASH)) return cannotParse(rest, 'Z07:00');
    // Go ≥ 1.20 range-checks the offset; we also refuse 24 and 60, which no RFC 3339 reader accepts.
    if (offsetHour >= 24) return outOfRange('time zone offset hour');
    if (offsetMinute >= 60) return outOfRange('time zone offset minute');
    offsetMinutes = (offsetHour * 60 + offsetMinute) * (sign === DASH ? -1 : 1);
    rest = rest.slice(6);
  }

  if (quoted) {
    if (rest.charCodeAt(0) !== QUOTE) return cannotParse(rest, '"');
    rest = rest.slice(1);
  }
  if (rest.length > 0) return withMessage(`: extra text: ${timeQuote(rest)}`);
  if (day < 1 || day > daysIn(month, year)) return withMessage(': day out of range');

  return {
    ok: true,
    value: formatRfc3339Nano(year, month, day, hour, minute, second, fraction.replace(/0+$/, ''), offsetMinutes),
  };
}

/**
 * Whether `value` is already what Go's JSON encoder would write for it: `YYYY-MM-DDTHH:MM:SS`, an optional `.` and
 * one to nine digits not ending in `0`, then `Z` or a non-zero `±HH:MM`, all in range.
 * Hot path: the usual client timestamp is accepted here without the exact Go parser.
 */
function isCanonicalRfc3339(value: string): boolean {
  if (value.length < 20 || !isRfc3339(value)) return false;
  if (value.charCodeAt(10) !== T) return false;
  let i = 19;
  if (value.charCodeAt(i) === DOT) {
    const start = ++i;
    while (isDigitAt(value, i)) i++;
    if (i - start > 9 || value.charCodeAt(i - 1) === ZERO) return false;
  }
  const zone = value.charCodeAt(i);
  if (zone === Z) return true;
  // A zero offset is written as Z.
  return zone !== 0x7a && !(value.charCodeAt(i + 1) === ZERO && value.charCodeAt(i + 2) === ZERO && value.charCodeAt(i + 4) === ZERO && value.charCodeAt(i + 5) === ZERO);
}

/**
 * A strict RFC 3339 `date-time` check for CloudEvents 1.0 `time`: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`,
 * `T`/`Z` in either case, ranges checked (leap second `60` refused, as for 0.1).
 */
export function isRfc3339(value: string): boolean {
  if (value.length < 20) return false;
  const year = fixedDigits(value, 0, 4);
  const month = fixedDigits(value, 5, 2);
  const day = fixedDigits(value, 8, 2);
  const hour = fixedDigits(value, 11, 2);
  const minute = fixedDigits(value, 14, 2);
  const second = fixedDigits(value, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23) return false;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  if (value.charCodeAt(4) !== DASH || value.charCodeAt(7) !== DASH) return false;
  if ((value.charCodeAt(10) | 0x20) !== 0x74 || value.charCodeAt(13) !== COLON || value.charCodeAt(16) !== COLON) {
    return false;
  }
  if (day > daysIn(month, year)) return false;
  let i = 19;
  if (value.charCodeAt(i) === DOT) {
    i++;
    const start = i;
    while (i < value.length && isDigitAt(value, i)) i++;
    if (i === start) return false;
  }
  if ((value.charCodeAt(i) | 0x20) === 0x7a) return i + 1 === value.length;
  const sign = value.charCodeAt(i);
  if ((sign !== PLUS && sign !== DASH) || value.length !== i + 6 || value.charCodeAt(i + 3) !== COLON) return false;
  const offsetHour = fixedDigits(value, i + 1, 2);
  const offsetMinute = fixedDigits(value, i + 4, 2);
  return offsetHour >= 0 && offsetHour <= 23 && offsetMinute >= 0 && offsetMinute <= 59;
}

/**
 * `date` in the server's local offset as RFC 3339 with nine fractional digits (milliseconds, zero-padded), `Z`
 * when the offset is zero: the `eventTime` of gateway-made events.
 */
export function formatLocalTimestamp(date: Date): string {
  // One time-zone lookup, then UTC getters on the shifted instant (each local getter would look the zone up again).
  const offsetMinutes = -date.getTimezoneOffset();
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  return formatRfc3339Nano(
    local.getUTCFullYear(),
    local.getUTCMonth() + 1,
    local.getUTCDate(),
    local.getUTCHours(),
    local.getUTCMinutes(),
    local.getUTCSeconds(),
    pad(local.getUTCMilliseconds(), 3) + '000000',
    offsetMinutes,
  );
}

function formatRfc3339Nano(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  fraction: string,
  offsetMinutes: number,
): string {
  let out = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`;
  if (fraction !== '') out += `.${fraction}`;
  if (offsetMinutes === 0) return `${out}Z`;
  const abs = Math.abs(offsetMinutes);
  return `${out}${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
}

/**
 * Go's `time` package `quote`: double quotes around the value, `"` and `\` escaped, and every byte of a character
 * outside printable ASCII written as `\xNN` (the bytes of its UTF-8 encoding).
 */
export function timeQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x80) {
      if (c === QUOTE || c === 0x5c) out += '\\';
      out += s.charAt(i);
      continue;
    }
    const codePoint = s.codePointAt(i) as number;
    if (codePoint > 0xffff) i++;
    for (const byte of Buffer.from(String.fromCodePoint(codePoint), 'utf8')) out += `\\x${hex2(byte)}`;
  }
  return `${out}"`;
}

const QUOTE = 0x22;
const DASH = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const COMMA = 0x2c;
const COLON = 0x3a;
const ZERO = 0x30;
const T = 0x54;
const Z = 0x5a;

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= ZERO && c <= 0x39;
}

/** Go's fixed-width `getnum`: the two digits at the start of `s`, or -1. */
function twoDigits(s: string): number {
  if (!isDigitAt(s, 0) || !isDigitAt(s, 1)) return -1;
  return (s.charCodeAt(0) - ZERO) * 10 + s.charCodeAt(1) - ZERO;
}

function fixedDigits(s: string, at: number, count: number): number {
  let n = 0;
  for (let k = 0; k < count; k++) {
    if (!isDigitAt(s, at + k)) return -1;
    n = n * 10 + s.charCodeAt(at + k) - ZERO;
  }
  return n;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
