/**
 * The `wildcard` operator, compiled to literal segments so that matching is `startsWith`, `endsWith` and `indexOf`:
 * no regular expression. `*` matches any run of characters (none included); `\*` is a literal star and `\\` a
 * literal backslash. Two `*` in a row, and a backslash before anything else, are refused, as EventBridge does.
 */

/** The text between unescaped stars: one segment means no star at all. */
export type WildcardSegments = readonly string[];

/** The segments, or the reason the pattern is refused. */
export function parseWildcard(pattern: string): { segments: WildcardSegments } | { error: string } {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') return { error: 'a backslash may only escape "*" or "\\"' };
      current += next;
      i++;
    } else if (c === '*') {
      if (pattern[i + 1] === '*') return { error: 'consecutive "*" characters are not allowed' };
      segments.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  segments.push(current);
  return { segments };
}

export function matchWildcard(segments: WildcardSegments, value: string): boolean {
  const last = segments.length - 1;
  if (last === 0) return value === segments[0];
  const head = segments[0]!;
  const tail = segments[last]!;
  if (value.length < head.length + tail.length || !value.startsWith(head) || !value.endsWith(tail)) return false;
  // Middle segments, leftmost first: with `*` as the only wildcard, the earliest fit never loses a match.
  let from = head.length;
  const end = value.length - tail.length;
  for (let i = 1; i < last; i++) {
    const segment = segments[i]!;
    const at = value.indexOf(segment, from);
    if (at < 0 || at + segment.length > end) return false;
    from = at + segment.length;
  }
  return true;
}
