/**
 * Function-level delivery limits (docs/limits.md): `rateLimit.perSecond` and `maxConcurrency`, on every function type.
 * Checked here as the config API received them (plain JSON); `null` is the same as leaving a field out.
 */

/** Calls started per second on average, with bursts of up to one second's worth. */
export interface RateLimit {
  perSecond: number;
}

/** The smallest rate: one call every 100 s. Slower than that is better served by a schedule than a limit. */
export const MIN_PER_SECOND = 0.01;
export const MAX_PER_SECOND = 100_000;
export const MAX_CONCURRENCY = 100_000;

export interface ParsedFunctionLimits {
  rateLimit?: RateLimit;
  maxConcurrency?: number;
}

/** Invalid limits: one line per problem, each naming the field (`rateLimit.perSecond: …`). */
export class FunctionLimitsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'FunctionLimitsError';
  }
}

/** Validates `rateLimit` and `maxConcurrency`; throws {@link FunctionLimitsError} naming every bad field. */
export function parseFunctionLimits(rateLimit: unknown, maxConcurrency: unknown): ParsedFunctionLimits {
  const problems: string[] = [];
  const out: ParsedFunctionLimits = {};
  if (rateLimit !== undefined && rateLimit !== null) {
    if (typeof rateLimit !== 'object' || Array.isArray(rateLimit)) {
      problems.push(`rateLimit: must be an object like {"perSecond": 10}, not ${describe(rateLimit)}`);
    } else {
      const fields = rateLimit as Record<string, unknown>;
      for (const key of Object.keys(fields)) {
        if (key !== 'perSecond') problems.push(`rateLimit.${key}: not a field of rateLimit (fields: perSecond)`);
      }
      const perSecond = fields.perSecond;
      if (perSecond === undefined || perSecond === null) problems.push('rateLimit.perSecond: required');
      else if (typeof perSecond !== 'number' || !(perSecond >= MIN_PER_SECOND && perSecond <= MAX_PER_SECOND)) {
        problems.push(`rateLimit.perSecond: must be a number from ${MIN_PER_SECOND} to ${MAX_PER_SECOND}, not ${describe(perSecond)}`);
      } else out.rateLimit = { perSecond };
    }
  }
  if (maxConcurrency !== undefined && maxConcurrency !== null) {
    if (typeof maxConcurrency !== 'number' || !Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > MAX_CONCURRENCY) {
      problems.push(`maxConcurrency: must be a whole number from 1 to ${MAX_CONCURRENCY}, not ${describe(maxConcurrency)}`);
    } else out.maxConcurrency = maxConcurrency;
  }
  if (problems.length > 0) throw new FunctionLimitsError(problems);
  return out;
}

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : `an ${typeof value}`;
}
