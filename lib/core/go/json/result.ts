export type JsonParseResult = { ok: true; value: unknown } | { ok: false; reason: string };

/** Parses a function's result bytes as one JSON document (invalid UTF-8 becomes U+FFFD, as in Go). */
export function parseJsonResult(result: Buffer | string): JsonParseResult {
  const text = typeof result === 'string' ? result : result.toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    // Only a failed parse can be an empty result: JSON.parse accepts no blank text.
    if (text.trim() === '') return { ok: false, reason: 'result is empty' };
    return { ok: false, reason: `result is not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON type names as Go's decoder reports them in type errors. */
export function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value;
}
