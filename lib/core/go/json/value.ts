import { GoJsonError, MAX_DEPTH, syntaxError } from './errors.js';

/**
 * One parsed JSON value. Objects keep every member in input order, duplicates included, because Go applies
 * them one after the other ("last one wins", maps merge). Numbers keep their literal text.
 */
export type JsonNode =
  | { readonly kind: 'object'; readonly entries: ReadonlyArray<readonly [key: string, value: JsonNode]> }
  | { readonly kind: 'array'; readonly items: readonly JsonNode[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'null' };

type ObjectFrame = { kind: 'object'; entries: Array<readonly [string, JsonNode]>; key: string };
type ArrayFrame = { kind: 'array'; items: JsonNode[] };
type Frame = ObjectFrame | ArrayFrame;

const encoder = new TextEncoder();

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

const unexpectedEof = (): GoJsonError => new GoJsonError('UNEXPECTED_EOF', 'unexpected EOF');
const depthExceeded = (maxDepth: number): GoJsonError =>
  new GoJsonError('DEPTH', `JSON nesting exceeds the maximum depth of ${maxDepth}`);

/**
 * Reads the first JSON value of `input` as Go's `json.Decoder.Decode` does: leading whitespace is skipped, bytes
 * after the value are never looked at, an empty or all-whitespace input is `EOF`, a value cut short is
 * `unexpected EOF`, and a bad byte gives the scanner's `invalid character …` message. Strings are UTF-8 bytes;
 * a JS string is encoded first. Iterative: nesting costs heap, not stack.
 */
export function parseFirstValue(input: string | Uint8Array, maxDepth = MAX_DEPTH): JsonNode {
  const bytes = typeof input === 'string' ? encoder.encode(input) : input;
  return new ValueReader(bytes, maxDepth).read();
}

class ValueReader {
  private pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxDepth: number,
  ) {}

  read(): JsonNode {
    const { bytes } = this;
    this.skipSpace();
    if (this.pos >= bytes.length) throw new GoJsonError('EOF', 'EOF');

    const stack: Frame[] = [];
    let value: JsonNode;
    for (;;) {
      // A value starts here.
      this.skipSpace();
      const c = this.peek();
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (stack.length >= this.maxDepth) throw depthExceeded(this.maxDepth);
        this.pos++;
        if (c === OPEN_BRACE) {
          this.skipSpace();
          if (this.peek() === CLOSE_BRACE) {
            this.pos++;
            value = { kind: 'object', entries: [] };
          } else {
            stack.push({ kind: 'object', entries: [], key: this.readKey() });
            continue;
          }
        } else {
          this.skipSpace();
          if (this.peek() === CLOSE_BRACKET) {
            this.pos++;
            value = { kind: 'array', items: [] };
          } else {
            stack.push({ kind: 'array', items: [] });
            continue;
          }
        }
      } else {
        value = this.readScalar(c);
      }

      // A value ended: attach it to its container, closing containers as they end.
      for (;;) {
        const frame = stack[stack.length - 1];
        if (frame === undefined) return value; // the top-level value: trailing bytes are ignored
        this.skipSpace();
        const d = this.peek();
        if (frame.kind === 'array') {
          frame.items.push(value);
          if (d === COMMA) {
            this.pos++;
            break;
          }
          if (d !== CLOSE_BRACKET) throw syntaxError(d, 'after array element');
          this.pos++;
          stack.pop();
          value = { kind: 'array', items: frame.items };
        } else {
          frame.entries.push([frame.key, value]);
          if (d === COMMA) {
            this.pos++;
            this.skipSpace();
            frame.key = this.readKey();
            break;
          }
          if (d !== CLOSE_BRACE) throw syntaxError(d, 'after object key:value pair');
          this.pos++;
          stack.pop();
          value = { kind: 'object', entries: frame.entries };
        }
      }
    }
  }

  /** The current byte; at the end of input the value is incomplete. */
  private peek(): number {
    const c = this.bytes[this.pos];
    if (c === undefined) throw unexpectedEof();
    return c;
  }

  private skipSpace(): void {
    const { bytes } = this;
    let i = this.pos;
    while (i < bytes.length && isSpace(bytes[i] as number)) i++;
    this.pos = i;
  }

  /** An object key and its colon, with the scanner's messages for what may stand there instead. */
  private readKey(): string {
    const c = this.peek();
    if (c !== QUOTE) throw syntaxError(c, 'looking for beginning of object key string');
    const key = this.readString();
    this.skipSpace();
    const d = this.peek();
    if (d !== COLON) throw syntaxError(d, 'after object key');
    this.pos++;
    return key;
  }

  private readScalar(c: number): JsonNode {
    if (c === QUOTE) return { kind: 'string', value: this.readString() };
    if (c === MINUS || isDigit(c)) return { kind: 'number', text: this.readNumber() };
    switch (c) {
      case 0x74: // t
        this.readLiteral('true');
        return { kind: 'bool', value: true };
      case 0x66: // f
        this.readLiteral('false');
        return { kind: 'bool', value: false };
      case 0x6e: // n
        this.readLiteral('null');
        return { kind: 'null' };
      default:
        throw syntaxError(c, 'looking for beginning of value');
    }
  }

  private readLiteral(word: string): void {
    const { bytes } = this;
    for (let k = 1; k < word.length; k++) {
      const c = bytes[this.pos + k];
      if (c === undefined) throw unexpectedEof();
      const expected = word.charCodeAt(k);
      if (c !== expected) throw syntaxError(c, `in literal ${word} (expecting '${word[k]}')`);
    }
    this.pos += word.length;
  }

  /**
   * A number, following the scanner's states. The end of input ends a complete number (Go feeds a space at EOF);
   * inside a container the caller's look-ahead then reports the unexpected EOF.
   */
  private readNumber(): string {
    const { bytes } = this;
    const start = this.pos;
    let i = start;
    const at = (k: number): number | undefined => bytes[k];
    const need = (k: number): number => {
      const c = at(k);
      if (c === undefined) throw unexpectedEof();
      return c;
    };

    if (bytes[i] === MINUS) {
      i++;
      const c = need(i);
      if (!isDigit(c)) throw syntaxError(c, 'in numeric literal');
    }
    if (bytes[i] === 0x30) {
      i++;
    } else {
      while (isDigit(at(i) ?? -1)) i++;
    }
    if (at(i) === 0x2e) {
      i++;
      const c = need(i);
      if (!isDigit(c)) throw syntaxError(c, 'after decimal point in numeric literal');
      while (isDigit(at(i) ?? -1)) i++;
    }
    const e = at(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = need(i);
      if (sign === 0x2b || sign === MINUS) i++;
      const c = need(i);
      if (!isDigit(c)) throw syntaxError(c, 'in exponent of numeric literal');
      while (isDigit(at(i) ?? -1)) i++;
    }
    this.pos = i;
    return latin1(bytes, start, i);
  }

  /** A quoted string starting at the current `"`; returns its decoded value. */
  private readString(): string {
    const { bytes } = this;
    const start = this.pos + 1;
    let i = start;
    let escaped = false;
    let ascii = true;
    for (;;) {
      const c = bytes[i];
      if (c === undefined) throw unexpectedEof();
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        const e = bytes[i + 1];
        if (e === undefined) throw unexpectedEof();
        if (e === 0x75) {
          for (let k = 2; k <= 5; k++) {
            const h = bytes[i + k];
            if (h === undefined) throw unexpectedEof();
            if (!isHex(h)) throw syntaxError(h, 'in \\u hexadecimal character escape');
          }
          i += 6;
          continue;
        }
        if (SIMPLE_ESCAPES[e] === undefined) throw syntaxError(e, 'in string escape code');
        i += 2;
        continue;
      }
      if (c < 0x20) throw syntaxError(c, 'in string literal');
      if (c >= 0x80) ascii = false;
      i++;
    }
    this.pos = i + 1;
    if (escaped) return unquote(bytes, start, i);
    if (ascii) return latin1(bytes, start, i);
    try {
      return strictUtf8.decode(bytes.subarray(start, i));
    } catch {
      return unquote(bytes, start, i); // invalid UTF-8: Go's byte-wise replacement
    }
  }
}

