/**
 * `POST /v1/spaces/{space}/filters/test` (the explain endpoint of content filters): `{"pattern": …, "event": …}` →
 * `{"match": true}` or `{"match": false, "mismatches": [{path, expected, actual}, …]}`. The pattern is checked by the
 * same compiler as a subscription's `filter`, so an invalid pattern gets the same sentence, naming the same path.
 */
import { BadRequestError } from '../core/errors/index.js';
import { CompiledFilter, FilterValidationError, type Explanation } from '../core/filter/index.js';
import { jsonObjectBody } from './json-body.js';

/** Compiles a pattern or throws the 400 a client sees. */
export function compileFilterOrThrow(pattern: unknown, prefix = ''): CompiledFilter {
  const compiled = CompiledFilter.compile(pattern);
  if (!compiled.ok) throw new FilterValidationError(compiled.error, prefix);
  return compiled.filter;
}

/** Answers one explain request; a body that is not `{"pattern": object, "event": JSON}` is a 400. */
export function testFilter(body: string): Explanation {
  const { pattern, event } = jsonObjectBody(body, 'the body must be a JSON object: {"pattern": {…}, "event": {…}}');
  if (pattern === undefined) throw new BadRequestError('"pattern" is required');
  if (event === undefined) throw new BadRequestError('"event" is required: the event as it would be delivered');
  return compileFilterOrThrow(pattern).explain(event as Parameters<CompiledFilter['explain']>[0]);
}
