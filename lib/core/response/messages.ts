import { InvocationError } from './errors.js';

export const GENERIC_INVOCATION_FAILURE = 'Function call failed. Please check logs.';

const ACCESS_DENIED_MESSAGES: ReadonlyMap<string, string> = new Map([
  [
    'AccessDeniedException',
    'Function call failed with AccessDeniedException. The provided credentials do not have the required IAM ' +
      'permissions to invoke this function. Please attach the lambda:invokeFunction permission to these credentials.',
  ],
  [
    'UnrecognizedClientException',
    'Function call failed with UnrecognizedClientException. The provided credentials are invalid. Please provide ' +
      'valid credentials.',
  ],
  [
    'ExpiredTokenException',
    'Function call failed with ExpiredTokenException. The provided security token for the function has expired. ' +
      'Please provide an updated security token or provide permanent credentials.',
  ],
]);

/**
 * The message of the 500 envelope a sync client gets when its function could not be called
 * (docs/compatibility.md#sync-responses). Only the three Lambda access-denied codes get a specific text; anything else
 * (any other error, a function missing from the cache, a hook veto) gets the generic one, so no internal detail leaks.
 */
export function syncInvocationErrorMessage(error: unknown): string {
  if (error instanceof InvocationError && error.kind === 'access-denied' && error.code !== undefined) {
    return ACCESS_DENIED_MESSAGES.get(error.code) ?? GENERIC_INVOCATION_FAILURE;
  }
  return GENERIC_INVOCATION_FAILURE;
}
