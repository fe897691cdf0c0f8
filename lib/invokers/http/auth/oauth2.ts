import type { OAuth2Auth } from '../../../core/model/auth.js';
import type { IssuedToken } from './token-cache.js';
import { TokenFetchError, postTokenForm } from './token-endpoint.js';
import type { TokenEndpointClient, TokenResponse } from './token-endpoint.js';

/**
 * Fetches an access token with the client-credentials grant (RFC 6749 §4.4). The client authenticates with HTTP
 * Basic (`client_secret_basic`, §2.3.1: id and secret form-encoded, then joined by `:`) unless `clientAuth` is
 * `post` (`client_secret_post`: `client_id` and `client_secret` in the form).
 */
export function fetchClientCredentialsToken(client: TokenEndpointClient, auth: OAuth2Auth): Promise<IssuedToken> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (auth.scope !== undefined) form.set('scope', auth.scope);
  if (auth.audience !== undefined) form.set('audience', auth.audience);
  for (const [name, value] of Object.entries(auth.extraParams ?? {})) form.set(name, value);
  const headers: Record<string, string> = {};
  if (auth.clientAuth === 'post') {
    form.set('client_id', auth.clientId);
    form.set('client_secret', auth.clientSecret);
  } else {
    const credentials = `${formEncode(auth.clientId)}:${formEncode(auth.clientSecret)}`;
    headers['authorization'] = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
  }
  return postTokenForm(client, auth.tokenUrl, form, headers, [auth.clientSecret]).then((json) =>
    accessToken(auth.tokenUrl, json),
  );
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/** `access_token` and `expires_in` (seconds, a number or a numeric string) of a §5.1 answer. */
function accessToken(tokenUrl: string, json: TokenResponse): IssuedToken {
  const value = json['access_token'];
  if (typeof value !== 'string' || value === '') {
    const url = new URL(tokenUrl);
    throw new TokenFetchError('failed', `token endpoint ${url.origin + url.pathname}: the answer has no access_token`);
  }
  return { value, lifetimeMs: secondsToMs(json['expires_in']) };
}

export function secondsToMs(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
