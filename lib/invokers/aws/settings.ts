import type { AwsCredentials } from '../../core/model/types.js';

/**
 * How long an AWS call may take when its subscription sets no `timeoutMs`: below the router's 30 s deregistration
 * delay and the load balancer's 50 s idle timeout, so a slow target never outlives the connection that waits for it
 * (the caller gets a clean timeout instead of the load balancer's 504).
 */
export const DEFAULT_AWS_CALL_TIMEOUT_MS = 25_000;

/** Options every AWS invoker takes. */
export interface AwsInvokerOptions<ClientConfig extends object> {
  /** One endpoint for every client instead of the region's AWS endpoint (local servers in tests and development). */
  endpoint?: string;
  /**
   * More SDK client settings for every client (a request handler, a logger, …). The function's region, the
   * `endpoint` and `maxAttempts` options and a function's static keys win over these. A request handler given
   * as an instance is shared by all clients and is destroyed by `close()`.
   */
  clientConfig?: Partial<ClientConfig>;
  /**
   * Attempts the SDK makes within one invocation (its own retry policy, docs/compatibility.md#function-types). @default
   * the SDK's (3)
   */
  maxAttempts?: number;
  /** The bound of a call whose request has no `timeoutMs`. @default {@link DEFAULT_AWS_CALL_TIMEOUT_MS} */
  defaultTimeoutMs?: number;
}

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What a client is built from besides `clientConfig`; `credentials` absent means the SDK's default chain. */
export interface ClientSettings {
  region: string;
  endpoint?: string;
  maxAttempts?: number;
  credentials?: StaticCredentials;
}

export type AwsProvider = AwsCredentials & { region: string };

/**
 * docs/compatibility.md#function-types: a function's own keys are used only when both are non-empty (the token is
 * optional).
 */
export function staticCredentials(provider: AwsCredentials): StaticCredentials | undefined {
  const { awsAccessKeyId, awsSecretAccessKey, awsSessionToken } = provider;
  if (!awsAccessKeyId || !awsSecretAccessKey) return undefined;
  return awsSessionToken
    ? { accessKeyId: awsAccessKeyId, secretAccessKey: awsSecretAccessKey, sessionToken: awsSessionToken }
    : { accessKeyId: awsAccessKeyId, secretAccessKey: awsSecretAccessKey };
}

export function clientSettings(provider: AwsProvider, options: AwsInvokerOptions<object> = {}): ClientSettings {
  const settings: ClientSettings = { region: provider.region };
  if (options.endpoint !== undefined) settings.endpoint = options.endpoint;
  if (options.maxAttempts !== undefined) settings.maxAttempts = options.maxAttempts;
  const credentials = staticCredentials(provider);
  if (credentials !== undefined) settings.credentials = credentials;
  return settings;
}

/** Clients are shared by every function with the same region and the same static keys (or none). */
export function clientKey(settings: ClientSettings): string {
  const { region, credentials } = settings;
  return JSON.stringify(
    credentials === undefined
      ? [region]
      : [region, credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken ?? ''],
  );
}
