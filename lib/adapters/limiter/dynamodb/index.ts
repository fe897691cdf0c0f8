export { DynamoLimiter, type DynamoLimiterOptions, type DynamoLimiterStats } from './limiter.js';
export { LIMITS_PARTITION_KEY, LIMITS_TTL_ATTRIBUTE, ensureLimitsTable, limitsTableInput, limitsTableName } from './table.js';
