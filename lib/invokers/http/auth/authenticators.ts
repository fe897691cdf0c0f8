import type { HttpAuth } from '../../../core/model/auth.js';
import { InvocationError } from '../../../core/response/index.js';
import { awsSigV4Authenticator, defaultAwsCredentials } from './aws-sigv4.js';
import type { AwsCredentialsProvider } from './aws-sigv4.js';
import type { AuthDependencies, AuthenticatedFunction, Authenticator } from './authenticator.js';
import { basicAuthenticator } from './basic.js';
import { bearerAuthenticator } from './bearer.js';
import { GoogleIdTokenSource, idTokenAudience } from './google-id-token.js';
import { fetchClientCredentialsToken } from './oauth2.js';
import { CachedToken } from './token-cache.js';
import type { IssuedToken } from './token-cache.js';
import { TokenFetchError } from './token-endpoint.js';

/**
 * The authenticators of one http invoker, one per function. A function keeps its authenticator, and so its cached
 * token, for as long as its `provider.auth` and URL stay the same, even when the configuration is reloaded (the
 * routing table builds new objects then); a change of either starts afresh.
 */
export class Authenticators {
  private readonly byFunction = new Map<string, { fingerprint: string; authenticator: Authenticator }>();
  private readonly awsCredentials: AwsCredentialsProvider;

  constructor(private readonly deps: AuthDependencies) {
    this.awsCredentials = deps.awsCredentials ?? defaultAwsCredentials();
  }

  /**
   * The authenticator of `fn` for `auth`. Throws an `InvocationError` when the auth cannot be used (a key that does
   * not parse). Functions that were deleted keep their entry (a few hundred bytes each) until the process ends.
   */
  of(fn: AuthenticatedFunction, auth: HttpAuth): Authenticator {
    const key = `${fn.space}\u0000${fn.functionId}`;
    const fingerprint = `${fn.url.href}\u0000${JSON.stringify(auth)}`;
    const known = this.byFunction.get(key);
    if (known !== undefined && known.fingerprint === fingerprint) return known.authenticator;
    const authenticator = this.create(fn, auth);
    this.byFunction.set(key, { fingerprint, authenticator });
    return authenticator;
  }

  private create(fn: AuthenticatedFunction, auth: HttpAuth): Authenticator {
    switch (auth.type) {
      case 'basic':
        return basicAuthenticator(auth);
      case 'awsSigV4':
        return awsSigV4Authenticator(auth, this.awsCredentials);
      case 'oauth2':
        return bearerAuthenticator(this.cachedToken(fn, auth.type, () => fetchClientCredentialsToken(this.deps.tokenClient, auth)));
      case 'googleIdToken': {
        let source: GoogleIdTokenSource;
        try {
          source = new GoogleIdTokenSource(this.deps.tokenClient, auth, idTokenAudience(auth, fn.url), this.deps.now);
        } catch (error) {
          // The config API checked the key; this is a stored item it never saw (written by hand, an older version).
          const text = error instanceof Error ? error.message : String(error);
          throw new InvocationError('call-failed', `the service account key cannot be used: ${text}`, { cause: error });
        }
        return bearerAuthenticator(this.cachedToken(fn, auth.type, () => source.fetch()));
      }
    }
  }

  /** A single-flight cached token whose every fetch is counted for the function. */
  private cachedToken(fn: AuthenticatedFunction, authType: string, fetch: () => Promise<IssuedToken>): CachedToken {
    const listener = this.deps.onTokenFetch;
    const counted =
      listener === undefined
        ? fetch
        : async () => {
            try {
              const token = await fetch();
              listener(fn, authType, 'fetched');
              return token;
            } catch (error) {
              listener(fn, authType, error instanceof TokenFetchError ? error.outcome : 'failed');
              throw error;
            }
          };
    return new CachedToken(counted, this.deps.now);
  }
}
