export { InProcessLimiter, type InProcessLimiterOptions } from './in-process.js';
