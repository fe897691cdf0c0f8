/** RFC 7230 token characters: the only names Go canonicalises. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const WORD_START = /(^|-)([a-z])/g;

/**
 * Go's `textproto.CanonicalMIMEHeaderKey`: the first letter and every letter after a `-` upper-cased, the rest
 * lower-cased (`x-api-key` → `X-Api-Key`). A name that is not a valid token (empty, or holding a space, `:`, a
 * non-ASCII character, …) is returned unchanged, as Go does.
 */
export function canonicalHeaderKey(name: string): string {
  if (!TOKEN.test(name)) return name;
  return name.toLowerCase().replace(WORD_START, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}

/** True when `name` can be sent as a header field name (an RFC 7230 token). */
export function isHeaderToken(name: string): boolean {
  return TOKEN.test(name);
}
