import type { Authenticator } from './authenticator.js';
import type { CachedToken } from './token-cache.js';

const BEARER = 'Bearer ';

/** `Authorization: Bearer <token>` from a cached token; a 401 drops the token that was refused. */
export function bearerAuthenticator(token: CachedToken): Authenticator {
  return {
    async headersFor() {
      return { authorization: BEARER + (await token.get()) };
    },
    rejected(sent) {
      const authorization = sent['authorization'];
      if (authorization === undefined || !authorization.startsWith(BEARER)) return false;
      token.invalidate(authorization.slice(BEARER.length));
      return true;
    },
  };
}
