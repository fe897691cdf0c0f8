import { InternalError } from '../errors/index.js';

export const MALFORMED_RESPONSE_MESSAGE = 'HTTP response object malformed';

/**
 * A sync function returned something that is not an HTTP response object (docs/compatibility.md#sync-responses). The
 * client sees a 500 with the fixed message; `detail` says what was wrong, for the logs only.
 */
export class FunctionResultError extends InternalError {
  readonly detail: string;

  constructor(detail: string, options?: ErrorOptions) {
    super(MALFORMED_RESPONSE_MESSAGE, options);
    this.detail = detail;
  }
}

export type InvocationErrorKind = 'call-failed' | 'access-denied' | 'provider-error' | 'function-error' | 'timeout';

export interface InvocationErrorOptions extends ErrorOptions {
  /** The AWS error code (`AccessDeniedException`, `ServiceException`, …) when the provider is an AWS service. */
  code?: string;
  /** The HTTP status the function answered with, for http functions. */
  status?: number;
  /** A `Retry-After` the function or service asked for, in milliseconds. */
  retryAfterMs?: number;
}

// The original's error texts (docs/compatibility.md#function-types); a timeout is a transport failure there, so it
// reads as "call failed".
const MESSAGE_PREFIX: Readonly<Record<InvocationErrorKind, string>> = {
  'call-failed': 'Function call failed. Error: ',
  timeout: 'Function call failed. Error: ',
  'access-denied': 'Function access denied. Error: ',
  'provider-error': 'Function call failed because of provider error. Error: ',
  'function-error': 'Function call failed because of runtime error. Error: ',
};

/**
 * A failed function invocation, thrown by every invoker. The message is the original's text for its class (used in
 * logs and the `invocationFailed` system event, never sent to clients verbatim; see `syncInvocationErrorMessage`).
 */
export class InvocationError extends Error {
  readonly kind: InvocationErrorKind;
  /** The underlying error's text, without the class prefix (`HTTP status code: 500`, a socket error, …). */
  readonly detail: string;
  readonly code: string | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(kind: InvocationErrorKind, detail: string, options: InvocationErrorOptions = {}) {
    super(MESSAGE_PREFIX[kind] + detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InvocationError';
    this.kind = kind;
    this.detail = detail;
    this.code = options.code;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}
