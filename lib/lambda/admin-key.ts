import { GetSecretValueCommand, SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { MAX_ADMIN_KEY_CACHE_MS, envName } from '../settings/index.js';
import type { LambdaContext, MiddlewareLike } from './types.js';

/** Where {@link adminKeyFromSecret} keeps the admin key in `request.internal`. */
export const ADMIN_KEY_INTERNAL_KEY = 'eventGateway.adminKey';
/**
 * The secret holding the first admin key (docs/compatibility.md#access-keys); the stack sets it on the config API
 * Lambda.
 */
export const ADMIN_KEY_SECRET_ARN_ENV = envName('adminKeySecretArn');
/** The plain admin key of local runs (`--admin-key`); ignored inside Lambda. */
export const ADMIN_KEY_ENV = envName('adminKey');
/** The longest a container keeps a key read from the secret: a rotated key stops working within this time. */
export { MAX_ADMIN_KEY_CACHE_MS };

/** The context a handler behind {@link adminKeyFromSecret} sees. */
export interface AdminKeyContext {
  /** The first admin key, or undefined when none is configured. */
  eventGatewayAdminKey?: string;
}

export interface AdminKeyFromSecretOptions {
  /** Read at the first invocation. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Settings of the Secrets Manager client (an endpoint in tests). @default the SDK's defaults */
  clientConfig?: SecretsManagerClientConfig;
  /** Told once when a plain admin key variable ({@link ADMIN_KEY_ENV}) is ignored. @default a process warning */
  warn?: (message: string) => void;
  /** How long a key read from the secret is reused before it is read again (at most 5 minutes). @default 300000 */
  cacheMs?: number;
  /** The clock of that cache. @default Date.now */
  now?: () => number;
}

/** The admin key's secret could not be read or holds no key. */
export class AdminKeySecretError extends Error {
  constructor(
    readonly secretId: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`could not read the admin key from Secrets Manager secret ${secretId}: ${reason}`, options);
    this.name = 'AdminKeySecretError';
  }
}

/**
 * Resolves the admin key and keeps it for `cacheMs` (5 minutes at most), so a key rotated in Secrets Manager stops
 * working within that time; a failed read fails the invocation and is tried again on the next one (the old key is
 * not kept past its time). With {@link ADMIN_KEY_SECRET_ARN_ENV} set it comes from Secrets Manager. Inside Lambda
 * (`AWS_LAMBDA_FUNCTION_NAME` set) a plain {@link ADMIN_KEY_ENV} is never used: the key must not sit in the
 * function's configuration. Elsewhere (local runs, tests) that variable is honoured.
 */
export class AdminKeySource {
  #pending: Promise<string | undefined> | undefined;
  #loadedAt = 0;
  readonly #cacheMs: number;
  readonly #now: () => number;

  constructor(private readonly options: AdminKeyFromSecretOptions = {}) {
    this.#cacheMs = Math.min(Math.max(0, options.cacheMs ?? MAX_ADMIN_KEY_CACHE_MS), MAX_ADMIN_KEY_CACHE_MS);
    this.#now = options.now ?? Date.now;
  }

  get(): Promise<string | undefined> {
    if (this.#pending !== undefined && this.#now() - this.#loadedAt >= this.#cacheMs) this.#pending = undefined;
    if (this.#pending === undefined) {
      this.#loadedAt = this.#now();
      this.#pending = this.#load().catch((error: unknown) => {
        this.#pending = undefined;
        throw error;
      });
    }
    return this.#pending;
  }

  async #load(): Promise<string | undefined> {
    const env = this.options.env ?? process.env;
    const secretId = env[ADMIN_KEY_SECRET_ARN_ENV];
    if (secretId) return readAdminKeySecret(secretId, this.options.clientConfig ?? {});
    if (env.AWS_LAMBDA_FUNCTION_NAME) {
      if (env[ADMIN_KEY_ENV]) {
        const warn = this.options.warn ?? ((message: string) => process.emitWarning(message, 'EventGatewayWarning'));
        warn(`${ADMIN_KEY_ENV} is ignored inside Lambda: store the key in Secrets Manager and set ${ADMIN_KEY_SECRET_ARN_ENV}`);
      }
      return undefined;
    }
    return env[ADMIN_KEY_ENV] || undefined;
  }
}

/**
 * The key in a secret: its SecretString is the key itself, or a JSON object whose `adminKey` field is the key
 * (what a CDK secret generated from a template holds).
 */
export async function readAdminKeySecret(secretId: string, clientConfig: SecretsManagerClientConfig): Promise<string> {
  const client = new SecretsManagerClient(clientConfig);
  let secret: string | undefined;
  try {
    ({ SecretString: secret } = await client.send(new GetSecretValueCommand({ SecretId: secretId })));
  } catch (error) {
    throw new AdminKeySecretError(secretId, error instanceof Error ? error.message : String(error), { cause: error });
  } finally {
    client.destroy();
  }
  if (secret === undefined) throw new AdminKeySecretError(secretId, 'the secret has no SecretString');
  return adminKeyFromSecretString(secretId, secret);
}

function adminKeyFromSecretString(secretId: string, secret: string): string {
  const text = secret.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AdminKeySecretError(secretId, 'the secret looks like JSON but does not parse');
    }
    const key = (parsed as { adminKey?: unknown }).adminKey;
    if (typeof key !== 'string' || key.trim() === '') {
      throw new AdminKeySecretError(secretId, 'the secret is a JSON object without a non-empty string "adminKey"');
    }
    return key.trim();
  }
  if (text === '') throw new AdminKeySecretError(secretId, 'the secret is empty');
  return text;
}

/**
 * Middy middleware: puts the admin key ({@link AdminKeySource}) under `request.internal['eventGateway.adminKey']`
 * and on the context as `eventGatewayAdminKey` before the handler runs. A failed read fails the invocation (the
 * config API's error middleware answers it with 500).
 */
export function adminKeyFromSecret(
  options: AdminKeyFromSecretOptions = {},
): MiddlewareLike<unknown, unknown, LambdaContext & AdminKeyContext> {
  const source = new AdminKeySource(options);
  return {
    async before(request) {
      const key = await source.get();
      request.internal[ADMIN_KEY_INTERNAL_KEY] = key;
      if (key === undefined) delete request.context.eventGatewayAdminKey;
      else request.context.eventGatewayAdminKey = key;
    },
  };
}
