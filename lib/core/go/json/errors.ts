/**
 * What went wrong, in the terms of Go's `json.Decoder.Decode`:
 * - `EOF`: the body is empty or only whitespace (Go's `io.EOF`);
 * - `UNEXPECTED_EOF`: the first value is cut short (`io.ErrUnexpectedEOF`);
 * - `SYNTAX`: a `*json.SyntaxError` (`invalid character …`);
 * - `TYPE`: a `*json.UnmarshalTypeError` (`json: cannot unmarshal …`);
 * - `DEPTH`: nesting beyond {@link MAX_DEPTH} (our limit, docs/compatibility.md#limits);
 * - `INTERNAL`: a safety net; the decoder never lets any other error escape.
 */
export type GoJsonErrorCode = 'EOF' | 'UNEXPECTED_EOF' | 'SYNTAX' | 'TYPE' | 'DEPTH' | 'INTERNAL';

/** The one error type this package throws. `message` is the text Go would print. */
export class GoJsonError extends Error {
  constructor(
    readonly code: GoJsonErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GoJsonError';
  }
}

/** Deepest nesting of objects and arrays accepted (docs/compatibility.md#limits). */
export { DEFAULT_MAX_JSON_DEPTH as MAX_DEPTH } from '../../limits.js';

/**
 * Formats one input byte the way Go's scanner does in its messages (`quoteChar`): `strconv.Quote` of the byte
 * taken as a rune, between single quotes, with `'` and `"` special-cased.
 */
export function quoteChar(byte: number): string {
  if (byte === 0x27) return `'\\''`;
  if (byte === 0x22) return `'"'`;
  return `'${quoteRune(byte)}'`;
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  0x07: '\\a',
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0b: '\\v',
  0x0c: '\\f',
  0x0d: '\\r',
  0x5c: '\\\\',
};

function quoteRune(rune: number): string {
  const named = NAMED_ESCAPES[rune];
  if (named !== undefined) return named;
  // strconv.IsPrint for runes up to U+00FF: printable ASCII, and Latin-1 from U+00A1 except the soft hyphen.
  if ((rune >= 0x20 && rune <= 0x7e) || (rune >= 0xa1 && rune <= 0xff && rune !== 0xad)) {
    return String.fromCharCode(rune);
  }
  const hex = rune.toString(16).padStart(2, '0');
  return rune < 0x20 || rune === 0x7f ? `\\x${hex}` : `\\u00${hex}`;
}

export function syntaxError(byte: number, context: string): GoJsonError {
  return new GoJsonError('SYNTAX', `invalid character ${quoteChar(byte)} ${context}`);
}
