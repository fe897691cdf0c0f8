/**
 * A route that cannot join a path tree. The message is the exact docs/compatibility.md#path-conflicts text; the config
 * API wraps it as `Subscription path conflict: <message>`.
 */
export class PathConflictError extends Error {
  /** The route that was refused, as given to `insert`. */
  readonly route: string;

  constructor(message: string, route: string) {
    super(message);
    this.name = 'PathConflictError';
    this.route = route;
  }
}

export function duplicateRouteError(route: string): PathConflictError {
  return new PathConflictError(`route ${route} conflicts with existing route`, route);
}

export function parameterConflictError(existingName: string, route: string): PathConflictError {
  return new PathConflictError(
    `parameter with different name (${strconvQuote(existingName)}) already defined: for route: ${route}`,
    route,
  );
}

export function staticConflictError(route: string): PathConflictError {
  return new PathConflictError(`static route already defined for route: ${route}`, route);
}

/** `existingName` is "" when the sibling in the way is static: the original printed a static node's empty name. */
export function wildcardConflictError(existingName: string, route: string): PathConflictError {
  return new PathConflictError(
    `wildcard with different name (${strconvQuote(existingName)}) already defined: for route: ${route}`,
    route,
  );
}

export function wildcardNotLastError(route: string): PathConflictError {
  return new PathConflictError('wildcard must be the last parameter', route);
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/**
 * Go's `%q` for a string (strconv.Quote), so names with quotes or control characters print as the original did.
 * Go has no lone surrogates (its JSON decoder turns them into U+FFFD), so they print as U+FFFD.
 */
function strconvQuote(text: string): string {
  let quoted = '"';
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') {
      quoted += `\\${char}`;
    } else if (codePoint >= 0xd800 && codePoint <= 0xdfff) {
      quoted += '\ufffd';
    } else if (PRINTABLE.test(char)) {
      quoted += char;
    } else if (SHORT_ESCAPES[char] !== undefined) {
      quoted += SHORT_ESCAPES[char];
    } else if (codePoint < 0x20 || codePoint === 0x7f) {
      quoted += `\\x${hex(codePoint, 2)}`;
    } else if (codePoint < 0x10000) {
      quoted += `\\u${hex(codePoint, 4)}`;
    } else {
      quoted += `\\U${hex(codePoint, 8)}`;
    }
  }
  return `${quoted}"`;
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0');
}
