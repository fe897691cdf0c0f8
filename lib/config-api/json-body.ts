import { BadRequestError } from '../core/errors/index.js';

/** A request body that must be one JSON object; anything else is a 400 with `refusal` as its message. */
export function jsonObjectBody(body: string, refusal: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequestError(refusal);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadRequestError(refusal);
  return parsed as Record<string, unknown>;
}
