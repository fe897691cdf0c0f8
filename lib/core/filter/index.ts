export { CompiledFilter, validateFilter } from './filter.js';
export { FILTER_LIMITS, FilterValidationError } from './errors.js';
export type { FilterError, FilterErrorCode } from './errors.js';
export type { Explanation, Mismatch } from './explain.js';
