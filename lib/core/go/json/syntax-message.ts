import { GoJsonError, quoteChar } from './errors.js';
import { parseFirstValue } from './value.js';

/**
 * The message Go's `json.Unmarshal` gives for a body `JSON.parse` refused (docs/compatibility.md#request-to-event:
 * structured decode errors are the decoder's text). Only on the error path: the body is scanned again, by the
 * Go-compatible decoder.
 * - cut short or empty: `unexpected end of JSON input`;
 * - a bad byte inside the value: the scanner's `invalid character … <context>`;
 * - bytes after a complete value: `invalid character … after top-level value` (Unmarshal checks the whole input).
 */
export function jsonSyntaxErrorMessage(bytes: Uint8Array): string {
  try {
    parseFirstValue(bytes);
  } catch (error) {
    if (!(error instanceof GoJsonError)) return FALLBACK;
    if (error.code === 'EOF' || error.code === 'UNEXPECTED_EOF') return UNEXPECTED_END;
    return error.message;
  }
  const trailing = firstByteAfterValue(bytes);
  return trailing === undefined ? FALLBACK : `invalid character ${quoteChar(trailing)} after top-level value`;
}

const UNEXPECTED_END = 'unexpected end of JSON input';
const FALLBACK = 'invalid JSON';

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** The first non-space byte after the (valid) first value of `bytes`. */
function firstByteAfterValue(bytes: Uint8Array): number | undefined {
  let i = 0;
  while (isSpace(bytes[i])) i++;
  const first = bytes[i];
  if (first === 0x22) {
    i = endOfString(bytes, i);
  } else if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    for (; i < bytes.length; i++) {
      const c = bytes[i];
      if (c === 0x22) i = endOfString(bytes, i) - 1;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if ((c === 0x7d || c === 0x5d) && --depth === 0) break;
    }
    i++;
  } else if (first === 0x74 || first === 0x6e) {
    i += 4; // true, null
  } else if (first === 0x66) {
    i += 5; // false
  } else {
    i = endOfNumber(bytes, i);
  }
  while (isSpace(bytes[i])) i++;
  return bytes[i];
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** The end of a (valid) number, following the grammar as Go's scanner does: a leading `0` takes no more digits. */
function endOfNumber(bytes: Uint8Array, start: number): number {
  let i = start;
  if (bytes[i] === 0x2d) i++;
  if (bytes[i] === 0x30) i++;
  else while (isDigit(bytes[i])) i++;
  if (bytes[i] === 0x2e) {
    i++;
    while (isDigit(bytes[i])) i++;
  }
  if (bytes[i] === 0x65 || bytes[i] === 0x45) {
    i++;
    if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++;
    while (isDigit(bytes[i])) i++;
  }
  return i;
}

function endOfString(bytes: Uint8Array, start: number): number {
  let i = start + 1;
  while (i < bytes.length) {
    const c = bytes[i];
    if (c === 0x5c) i += 2;
    else if (c === 0x22) return i + 1;
    else i++;
  }
  return i;
}