const SIMPLE_ESCAPES: Readonly<Record<number, number>> = {
  0x22: 0x22, // "
  0x5c: 0x5c, // \
  0x2f: 0x2f, // /
  0x62: 0x08, // b
  0x66: 0x0c, // f
  0x6e: 0x0a, // n
  0x72: 0x0d, // r
  0x74: 0x09, // t
};

const CHUNK = 0x2000;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** ASCII bytes as a string: a plain loop for short runs, the platform decoder for long ones. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start > 32) return strictUtf8.decode(bytes.subarray(start, end));
  let out = '';
  for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i] as number);
  return out;
}

/**
 * Decodes the inside of an already-validated string as Go's `unquote` does: escapes are resolved, a valid
 * `\u` surrogate pair becomes one character, any other surrogate escape becomes U+FFFD, and each byte of an
 * invalid UTF-8 sequence becomes U+FFFD.
 */
function unquote(bytes: Uint8Array, start: number, end: number): string {
  const units: number[] = [];
  let out = '';
  const flush = (): void => {
    out += String.fromCharCode(...units);
    units.length = 0;
  };
  let i = start;
  while (i < end) {
    if (units.length >= CHUNK) flush();
    const c = bytes[i] as number;
    if (c === BACKSLASH) {
      const e = bytes[i + 1] as number;
      if (e !== 0x75) {
        units.push(SIMPLE_ESCAPES[e] as number);
        i += 2;
        continue;
      }
      const first = hex4(bytes, i + 2);
      i += 6;
      if (first >= 0xd800 && first < 0xe000) {
        const second = i + 6 <= end && bytes[i] === BACKSLASH && bytes[i + 1] === 0x75 ? hex4(bytes, i + 2) : -1;
        if (first < 0xdc00 && second >= 0xdc00 && second < 0xe000) {
          units.push(first, second);
          i += 6;
        } else {
          units.push(0xfffd);
        }
        continue;
      }
      units.push(first);
      continue;
    }
    if (c < 0x80) {
      units.push(c);
      i++;
      continue;
    }
    const [rune, size] = decodeRune(bytes, i, end);
    if (rune >= 0x10000) {
      const r = rune - 0x10000;
      units.push(0xd800 + (r >> 10), 0xdc00 + (r & 0x3ff));
    } else {
      units.push(rune);
    }
    i += size;
  }
  flush();
  return out;
}

