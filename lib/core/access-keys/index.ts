export { ACCESS_KEY_PREFIX, bearerToken, generateAccessKey, generateKeyId, hashAccessKey, isAccessKeyFormat, sameHash } from './keys.js';
