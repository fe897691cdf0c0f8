import { COLON, PERCENT, SLASH, isAlpha, isDigit, isHex } from '../ascii.js';
/** The CloudEvents 1.0 URI rules. The 0.1 rule of the original is Go's: {@link isGoValidatorUri} in lib/core/go. */

/**
 * CloudEvents 1.0 `URI-reference` (RFC 3986 §4.1), checked leniently on characters: non-empty, no control
 * characters, spaces or `"<>\^`{|}`, `%` followed by two hex digits, at most one `#`, and a `:` before the first
 * `/`, `?` or `#` only after a valid scheme. Non-ASCII characters are let through (IRIs are common in the wild).
 */
export function isUriReference(value: string): boolean {
  return value.length > 0 && schemeKind(value) !== 'invalid' && hasOnlyUriChars(value);
}

/** CloudEvents 1.0 `URI`: a {@link isUriReference} that starts with a scheme. */
export function isAbsoluteUri(value: string): boolean {
  return value.length > 0 && schemeKind(value) === 'scheme' && hasOnlyUriChars(value);
}

/** Whether a `:` before the first `/`, `?` or `#` follows a valid RFC 3986 scheme. */
function schemeKind(s: string): 'scheme' | 'none' | 'invalid' {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === COLON) return i === 0 ? 'invalid' : 'scheme';
    if (c === SLASH || c === 0x3f || c === 0x23) return 'none';
    if (isAlpha(c)) continue;
    if (i > 0 && (isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e)) continue;
    // Not a scheme character: a later ':' still sits in the first segment, which RFC 3986 forbids.
    const colon = s.indexOf(':', i);
    if (colon < 0) return 'none';
    const delimiter = firstOf(s, i, '/?#');
    return delimiter >= 0 && delimiter < colon ? 'none' : 'invalid';
  }
  return 'none';
}

function firstOf(s: string, from: number, chars: string): number {
  for (let i = from; i < s.length; i++) if (chars.includes(s.charAt(i))) return i;
  return -1;
}

const FORBIDDEN_ASCII = ' "<>\\^`{|}';

function hasOnlyUriChars(s: string): boolean {
  let hashes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
    if (c >= 0x80) continue;
    if (c === PERCENT) {
      if (!isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
      i += 2;
      continue;
    }
    if (c === 0x23 && ++hashes > 1) return false;
    if (FORBIDDEN_ASCII.includes(s.charAt(i))) return false;
  }
  return true;
}
