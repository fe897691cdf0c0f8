export { GatewayMetrics, IntakeLoad } from './metrics.js';
export { createLogger, type Logger, type LogFormat, type LoggerOptions } from './logger.js';
