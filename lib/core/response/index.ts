export { mapSyncResult } from './sync-response.js';
export type { SyncHttpResponse } from './sync-response.js';
export { FunctionResultError, InvocationError, MALFORMED_RESPONSE_MESSAGE } from './errors.js';
export type { InvocationErrorKind, InvocationErrorOptions } from './errors.js';
export { GENERIC_INVOCATION_FAILURE, syncInvocationErrorMessage } from './messages.js';
