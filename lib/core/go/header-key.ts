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
 * Go's `textproto.CanonicalMIMEHeaderKey`: the first letter and every letter after a `-` upper-cased, the rest
 * lower-cased (`x-api-key` → `X-Api-Key`). A name that is not a valid token (empty, or holding a space, `:`, a
 * non-ASCII character, …) is returned unchanged, as Go does.
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

/** True when `name` can be sent as a header field name (a non-empty RFC 7230 token). */
export function isHeaderToken(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TOKEN_CHAR[c] === 0) return false;
  }
  return true;
}
