import { BadRequestError } from '../errors/index.js';

/**
 * Go's `mime.ParseMediaType`, reduced to what the gateway needs: the media type, lower-cased, without parameters.
 * Parameters are still checked, so the errors are Go's, byte for byte:
 * `mime: expected slash after first token`, `mime: expected token after slash`,
 * `mime: unexpected content after media subtype`, `mime: invalid media parameter`, `mime: duplicate parameter name`.
 * A bare token such as `foo` is accepted.
 *
 * Returns '' where Go reports `mime: no media type` (empty value, `;charset=x`, `/json`): callers treat it as absent.
 * Throws {@link BadRequestError} with Go's text otherwise.
 */
export function parseMediaType(value: string): string {
  // Hot path: the same few Content-Type values arrive on almost every request.
  const cached = cache.get(value);
  if (cached !== undefined) return cached;
  const mediaType = parseUncached(value);
  if (cache.size < CACHE_LIMIT) cache.set(value, mediaType);
  return mediaType;
}

const CACHE_LIMIT = 256;
const cache = new Map<string, string>();

const TSPECIALS = '()<>@,;:\\"/[]?=';

function isTokenChar(c: number): boolean {
  return c > 0x20 && c < 0x7f && TSPECIALS.indexOf(String.fromCharCode(c)) < 0;
}

/** Go's `unicode.IsSpace`. */
function isSpace(c: number): boolean {
  if (c <= 0xff) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
  return (
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i === 0 ? s : s.slice(i);
}

function trimSpace(s: string): string {
  let end = s.length;
  while (end > 0 && isSpace(s.charCodeAt(end - 1))) end--;
  return trimLeftSpace(s.slice(0, end));
}

/** Length of the token at the start of `s` (0 when it does not start with a token character). */
function tokenLength(s: string): number {
  let i = 0;
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

function parseUncached(value: string): string {
  const semicolon = value.indexOf(';');
  const base = semicolon < 0 ? value : value.slice(0, semicolon);
  const mediaType = trimSpace(base.toLowerCase());

  const typeLength = tokenLength(mediaType);
  if (typeLength === 0) return '';
  if (typeLength < mediaType.length) {
    if (mediaType.charCodeAt(typeLength) !== 0x2f) throw new BadRequestError('mime: expected slash after first token');
    const afterSlash = mediaType.slice(typeLength + 1);
    const subtypeLength = tokenLength(afterSlash);
    if (subtypeLength === 0) throw new BadRequestError('mime: expected token after slash');
    if (subtypeLength < afterSlash.length) {
      throw new BadRequestError('mime: unexpected content after media subtype');
    }
  }

  checkParameters(value.slice(base.length));
  return mediaType;
}

function checkParameters(params: string): void {
  let seen: Map<string, string> | undefined;
  let rest = params;
  for (;;) {
    rest = trimLeftSpace(rest);
    if (rest.length === 0) return;
    const param = consumeParameter(rest);
    if (param === undefined) {
      if (trimSpace(rest) === ';') return; // a trailing semicolon is not an error
      throw new BadRequestError('mime: invalid media parameter');
    }
    seen ??= new Map();
    const previous = seen.get(param.name);
    if (previous !== undefined && previous !== param.value) throw new BadRequestError('mime: duplicate parameter name');
    seen.set(param.name, param.value);
    rest = param.rest;
  }
}

/** One `; name=value`, as Go's `consumeMediaParam`; `undefined` where Go returns an empty name. */
function consumeParameter(input: string): { name: string; value: string; rest: string } | undefined {
  let rest = trimLeftSpace(input);
  if (rest.charCodeAt(0) !== 0x3b) return undefined;
  rest = trimLeftSpace(rest.slice(1));
  const nameLength = tokenLength(rest);
  if (nameLength === 0) return undefined;
  const name = rest.slice(0, nameLength).toLowerCase();
  rest = trimLeftSpace(rest.slice(nameLength));
  if (rest.charCodeAt(0) !== 0x3d) return undefined;
  rest = trimLeftSpace(rest.slice(1));
  const parsed = consumeValue(rest);
  if (parsed === undefined) return undefined;
  return { name, value: parsed.value, rest: parsed.rest };
}

/** A token or a quoted string (with Go's MSIE-tolerant backslash handling); `undefined` when there is neither. */
function consumeValue(s: string): { value: string; rest: string } | undefined {
  if (s.charCodeAt(0) !== 0x22) {
    const length = tokenLength(s);
    return length === 0 ? undefined : { value: s.slice(0, length), rest: s.slice(length) };
  }
  let value = '';
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) return { value, rest: s.slice(i + 1) };
    if (c === 0x5c && i + 1 < s.length && TSPECIALS.includes(s.charAt(i + 1))) {
      value += s.charAt(i + 1);
      i++;
      continue;
    }
    if (c === 0x0d || c === 0x0a) return undefined;
    value += s.charAt(i);
  }
  return undefined;
}
