export {
  DEFAULT_CONNECTIONS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  HttpInvoker,
  httpResultError,
} from './http-invoker.js';
export type { HttpInvokerOptions } from './http-invoker.js';
export type { RefusedListener } from './http-call.js';
export { parseRetryAfter } from './retry-after.js';
export {
  Cidr,
  InvalidCidrError,
  STRICT_TARGET_POLICY,
  SsrfRefusedError,
  guardedLookup,
  isAddressAllowed,
  normaliseHostLiteral,
  parseCidrList,
  targetPolicyFromFlags,
} from './ssrf-guard.js';
export type { AddressDecision, LookupRefusedListener, TargetPolicy } from './ssrf-guard.js';
