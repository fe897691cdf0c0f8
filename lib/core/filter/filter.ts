import type { JsonObject, JsonValue } from '../cloudevents/model.js';
import { compilePattern, type ObjectNode } from './compile.js';
import type { FilterError } from './errors.js';
import { explainNode, type Explanation } from './explain.js';
import { matchValue } from './match.js';

/**
 * A content filter: an EventBridge-style event pattern, checked and compiled once. `matches` is the hot path (no
 * parsing, no regular expressions, no allocation); `explain` says which fields failed and why.
 */
export class CompiledFilter {
  private constructor(
    /** The pattern as given (what the config API stores and returns). */
    readonly pattern: JsonObject,
    private readonly root: ObjectNode,
  ) {}

  /** Checks and compiles a parsed pattern; a refused pattern is a {@link FilterError} value, never a throw. */
  static compile(pattern: unknown): { ok: true; filter: CompiledFilter } | { ok: false; error: FilterError } {
    const compiled = compilePattern(pattern);
    if (!compiled.ok) return compiled;
    return { ok: true, filter: new CompiledFilter(pattern as JsonObject, compiled.root) };
  }

  /** The event in its delivered structured JSON form. */
  matches(event: JsonValue): boolean {
    return matchValue(this.root, event);
  }

  explain(event: JsonValue): Explanation {
    return explainNode(this.root, event);
  }
}

/** The filter error of a pattern, or undefined when the pattern is valid. */
export function validateFilter(pattern: unknown): FilterError | undefined {
  const compiled = compilePattern(pattern);
  return compiled.ok ? undefined : compiled.error;
}
