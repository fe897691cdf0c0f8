import type { TokenEndpointClient, TokenFetchOutcome } from './token-endpoint.js';
import type { AwsCredentialsProvider } from './aws-sigv4.js';

/** A call about to go out, as an authenticator sees it. */
export interface OutgoingCall {
  /** The target's URL, without credentials or fragment. */
  readonly url: URL;
  readonly method: string;
  /** Every header the call carries so far, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Adds a function's credentials to its calls. One per function (and per version of its `provider.auth`). */
export interface Authenticator {
  /** The headers that authenticate `call` (`authorization`, and the `x-amz-*` of SigV4); may fetch a token first. */
  headersFor(call: OutgoingCall): Promise<Readonly<Record<string, string>>>;
  /**
   * The target answered 401 to a call that carried `sent` (what {@link headersFor} gave). Drops the credential when
   * it can be renewed and returns true: the caller then asks for headers again and retries the call once.
   */
  rejected(sent: Readonly<Record<string, string>>): boolean;
}

/** The function an authenticator serves, for its metric and for defaults taken from the function. */
export interface AuthenticatedFunction {
  readonly space: string;
  readonly functionId: string;
  /** The function's URL, without credentials or fragment. */
  readonly url: URL;
}

/** Hears every token fetch: the function, its auth type and how the fetch ended. */
export type TokenFetchListener = (fn: AuthenticatedFunction, authType: string, outcome: TokenFetchOutcome) => void;

/** What authenticators share within one http invoker. */
export interface AuthDependencies {
  /** Where token requests go: the invoker's pool and SSRF guard. */
  readonly tokenClient: TokenEndpointClient;
  readonly onTokenFetch?: TokenFetchListener | undefined;
  /** The gateway's own AWS credentials, for `awsSigV4` without static keys. @default the SDK's default chain */
  readonly awsCredentials?: AwsCredentialsProvider | undefined;
  /** @default Date.now */
  readonly now?: (() => number) | undefined;
}
