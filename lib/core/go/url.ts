import { COLON, PERCENT, SLASH, isAlpha, isDigit, isHex } from '../ascii.js';
/**
 * Go's URL rules, for the 0.1 `source` attribute of the original (go-playground/validator v9 `uri`, i.e. Go's
 * `url.ParseRequestURI` after dropping a `#fragment`).
 */

/**
 * validator v9 `uri`: the part before the first `#` must be non-empty and pass Go's `url.ParseRequestURI`:
 * an absolute URI with a scheme (`https://…`, `urn:…`) or an absolute path (`/services/users`), no control bytes,
 * a well-formed authority (host characters, numeric port, `%XX` only for non-ASCII bytes) and valid `%XX` escapes.
 * `NOT URI` and `myapp` fail.
 */
export function isGoValidatorUri(value: string): boolean {
  const hash = value.indexOf('#');
  const s = hash < 0 ? value : value.slice(0, hash);
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  if (s === '*') return true;

  const schemeLength = goSchemeLength(s);
  if (schemeLength === 0) return false; // leading ':' is "missing protocol scheme"
  let rest = schemeLength < 0 ? s : s.slice(schemeLength + 1);
  const query = rest.indexOf('?');
  if (query >= 0) rest = rest.slice(0, query);

  if (rest.charCodeAt(0) !== SLASH) return schemeLength > 0; // opaque (`urn:x`) with a scheme; else not a request URI
  if (schemeLength > 0 && rest.charCodeAt(1) === SLASH) {
    const pathStart = rest.indexOf('/', 2);
    const authority = pathStart < 0 ? rest.slice(2) : rest.slice(2, pathStart);
    if (!isGoAuthority(authority)) return false;
    rest = pathStart < 0 ? '' : rest.slice(pathStart);
  }
  return hasValidEscapes(rest);
}

function unhex(c: number): number {
  if (isDigit(c)) return c - 0x30;
  return (c | 0x20) - 0x57;
}

/** Go's `getScheme`: the scheme's length, -1 when there is none, 0 for a leading `:`. */
function goSchemeLength(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isAlpha(c)) continue;
    if (isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e) {
      if (i === 0) return -1;
      continue;
    }
    if (c === COLON) return i;
    return -1;
  }
  return -1;
}

/** Every `%` starts a `%XX` escape (Go's `unescape` in path mode). */
function hasValidEscapes(s: string): boolean {
  for (let i = s.indexOf('%'); i >= 0; i = s.indexOf('%', i + 1)) {
    if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
  }
  return true;
}

/** Go's `parseAuthority`: `[userinfo@]host[:port]`. */
function isGoAuthority(authority: string): boolean {
  const at = authority.lastIndexOf('@');
  const host = at < 0 ? authority : authority.slice(at + 1);
  if (!isGoHost(host)) return false;
  if (at < 0) return true;
  const userinfo = authority.slice(0, at);
  for (let i = 0; i < userinfo.length; i++) {
    const c = userinfo.charCodeAt(i);
    if (isAlpha(c) || isDigit(c) || USERINFO_MARKS.includes(userinfo.charAt(i))) continue;
    return false;
  }
  return hasValidEscapes(userinfo);
}

const USERINFO_MARKS = "-._:~!$&'()*+,;=%@";
// Characters Go's `shouldEscape` lets through in a host besides letters and digits.
const HOST_MARKS = "-_.~!$&'()*+,;=:[]<>\"";

function isGoHost(host: string): boolean {
  if (host.charCodeAt(0) === 0x5b) {
    const close = host.lastIndexOf(']');
    if (close < 0 || !isPort(host.slice(close + 1))) return false;
    const zone = host.slice(0, close).indexOf('%25');
    if (zone >= 0) {
      return isGoHostPart(host.slice(0, zone)) && isGoZone(host.slice(zone, close)) && isGoHostPart(host.slice(close));
    }
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && !isPort(host.slice(colon))) return false;
  }
  return isGoHostPart(host);
}

/** `""` or `:` followed by digits only. */
function isPort(s: string): boolean {
  if (s.length === 0) return true;
  if (s.charCodeAt(0) !== COLON) return false;
  for (let i = 1; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/** Go's `unescape(s, encodeHost)`: `%XX` only for bytes ≥ 0x80 (or `%25`), ASCII limited to host characters. */
function isGoHostPart(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === PERCENT) {
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
      if (unhex(s.charCodeAt(i + 1)) < 8 && s.slice(i, i + 3) !== '%25') return false;
      i += 2;
      continue;
    }
    if (c < 0x80 && !isAlpha(c) && !isDigit(c) && !HOST_MARKS.includes(s.charAt(i))) return false;
  }
  return true;
}

/** Go's `unescape(s, encodeZone)`: escapes may only stand for host characters (or a space). */
function isGoZone(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === PERCENT) {
      const h1 = s.charCodeAt(i + 1);
      const h2 = s.charCodeAt(i + 2);
      if (!isHex(h1) || !isHex(h2)) return false;
      const byte = (unhex(h1) << 4) | unhex(h2);
      const allowed =
        s.slice(i, i + 3) === '%25' ||
        byte === 0x20 ||
        byte >= 0x80 ||
        isAlpha(byte) ||
        isDigit(byte) ||
        HOST_MARKS.includes(String.fromCharCode(byte));
      if (!allowed) return false;
      i += 2;
      continue;
    }
    if (c < 0x80 && !isAlpha(c) && !isDigit(c) && !HOST_MARKS.includes(s.charAt(i))) return false;
  }
  return true;
}
