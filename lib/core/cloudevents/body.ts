import { DEFAULT_MAX_JSON_DEPTH } from '../limits.js';
import { BadRequestError } from '../errors/index.js';

/** Deepest nesting of JSON objects and arrays accepted in a body (docs/compatibility.md#limits). */
export { DEFAULT_MAX_JSON_DEPTH } from '../limits.js';

export type JsonParseResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

/**
 * The request body, decoded at most once: every mode and the normalisation share the same UTF-8 text and the
 * same `JSON.parse` result (the hot path parses a body once).
 */
export class RequestBody {
  private decodedText: string | undefined;
  private parsed: JsonParseResult | undefined;
  private tooDeep = false;

  constructor(
    readonly bytes: Buffer,
    private readonly maxDepth: number,
  ) {}

  get isEmpty(): boolean {
    return this.bytes.length === 0;
  }

  /** The body as UTF-8 (invalid sequences become U+FFFD, as Go's JSON encoder writes them). */
  text(): string {
    this.decodedText ??= this.bytes.toString('utf8');
    return this.decodedText;
  }

  base64(): string {
    return this.bytes.toString('base64');
  }

  /**
   * The body parsed as JSON, or `{ok: false}` when it is not JSON. Throws {@link BadRequestError} when the JSON
   * nests deeper than the limit.
   */
  json(): JsonParseResult {
    if (this.tooDeep) throw new BadRequestError(jsonTooDeepMessage(this.maxDepth));
    if (this.parsed === undefined) {
      const text = this.text();
      let result: JsonParseResult;
      try {
        result = { ok: true, value: JSON.parse(text) as unknown };
      } catch {
        result = { ok: false };
      }
      this.parsed = result;
      // Only a text of at least 2·(limit+1) characters can nest deeper than the limit.
      if (result.ok && text.length > 2 * this.maxDepth + 1 && nestsDeeperThan(text, this.maxDepth)) {
        this.tooDeep = true;
        throw new BadRequestError(jsonTooDeepMessage(this.maxDepth));
      }
    }
    return this.parsed;
  }
}

export function jsonTooDeepMessage(maxDepth: number): string {
  return `JSON nesting exceeds the maximum depth of ${maxDepth}`;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Scans valid JSON text for object/array nesting beyond `maxDepth`. */
function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(text, i) - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Index just past the string literal starting at the `"` at `start` (valid JSON assumed). */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === QUOTE || Number.isNaN(c)) return i + 1;
    else i++;
  }
}

function skipWhitespace(text: string, i: number): number {
  let at = i;
  for (;;) {
    const c = text.charCodeAt(at);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) at++;
    else return at;
  }
}

/** Index just past the JSON value starting at `start` (valid JSON assumed). */
function endOfValue(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return endOfString(text, start);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) i = endOfString(text, i) - 1;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1;
    }
    return text.length;
  }
  let i = start;
  for (;;) {
    const c = text.charCodeAt(i);
    if (Number.isNaN(c) || c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c <= 0x20) return i;
    i++;
  }
}

/**
 * The raw JSON texts of the members of the top-level object whose key satisfies `matches`, in input order,
 * duplicates included. For error messages that quote the input as Go saw it; `text` must be a valid JSON object.
 */
export function rawMemberTexts(text: string, matches: (key: string) => boolean): string[] {
  const found: string[] = [];
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return found;
  i = skipWhitespace(text, i + 1);
  while (text.charCodeAt(i) === QUOTE) {
    const keyEnd = endOfString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) break;
    const valueStart = skipWhitespace(text, i + 1);
    const valueEnd = endOfValue(text, valueStart);
    if (matches(key)) found.push(text.slice(valueStart, valueEnd));
    i = skipWhitespace(text, valueEnd);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipWhitespace(text, i + 1);
  }
  return found;
}
