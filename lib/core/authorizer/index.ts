export { authorizerPayload } from './payload.js';
export { parseAuthorizerResult } from './result.js';
export type { Authorization, AuthorizerDecision, HttpRequestData } from './types.js';
