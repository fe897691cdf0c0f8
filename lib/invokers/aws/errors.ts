import { InvocationError, type InvocationErrorKind } from '../../core/response/index.js';
import { parseRetryAfter } from '../http/index.js';
import { transportErrorText } from '../http/http-call.js';

/** The parts of an SDK v3 service exception (an error the AWS service answered with) read here. */
export interface AwsServiceError extends Error {
  $fault: 'client' | 'server';
  $response?: { headers?: Record<string, string | undefined> };
}

/** A service's answer, as opposed to a transport failure (which has no `$fault`). */
export function isAwsServiceError(error: unknown): error is AwsServiceError {
  return error instanceof Error && typeof (error as { $fault?: unknown }).$fault === 'string';
}

/** The original's `<orig>` text for an AWS error (Go's `awserr`: `Code: message`). */
export function awsErrorDetail(error: AwsServiceError): string {
  return error.message && error.message !== error.name ? `${error.name}: ${error.message}` : error.name;
}

/**
 * Any failure of an SDK call as an `InvocationError`: ours pass through; a service error gets the class
 * `kindOf(code)` chooses, its code and the `Retry-After` it sent (Lambda's throttling does); anything else
 * (connection refused, a reset, …) is 'call-failed' with the transport's text.
 */
export function toInvocationError(error: unknown, kindOf: (code: string) => InvocationErrorKind): InvocationError {
  if (error instanceof InvocationError) return error;
  if (isAwsServiceError(error)) {
    const retryAfterMs = parseRetryAfter(error.$response?.headers?.['retry-after']);
    return new InvocationError(kindOf(error.name), awsErrorDetail(error), {
      cause: error,
      code: error.name,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  return new InvocationError('call-failed', transportErrorText(error), { cause: error });
}

const LAMBDA_ERROR_KINDS: ReadonlyMap<string, InvocationErrorKind> = new Map([
  ['AccessDeniedException', 'access-denied'],
  ['ExpiredTokenException', 'access-denied'],
  ['UnrecognizedClientException', 'access-denied'],
  ['ServiceException', 'provider-error'],
]);

/**
 * docs/compatibility.md#function-types for Lambda: the three access-denied codes, `ServiceException` a provider error,
 * the rest "call failed".
 */
export function lambdaErrorKind(code: string): InvocationErrorKind {
  return LAMBDA_ERROR_KINDS.get(code) ?? 'call-failed';
}
