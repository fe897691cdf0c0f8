export { DeliveryLimits, LIMITER_TABLE_ACTIONS, type DeliveryLimitsProps } from './limits.js';
