export { Authenticators } from './authenticators.js';
export type {
  AuthDependencies,
  AuthenticatedFunction,
  Authenticator,
  OutgoingCall,
  TokenFetchListener,
} from './authenticator.js';
export { defaultAwsCredentials } from './aws-sigv4.js';
export type { AwsCredentialsProvider } from './aws-sigv4.js';
export { DEFAULT_TOKEN_LIFETIME_MS, MAX_RENEW_MARGIN_MS, RENEW_MARGIN_SHARE, CachedToken, renewAt } from './token-cache.js';
export type { IssuedToken } from './token-cache.js';
export { DEFAULT_TOKEN_TIMEOUT_MS, TokenFetchError } from './token-endpoint.js';
export type { TokenEndpointClient, TokenFetchOutcome } from './token-endpoint.js';
export { callAuthenticated } from './authenticated-call.js';
export type { SendCall } from './authenticated-call.js';
