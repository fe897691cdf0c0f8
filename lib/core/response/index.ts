export { mapSyncResult } from './sync-response.js';
export type { SyncHttpResponse } from './sync-response.js';
export { FunctionResultError, InvocationError, MALFORMED_RESPONSE_MESSAGE } from './errors.js';
export type { InvocationErrorKind, InvocationErrorOptions } from './errors.js';
export { GENERIC_INVOCATION_FAILURE, syncInvocationErrorMessage } from './messages.js';
export { sniffContentType, TEXT_HTML, TEXT_PLAIN } from './sniff.js';
export { foldJsonKey, isJsonObject, jsonTypeName, parseJsonResult } from './go-json.js';
export type { JsonParseResult } from './go-json.js';
