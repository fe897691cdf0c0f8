import { canonicalHeaderKey } from '../go/index.js';
import { ownEntry, setEntry } from './records.js';

/**
 * Request headers as Go's net/http presents them: names in `textproto.CanonicalMIMEHeaderKey` form, several lines
 * with the same canonical name kept together, `Header.Get` returning the first value.
 */

/** Flattened request headers: canonical name → values joined with `", "`. */
export type FlatHeaders = { readonly [name: string]: string };

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
  const flat: Record<string, string> = {};
  let firsts: Record<string, string> | undefined;
  let host: string | undefined;
  const end = rawHeaders.length - (rawHeaders.length % 2);
  for (let i = 0; i < end; i += 2) {
    const name = canonicalHeaderKey(rawHeaders[i] as string);
    const value = headerValueText(rawHeaders[i + 1] as string);
    if (name === 'Host') {
      if (host === undefined) host = value;
      continue;
    }
    if (name === 'Transfer-Encoding') continue;
    // Canonical names never equal an Object.prototype member except `__proto__`, which takes the slow path.
    const previous = name === '__proto__' ? ownEntry(flat, name) : flat[name];
    if (previous === undefined) {
      setEntry(flat, name, value);
    } else {
      firsts ??= {};
      if (ownEntry(firsts, name) === undefined) setEntry(firsts, name, previous);
      setEntry(flat, name, `${previous}, ${value}`);
    }
  }
  return { flat: Object.freeze(flat), firsts, host: host ?? '' };
}

/**
 * Node hands header values over as latin1 (one char per byte); Go reads the same bytes as a UTF-8 string. Values
 * with bytes ≥ 0x80 are re-decoded as UTF-8 (invalid sequences become U+FFFD, as Go's JSON encoder writes them).
 * A string with a char above U+00FF did not come from bytes and is kept.
 * Hot path: one scan of each value; ASCII values return unchanged.
 */
export function headerValueText(value: string): string {
  let high = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff) return value;
    if (c > 0x7f) high = true;
  }
  return high ? Buffer.from(value, 'latin1').toString('utf8') : value;
}

/** Go's `Header.Get` for a canonical name: the first value, '' when absent. */
export function firstHeader(index: HeaderIndex, canonicalName: string): string {
  const firsts = index.firsts;
  if (firsts !== undefined && Object.hasOwn(firsts, canonicalName)) return firsts[canonicalName] as string;
  return ownEntry(index.flat, canonicalName) ?? '';
}
