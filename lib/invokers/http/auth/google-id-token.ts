import { createPrivateKey, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { GOOGLE_TOKEN_URI } from '../../../core/model/auth.js';
import type { GoogleIdTokenAuth } from '../../../core/model/auth.js';
import type { IssuedToken } from './token-cache.js';
import { TokenFetchError, postTokenForm } from './token-endpoint.js';
import type { TokenEndpointClient } from './token-endpoint.js';

const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The assertion's own lifetime: Google accepts at most one hour. */
const ASSERTION_LIFETIME_S = 3600;

/** The audience of a function's ID token: its `audience`, else its URL without query and fragment. */
export function idTokenAudience(auth: GoogleIdTokenAuth, functionUrl: URL): string {
  return auth.audience ?? functionUrl.origin + functionUrl.pathname;
}

/**
 * Gets Google-signed ID tokens for one service account key and audience: a JWT signed with the key (RS256) is
 * exchanged at the key's `token_uri` with the JWT-bearer grant (RFC 7523), asking for an ID token through the
 * `target_audience` claim. The token lasts until its own `exp`.
 */
export class GoogleIdTokenSource {
  private readonly key: KeyObject;
  private readonly tokenUri: string;

  constructor(
    private readonly client: TokenEndpointClient,
    private readonly auth: GoogleIdTokenAuth,
    private readonly audience: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = createPrivateKey({ key: auth.serviceAccountKey.private_key, format: 'pem' });
    this.tokenUri = auth.serviceAccountKey['token_uri'] ?? GOOGLE_TOKEN_URI;
  }

  async fetch(): Promise<IssuedToken> {
    const form = new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion: this.assertion() });
    const json = await postTokenForm(this.client, this.tokenUri, form, {}, [this.auth.serviceAccountKey.private_key]);
    const idToken = json['id_token'];
    if (typeof idToken !== 'string' || idToken === '') {
      const url = new URL(this.tokenUri);
      throw new TokenFetchError('failed', `token endpoint ${url.origin + url.pathname}: the answer has no id_token`);
    }
    const exp = jwtExpiry(idToken);
    return { value: idToken, lifetimeMs: exp === undefined ? undefined : Math.max(0, exp * 1000 - this.now()) };
  }

  /** The signed JWT: `iss`/`sub` the service account, `aud` the token endpoint, `target_audience` the function. */
  assertion(): string {
    const iat = Math.floor(this.now() / 1000);
    const keyId = this.auth.serviceAccountKey['private_key_id'];
    const header = { alg: 'RS256', typ: 'JWT', ...(keyId !== undefined ? { kid: keyId } : {}) };
    const email = this.auth.serviceAccountKey.client_email;
    const claims = {
      iss: email,
      sub: email,
      aud: this.tokenUri,
      iat,
      exp: iat + ASSERTION_LIFETIME_S,
      target_audience: this.audience,
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), this.key);
    return `${signingInput}.${signature.toString('base64url')}`;
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** The `exp` claim (seconds) of a JWT, read without verifying it (the gateway only uses it to know when to renew). */
export function jwtExpiry(jwt: string): number | undefined {
  const payload = jwt.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}
