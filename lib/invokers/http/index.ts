export {
  DEFAULT_CONNECTIONS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  HttpInvoker,
  httpResultError,
} from './http-invoker.js';
export type { HttpInvokerOptions } from './http-invoker.js';
export { parseRetryAfter } from './retry-after.js';
