import { BadRequestError } from '../errors/index.js';
import type { HeaderIndex } from './headers.js';
import { indexHeaders } from './headers.js';
import { ownEntry, setEntry } from './records.js';
import type { EventRequest, HttpRequestData, JsonValue } from './model.js';

/**
 * Go's `url.ParseQuery` (Go ≥ 1.17), as `Request.URL.Query()` uses it: pairs split on `&`, a pair holding `;` is
 * skipped, `key` and `value` query-unescaped (`+` is a space), a pair with a bad `%` escape skipped, empty pairs
 * skipped. Values are always arrays. `{}` when there is no query.
 */
export function parseQuery(rawQuery: string): { readonly [name: string]: string[] } {
  const query: Record<string, string[]> = {};
  let start = 0;
  while (rawQuery.length > 0 && start <= rawQuery.length) {
    let end = rawQuery.indexOf('&', start);
    if (end < 0) end = rawQuery.length;
    const pair = rawQuery.slice(start, end);
    start = end + 1;
    if (pair.length === 0 || pair.includes(';')) continue;
    const equals = pair.indexOf('=');
    const key = unescape(equals < 0 ? pair : pair.slice(0, equals), true);
    const value = unescape(equals < 0 ? '' : pair.slice(equals + 1), true);
    if (key === undefined || value === undefined) continue;
    const values = ownEntry(query, key);
    if (values === undefined) setEntry(query, key, [value]);
    else values.push(value);
  }
  for (const key of Object.keys(query)) Object.freeze(query[key]);
  return Object.freeze(query);
}

/**
 * The decoded path (Go's `URL.Path`): `%XX` escapes decoded, `+` kept. A bad escape is a 400 with Go's
 * `invalid URL escape "%zz"` (Go's server refuses such a request line before any handler runs).
 */
export function decodePath(rawPath: string): string {
  const decoded = unescape(rawPath, false);
  if (decoded !== undefined) return decoded;
  const at = badEscapeAt(rawPath);
  throw new BadRequestError(`invalid URL escape ${JSON.stringify(rawPath.slice(at, at + 3))}`);
}

/**
 * The `http.request` data object (docs/compatibility.md#http-request-events) with `params: null`. `body` is the already
 * normalised body. Pass the request's {@link HeaderIndex} when it exists, to index the headers only once.
 */
export function httpRequestData(request: EventRequest, body: JsonValue, headers?: HeaderIndex): HttpRequestData {
  const index = headers ?? indexHeaders(request.rawHeaders);
  return Object.freeze({
    headers: index.flat,
    query: parseQuery(request.rawQuery),
    body,
    host: index.host,
    path: decodePath(request.rawPath),
    method: request.method,
    params: null,
  });
}

/**
 * The `request` of an authorizer payload (docs/compatibility.md#authorizers): the http.request data object
 * (docs/compatibility.md#http-request-events) with `body` and `params` both `null`.
 */
export function authorizerRequestData(request: EventRequest, headers?: HeaderIndex): HttpRequestData {
  return httpRequestData(request, null, headers);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function unhex(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

function badEscapeAt(s: string): number {
  for (let i = s.indexOf('%'); i >= 0; i = s.indexOf('%', i + 1)) {
    if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return i;
    i += 2;
  }
  return -1;
}

/**
 * Go's `unescape` in path or query-component mode: `%XX` becomes a byte, the bytes are read as UTF-8 (invalid
 * sequences become U+FFFD, as Go's JSON encoder writes them). `undefined` on a bad escape.
 */
function unescape(s: string, plusIsSpace: boolean): string | undefined {
  if (s.indexOf('%') < 0 && (!plusIsSpace || s.indexOf('+') < 0)) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const h1 = s.charCodeAt(i + 1);
      const h2 = s.charCodeAt(i + 2);
      if (!isHex(h1) || !isHex(h2)) return undefined;
      bytes.push((unhex(h1) << 4) | unhex(h2));
      i += 2;
    } else if (c === 0x2b && plusIsSpace) {
      bytes.push(0x20);
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      const codePoint = s.codePointAt(i) as number;
      if (codePoint > 0xffff) i++;
      for (const byte of Buffer.from(String.fromCodePoint(codePoint), 'utf8')) bytes.push(byte);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
