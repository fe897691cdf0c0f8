import { generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { TokenServer, type TokenReply, type TokenRequest } from './token-server.js';

const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ISSUER = 'https://accounts.google.com';

/** A service account the test made: the JSON key the gateway gets, and the public half the endpoint verifies with. */
export interface TestServiceAccount {
  readonly key: Record<string, string> & { client_email: string; private_key: string };
  readonly publicKey: KeyObject;
}

/** A fresh RSA key pair as a Google service account JSON key whose `token_uri` is `tokenUri`. */
export function createServiceAccount(tokenUri: string, email = 'gateway@test-project.iam.gserviceaccount.com'): TestServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    key: {
      type: 'service_account',
      project_id: 'test-project',
      private_key_id: `kid-${email.length}-${Date.now()}`,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: email,
      client_id: '1234567890',
      token_uri: tokenUri,
    },
    publicKey,
  };
}

export interface IssuedIdToken {
  readonly value: string;
  readonly email: string;
  readonly audience: string;
  readonly expiresAt: number;
}

interface Jwt {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  readonly signingInput: string;
  readonly signature: Buffer;
}

function decodeJwt(text: string): Jwt | undefined {
  const parts = text.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return {
      header: JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>,
      claims: JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2]!, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

/**
 * Google's OAuth2 token endpoint as a service account uses it for ID tokens: a JWT-bearer grant (RFC 7523) whose
 * assertion must be an RS256 JWT signed by a registered account's key, with `iss` the account, `aud` this endpoint,
 * a current `iat`/`exp`, and a `target_audience`. It answers `{"id_token": …}`: an RS256 JWT signed with the fake's
 * own key, whose `aud` is the target audience and whose `exp` is `idTokenLifetimeS` ahead.
 */
export class GoogleTokenEndpoint extends TokenServer {
  readonly issued: IssuedIdToken[] = [];
  /** Lifetime of the ID tokens, in seconds. */
  idTokenLifetimeS = 3600;
  /** The endpoint's clock (a test moves it with the gateway's). */
  now: () => number = Date.now;
  /** The verified assertions' claims, in order. */
  readonly assertions: Array<Record<string, unknown>> = [];
  private readonly accounts = new Map<string, KeyObject>();
  private readonly googleKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

  static async start(): Promise<GoogleTokenEndpoint> {
    const endpoint = new GoogleTokenEndpoint();
    await endpoint.listen();
    return endpoint;
  }

  /** A new service account known to this endpoint. */
  createServiceAccount(email?: string): TestServiceAccount {
    const account = createServiceAccount(this.url, email);
    this.accounts.set(account.key.client_email, account.publicKey);
    return account;
  }

  /** The ID token `value` when this endpoint issued it, its signature holds, it is for `audience` and current. */
  valid(value: string, audience: string, now = this.now()): IssuedIdToken | undefined {
    const jwt = decodeJwt(value);
    if (jwt === undefined || !verify('sha256', Buffer.from(jwt.signingInput), this.googleKeys.publicKey, jwt.signature)) {
      return undefined;
    }
    const token = this.issued.find((t) => t.value === value);
    return token !== undefined && token.audience === audience && now < token.expiresAt ? token : undefined;
  }

  validBearer(authorization: string | undefined, audience: string): IssuedIdToken | undefined {
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return undefined;
    return this.valid(authorization.slice('Bearer '.length), audience);
  }

  protected answer(request: TokenRequest): TokenReply {
    const refuse = (description: string): TokenReply => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: description },
    });
    if (request.form.get('grant_type') !== JWT_BEARER_GRANT) return refuse('grant_type is not the JWT-bearer grant');
    const jwt = decodeJwt(request.form.get('assertion') ?? '');
    if (jwt === undefined) return refuse('the assertion is not a JWT');
    if (jwt.header['alg'] !== 'RS256') return refuse(`alg ${String(jwt.header['alg'])} is not RS256`);
    const email = jwt.claims['iss'];
    const publicKey = typeof email === 'string' ? this.accounts.get(email) : undefined;
    if (publicKey === undefined) return refuse('unknown service account');
    if (!verify('sha256', Buffer.from(jwt.signingInput), publicKey, jwt.signature)) return refuse('Invalid JWT Signature.');
    const now = Math.floor(this.now() / 1000);
    const { aud, iat, exp, target_audience: audience } = jwt.claims;
    if (aud !== this.url) return refuse(`aud ${String(aud)} is not this endpoint`);
    if (typeof iat !== 'number' || typeof exp !== 'number' || iat > now + 60 || exp <= now || exp - iat > 3600) {
      return refuse('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    }
    if (typeof audience !== 'string' || audience === '') return refuse('no target_audience: an access token was asked for');
    this.assertions.push(jwt.claims);

    const expiresAt = now + this.idTokenLifetimeS;
    const header = { alg: 'RS256', typ: 'JWT', kid: 'fake-google-key' };
    const claims = { iss: ISSUER, aud: audience, azp: email, sub: '1234567890', email, email_verified: true, iat: now, exp: expiresAt };
    const signingInput = [header, claims].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.');
    const value = `${signingInput}.${sign('sha256', Buffer.from(signingInput), this.googleKeys.privateKey).toString('base64url')}`;
    this.issued.push({ value, email: email as string, audience, expiresAt: expiresAt * 1000 });
    return { status: 200, body: { id_token: value } };
  }
}
