import type { BasicAuth } from '../../../core/model/auth.js';
import type { Authenticator } from './authenticator.js';

/** `Authorization: Basic base64(username:password)` (RFC 7617), computed once. */
export function basicAuthenticator(auth: BasicAuth): Authenticator {
  const headers = Object.freeze({
    authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`,
  });
  const ready = Promise.resolve(headers);
  return {
    headersFor: () => ready,
    // Nothing to renew: a 401 is the target's answer.
    rejected: () => false,
  };
}