function hex4(bytes: Uint8Array, at: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const h = bytes[at + k] as number;
    v = (v << 4) | (h <= 0x39 ? h - 0x30 : (h | 0x20) - 0x57);
  }
  return v;
}

/** Go's `utf8.DecodeRune`: a valid sequence, or U+FFFD consuming one byte. */
function decodeRune(bytes: Uint8Array, i: number, end: number): [rune: number, size: number] {
  const b0 = bytes[i] as number;
  const cont = (k: number, lo = 0x80, hi = 0xbf): number => {
    const b = i + k < end ? (bytes[i + k] as number) : -1;
    return b >= lo && b <= hi ? b & 0x3f : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const b1 = cont(1);
    if (b1 >= 0) return [((b0 & 0x1f) << 6) | b1, 2];
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    const b1 = cont(1, b0 === 0xe0 ? 0xa0 : 0x80, b0 === 0xed ? 0x9f : 0xbf);
    const b2 = b1 >= 0 ? cont(2) : -1;
    if (b2 >= 0) return [((b0 & 0x0f) << 12) | (b1 << 6) | b2, 3];
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    const b1 = cont(1, b0 === 0xf0 ? 0x90 : 0x80, b0 === 0xf4 ? 0x8f : 0xbf);
    const b2 = b1 >= 0 ? cont(2) : -1;
    const b3 = b2 >= 0 ? cont(3) : -1;
    if (b3 >= 0) return [((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3, 4];
  }
  return [0xfffd, 1];
}
