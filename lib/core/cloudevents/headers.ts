/**
 * Request headers as Go's net/http presents them: names in `textproto.CanonicalMIMEHeaderKey` form, several lines
 * with the same canonical name kept together, `Header.Get` returning the first value.
 */

/** Flattened request headers: canonical name → values joined with `", "`. A prototype-less object. */
export type FlatHeaders = { readonly [name: string]: string };

/** RFC 7230 `tchar`: the bytes Go accepts in a header name it canonicalises. */
const TOKEN_CHAR: Uint8Array = (() => {
  const table = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  for (const c of "!#$%&'*+-.^_`|~") table[c.charCodeAt(0)] = 1;
  return table;
})();

const CACHE_LIMIT = 512;
// Header names repeat across requests; the bound keeps attacker-chosen names from growing it without limit.
const canonicalCache = new Map<string, string>();

/**
 * Go's `textproto.CanonicalMIMEHeaderKey`: upper-case the first letter and each letter after `-`, lower-case the
 * rest. A name holding any byte that is not a token character is returned unchanged.
 * Hot path: runs for every header of every request; already-canonical names return without allocating.
 */
export function canonicalHeaderKey(name: string): string {
  let upper = true;
  let canonical = true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TOKEN_CHAR[c] === 0) return name;
    if (canonical && ((upper && c >= 0x61 && c <= 0x7a) || (!upper && c >= 0x41 && c <= 0x5a))) canonical = false;
    upper = c === 0x2d;
  }
  if (canonical) return name;
  const cached = canonicalCache.get(name);
  if (cached !== undefined) return cached;
  let out = '';
  upper = true;
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (upper && c >= 0x61 && c <= 0x7a) c -= 0x20;
    else if (!upper && c >= 0x41 && c <= 0x5a) c += 0x20;
    out += String.fromCharCode(c);
    upper = c === 0x2d;
  }
  if (canonicalCache.size < CACHE_LIMIT) canonicalCache.set(name, out);
  return out;
}

/** The request headers, indexed once per request. */
export interface HeaderIndex {
  /** Every header except `Host` and `Transfer-Encoding` (Go's server moves both out of `Request.Header`). */
  readonly flat: FlatHeaders;
  /** First value of each name that occurred more than once; `undefined` when no name repeats (the usual case). */
  readonly firsts: { readonly [name: string]: string } | undefined;
  /** The first `Host` header ('' when absent), as Go's `Request.Host`. */
  readonly host: string;
}

/**
 * Indexes Node's `rawHeaders` (`[name, value, name, value, …]`) in one pass.
 * Hot path: one canonicalisation and one property write per header line.
 */
export function indexHeaders(rawHeaders: readonly string[]): HeaderIndex {
  const flat: Record<string, string> = Object.create(null) as Record<string, string>;
  let firsts: Record<string, string> | undefined;
  let host: string | undefined;
  const end = rawHeaders.length - (rawHeaders.length % 2);
  for (let i = 0; i < end; i += 2) {
    const name = canonicalHeaderKey(rawHeaders[i] as string);
    const value = rawHeaders[i + 1] as string;
    if (name === 'Host') {
      if (host === undefined) host = value;
      continue;
    }
    if (name === 'Transfer-Encoding') continue;
    const previous = flat[name];
    if (previous === undefined) {
      flat[name] = value;
    } else {
      firsts ??= Object.create(null) as Record<string, string>;
      if (firsts[name] === undefined) firsts[name] = previous;
      flat[name] = `${previous}, ${value}`;
    }
  }
  return { flat, firsts, host: host ?? '' };
}

/** Go's `Header.Get` for a canonical name: the first value, '' when absent. */
export function firstHeader(index: HeaderIndex, canonicalName: string): string {
  return index.firsts?.[canonicalName] ?? index.flat[canonicalName] ?? '';
}
