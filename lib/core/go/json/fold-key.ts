/**
 * Folds a JSON object key the way Go's encoding/json matches keys to struct fields: case-insensitively, where `ſ`
 * (U+017F) counts as `s` and the Kelvin sign (U+212A) as `k` (`toLowerCase` already maps the Kelvin sign).
 * Compare only with an ASCII field name folded the same way (`foldJsonKey('StatusCode') === 'statuscode'`): no other
 * non-ASCII character folds to an ASCII letter, so none can match.
 * Hot path: one `toLowerCase` per key.
 */
export function foldJsonKey(key: string): string {
  const lower = key.toLowerCase();
  return lower.includes('\u017f') ? lower.replaceAll('\u017f', 's') : lower;
}

/** Whether `key` selects the field named `name`: Go's `bytes.EqualFold` for ASCII field names. */
export function jsonKeyMatches(key: string, name: string): boolean {
  return key === name || foldJsonKey(key) === foldJsonKey(name);
}
