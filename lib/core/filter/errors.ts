import { BadRequestError, type ErrorEnvelope } from '../errors/index.js';

/** The limits of one pattern. A pattern beyond one of them is refused with an error that names the limit. */
export const FILTER_LIMITS = Object.freeze({
  /** UTF-8 bytes of the pattern's compact JSON text. */
  maxBytes: 4096,
  /** Field names on the longest path from the pattern's root to a leaf (`data.amount` is 2). */
  maxDepth: 10,
  /** Elements of any one array in the pattern (a field's values, an anything-but list, a `$or`). */
  maxArrayValues: 100,
});

/** Why a pattern was refused: `invalid` for a rule of the language, the others for a limit. */
export type FilterErrorCode = 'invalid' | 'too-large' | 'too-deep' | 'too-many-values';

/**
 * A refused pattern, as a value. `path` locates the offence inside the pattern (`data.amount[0].numeric`, or '' for
 * the pattern itself); `message` is the whole sentence a client sees.
 */
export interface FilterError {
  readonly code: FilterErrorCode;
  readonly path: string;
  /** The limit that was exceeded, for the codes other than `invalid`. */
  readonly limit?: number;
  readonly message: string;
}

export function filterError(path: string, problem: string): FilterError {
  return { code: 'invalid', path, message: `invalid filter${at(path)}: ${problem}` };
}

export function tooLargeError(bytes: number): FilterError {
  const limit = FILTER_LIMITS.maxBytes;
  return { code: 'too-large', path: '', limit, message: `invalid filter: the pattern is ${bytes} bytes, over the limit of ${limit} bytes` };
}

export function tooDeepError(path: string): FilterError {
  const limit = FILTER_LIMITS.maxDepth;
  return { code: 'too-deep', path, limit, message: `invalid filter${at(path)}: the pattern is nested more than ${limit} levels deep` };
}

export function tooManyValuesError(path: string, count: number): FilterError {
  const limit = FILTER_LIMITS.maxArrayValues;
  return {
    code: 'too-many-values',
    path,
    limit,
    message: `invalid filter${at(path)}: ${count} values in one array, over the limit of ${limit}`,
  };
}

function at(path: string): string {
  return path === '' ? '' : ` at "${path}"`;
}

/**
 * A refused pattern as the 400 a client sees: `prefix` + the filter error's sentence, and the envelope's one error
 * also carries the path and, for a limit, the limit.
 */
export class FilterValidationError extends BadRequestError {
  constructor(
    readonly filterError: FilterError,
    prefix = '',
  ) {
    super(prefix + filterError.message);
  }

  override toBody(): ErrorEnvelope {
    const { path, limit } = this.filterError;
    const error = { message: this.message, path, ...(limit !== undefined ? { limit } : {}) };
    return { errors: [error] };
  }
}
