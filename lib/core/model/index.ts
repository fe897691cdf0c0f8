export * from './types.js';
export { corsId, pathEscape, subscriptionId, type SubscriptionKey } from './ids.js';
export {
  BodyDecodeError,
  isGoUrl,
  MAX_ID_LENGTH,
  DEFAULT_MODEL_LIMITS,
  type ModelLimits,
  MAX_RETRY_ATTEMPTS,
  MAX_TIMEOUT_MS,
  parseCors,
  parseEventType,
  parseFunction,
  parseSubscription,
} from './parse.js';
export { mergeSecrets, PROVIDER_KEYS, SECRET_MARKER, toJson } from './serialize.js';
export {
  AUTH_SECRET_MARKER,
  GOOGLE_TOKEN_URI,
  HTTP_AUTH_TYPES,
  HttpAuthError,
  httpAuthJson,
  httpAuthSecrets,
  mergeAuthSecrets,
  parseHttpAuth,
  type AwsSigV4Auth,
  type BasicAuth,
  type GoogleIdTokenAuth,
  type HttpAuth,
  type HttpAuthType,
  type OAuth2Auth,
  type ServiceAccountKey,
} from './auth.js';
