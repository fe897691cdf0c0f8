import { createPrivateKey } from 'node:crypto';

/**
 * `provider.auth` of an `http` function (docs/auth.md): how the gateway proves who it is to the target. Its secrets
 * (`password`, `clientSecret`, the service account's `private_key`, `awsSecretAccessKey`, `awsSessionToken`) are
 * write-only: the config API shows {@link AUTH_SECRET_MARKER} in their place, and a PUT that sends the marker back
 * keeps the stored value.
 */
export type HttpAuth = BasicAuth | OAuth2Auth | GoogleIdTokenAuth | AwsSigV4Auth;
export type HttpAuthType = HttpAuth['type'];

export const HTTP_AUTH_TYPES = ['basic', 'oauth2', 'googleIdToken', 'awsSigV4'] as const satisfies readonly HttpAuthType[];

/** `Authorization: Basic …` on every call. */
export interface BasicAuth {
  type: 'basic';
  username: string;
  /** A secret. */
  password: string;
}

/** The OAuth2 client-credentials grant (RFC 6749 §4.4); the token goes out as `Authorization: Bearer …`. */
export interface OAuth2Auth {
  type: 'oauth2';
  tokenUrl: string;
  clientId: string;
  /** A secret. */
  clientSecret: string;
  /** How the client authenticates at the token endpoint: HTTP Basic (`client_secret_basic`) or form fields
   * (`client_secret_post`). Omitted means `basic`. */
  clientAuth?: 'basic' | 'post';
  scope?: string;
  audience?: string;
  /** More form fields for the token request (`resource` for Entra ID v1 endpoints, …). */
  extraParams?: Record<string, string>;
}

/**
 * A Google service account key, as the JSON file Google hands out. Only string members are kept; `client_email`
 * and `private_key` are required, `token_uri` defaults to Google's.
 */
export type ServiceAccountKey = Record<string, string> & { client_email: string; private_key: string };

/** A Google-signed ID token for Cloud Run and Cloud Functions; it goes out as `Authorization: Bearer …`. */
export interface GoogleIdTokenAuth {
  type: 'googleIdToken';
  /** Its `private_key` is a secret. */
  serviceAccountKey: ServiceAccountKey;
  /** The token's audience. Omitted means the function's URL without its query and fragment. */
  audience?: string;
}

/** AWS Signature Version 4 (Lambda function URLs and API Gateway with IAM auth). */
export interface AwsSigV4Auth {
  type: 'awsSigV4';
  /** The signing name: `lambda`, `execute-api`, … */
  service: string;
  region: string;
  /** Static keys; without them the gateway's own credentials (task or Lambda role) sign. */
  awsAccessKeyId?: string;
  /** A secret. */
  awsSecretAccessKey?: string;
  /** A secret. */
  awsSessionToken?: string;
}

export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

/** What the config API shows for a secret of `provider.auth` (the same marker as the provider's other secrets). */
export const AUTH_SECRET_MARKER = '********';

/** Keys of each auth type, in output order, and which of them are secrets. */
const AUTH_KEYS = {
  basic: ['type', 'username', 'password'],
  oauth2: ['type', 'tokenUrl', 'clientId', 'clientSecret', 'clientAuth', 'scope', 'audience', 'extraParams'],
  googleIdToken: ['type', 'serviceAccountKey', 'audience'],
  awsSigV4: ['type', 'service', 'region', 'awsAccessKeyId', 'awsSecretAccessKey', 'awsSessionToken'],
} as const satisfies Record<HttpAuthType, readonly string[]>;

const SECRET_AUTH_KEYS: ReadonlySet<string> = new Set(['password', 'clientSecret', 'awsSecretAccessKey', 'awsSessionToken']);
const PRIVATE_KEY = 'private_key';

const MAX_FIELD_LENGTH = 16 * 1024;
const HEADER_SAFE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** An invalid `provider.auth`: one line per problem, each naming the field (`provider.auth.tokenUrl: …`). */
export class HttpAuthError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'HttpAuthError';
    this.problems = problems;
  }
}

type JsonObject = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Problems {
  readonly lines: string[] = [];

  add(field: string, problem: string): void {
    this.lines.push(`provider.auth${field === '' ? '' : `.${field}`}: ${problem}`);
  }

  /** A required or optional string member; undefined (with a problem when required) when absent or wrong. */
  string(raw: JsonObject, key: string, required: boolean, check?: (value: string) => string | undefined): string | undefined {
    const value = raw[key];
    if (value === undefined || value === null || value === '') {
      if (required) this.add(key, 'required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(key, `must be a string, not ${jsonTypeOf(value)}`);
      return undefined;
    }
    if (value.length > MAX_FIELD_LENGTH) {
      this.add(key, `longer than ${MAX_FIELD_LENGTH} characters`);
      return undefined;
    }
    const problem = check?.(value);
    if (problem !== undefined) {
      this.add(key, problem);
      return undefined;
    }
    return value;
  }

  unknownKeys(raw: JsonObject, known: readonly string[], type: string): void {
    for (const key of Object.keys(raw)) {
      if (!known.includes(key)) this.add(key, `not a field of "${type}" auth (fields: ${known.join(', ')})`);
    }
  }
}

function jsonTypeOf(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function httpUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an http or https URL';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials (use clientId and clientSecret)';
  if (url.hash !== '') return 'must not have a fragment';
  return undefined;
}

function headerSafe(value: string): string | undefined {
  return HEADER_SAFE.test(value) ? undefined : 'contains a control character';
}

/**
 * Validates `provider.auth` as the config API received it (plain JSON). Throws {@link HttpAuthError} naming every
 * problem. The secret marker is accepted in place of a secret; {@link mergeAuthSecrets} puts the stored one back.
 */
export function parseHttpAuth(raw: unknown): HttpAuth {
  const problems = new Problems();
  if (!isObject(raw)) throw new HttpAuthError([`provider.auth: must be an object, not ${jsonTypeOf(raw)}`]);
  const type = raw['type'];
  if (typeof type !== 'string' || !(HTTP_AUTH_TYPES as readonly string[]).includes(type)) {
    throw new HttpAuthError([`provider.auth.type: must be one of ${HTTP_AUTH_TYPES.map((t) => `"${t}"`).join(', ')}`]);
  }
  const authType = type as HttpAuthType;
  problems.unknownKeys(raw, AUTH_KEYS[authType], authType);
  const auth = parseByType(authType, raw, problems);
  if (problems.lines.length > 0 || auth === undefined) throw new HttpAuthError(problems.lines);
  return auth;
}

function parseByType(type: HttpAuthType, raw: JsonObject, problems: Problems): HttpAuth | undefined {
  switch (type) {
    case 'basic': {
      const username = problems.string(raw, 'username', true, (v) => (v.includes(':') ? 'must not contain ":"' : headerSafe(v)));
      const password = problems.string(raw, 'password', true, headerSafe);
      return username === undefined || password === undefined ? undefined : { type, username, password };
    }
    case 'oauth2': {
      const tokenUrl = problems.string(raw, 'tokenUrl', true, httpUrlProblem);
      const clientId = problems.string(raw, 'clientId', true);
      const clientSecret = problems.string(raw, 'clientSecret', true);
      const clientAuth = problems.string(raw, 'clientAuth', false, (v) =>
        v === 'basic' || v === 'post' ? undefined : 'must be "basic" (client_secret_basic) or "post" (client_secret_post)',
      );
      const scope = problems.string(raw, 'scope', false);
      const audience = problems.string(raw, 'audience', false);
      const extraParams = parseExtraParams(raw['extraParams'], problems);
      if (tokenUrl === undefined || clientId === undefined || clientSecret === undefined) return undefined;
      return {
        type,
        tokenUrl,
        clientId,
        clientSecret,
        ...(clientAuth !== undefined ? { clientAuth: clientAuth as 'basic' | 'post' } : {}),
        ...(scope !== undefined ? { scope } : {}),
        ...(audience !== undefined ? { audience } : {}),
        ...(extraParams !== undefined ? { extraParams } : {}),
      };
    }
    case 'googleIdToken': {
      const serviceAccountKey = parseServiceAccountKey(raw['serviceAccountKey'], problems);
      const audience = problems.string(raw, 'audience', false);
      return serviceAccountKey === undefined
        ? undefined
        : { type, serviceAccountKey, ...(audience !== undefined ? { audience } : {}) };
    }
    case 'awsSigV4': {
      const service = problems.string(raw, 'service', true, (v) => (/^[a-z0-9-]+$/.test(v) ? undefined : 'must be a signing name such as "lambda" or "execute-api"'));
      const region = problems.string(raw, 'region', true, (v) => (/^[a-z0-9-]+$/.test(v) ? undefined : 'must be a region name such as "eu-west-1"'));
      const awsAccessKeyId = problems.string(raw, 'awsAccessKeyId', false);
      const awsSecretAccessKey = problems.string(raw, 'awsSecretAccessKey', false);
      const awsSessionToken = problems.string(raw, 'awsSessionToken', false);
      if ((awsAccessKeyId === undefined) !== (awsSecretAccessKey === undefined)) {
        problems.add('awsSecretAccessKey', 'static keys need both awsAccessKeyId and awsSecretAccessKey');
      } else if (awsSessionToken !== undefined && awsAccessKeyId === undefined) {
        problems.add('awsSessionToken', 'needs awsAccessKeyId and awsSecretAccessKey');
      }
      if (service === undefined || region === undefined) return undefined;
      return {
        type,
        service,
        region,
        ...(awsAccessKeyId !== undefined ? { awsAccessKeyId } : {}),
        ...(awsSecretAccessKey !== undefined ? { awsSecretAccessKey } : {}),
        ...(awsSessionToken !== undefined ? { awsSessionToken } : {}),
      };
    }
  }
}

function parseExtraParams(value: unknown, problems: Problems): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    problems.add('extraParams', `must be an object of strings, not ${jsonTypeOf(value)}`);
    return undefined;
  }
  const reserved = new Set(['grant_type', 'client_id', 'client_secret']);
  const params: Record<string, string> = {};
  for (const [name, param] of Object.entries(value)) {
    if (typeof param !== 'string') problems.add(`extraParams.${name}`, `must be a string, not ${jsonTypeOf(param)}`);
    else if (reserved.has(name)) problems.add(`extraParams.${name}`, 'is set by the gateway');
    else params[name] = param;
  }
  return Object.keys(params).length > 0 ? params : undefined;
}

function parseServiceAccountKey(value: unknown, problems: Problems): ServiceAccountKey | undefined {
  const field = 'serviceAccountKey';
  if (value === undefined || value === null) {
    problems.add(field, 'required (the JSON key of a Google service account)');
    return undefined;
  }
  if (!isObject(value)) {
    problems.add(field, `must be the JSON key object of a Google service account, not ${jsonTypeOf(value)}`);
    return undefined;
  }
  const key: Record<string, string> = {};
  for (const [name, member] of Object.entries(value)) if (typeof member === 'string') key[name] = member;
  const email = key['client_email'];
  const privateKey = key[PRIVATE_KEY];
  if (email === undefined || email === '') problems.add(`${field}.client_email`, 'required');
  if (privateKey === undefined || privateKey === '') {
    problems.add(`${field}.private_key`, 'required');
  } else if (privateKey !== AUTH_SECRET_MARKER) {
    const problem = rsaKeyProblem(privateKey);
    if (problem !== undefined) problems.add(`${field}.private_key`, problem);
  }
  const tokenUri = key['token_uri'];
  if (tokenUri !== undefined) {
    const problem = httpUrlProblem(tokenUri);
    if (problem !== undefined) problems.add(`${field}.token_uri`, problem);
  }
  if (email === undefined || email === '' || privateKey === undefined || privateKey === '') return undefined;
  return key as ServiceAccountKey;
}

function rsaKeyProblem(pem: string): string | undefined {
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    return key.asymmetricKeyType === 'rsa' ? undefined : `must be an RSA key, not ${key.asymmetricKeyType ?? 'unknown'}`;
  } catch {
    return 'not a PEM private key';
  }
}

/** The config API's view of `provider.auth`: keys in a fixed order, secrets replaced by the marker. */
export function httpAuthJson(auth: HttpAuth): HttpAuth {
  const source = auth as unknown as JsonObject;
  const out: Record<string, unknown> = {};
  for (const key of AUTH_KEYS[auth.type]) {
    const value = source[key];
    if (value === undefined) continue;
    if (SECRET_AUTH_KEYS.has(key)) out[key] = AUTH_SECRET_MARKER;
    else if (key === 'serviceAccountKey') out[key] = { ...(value as ServiceAccountKey), [PRIVATE_KEY]: AUTH_SECRET_MARKER };
    else if (key === 'extraParams') out[key] = { ...(value as Record<string, string>) };
    else out[key] = value;
  }
  return out as unknown as HttpAuth;
}

/**
 * Puts the stored secrets back where `incoming` carries the marker (a client sending back what GET showed). A marker
 * is kept only from a stored auth of the same type (and, for a service account, the same `client_email`); otherwise
 * it is refused, since storing the marker as the secret would fail every call.
 */
export function mergeAuthSecrets(incoming: HttpAuth, stored: HttpAuth | undefined): HttpAuth {
  const merged: Record<string, unknown> = { ...incoming };
  const kept = stored?.type === incoming.type ? (stored as unknown as JsonObject) : undefined;
  const problems: string[] = [];
  for (const key of SECRET_AUTH_KEYS) {
    if (merged[key] !== AUTH_SECRET_MARKER) continue;
    const value = kept?.[key];
    if (typeof value === 'string' && value !== '') merged[key] = value;
    else problems.push(`provider.auth.${key}: "${AUTH_SECRET_MARKER}" keeps the stored secret, but there is none to keep`);
  }
  if (incoming.type === 'googleIdToken' && incoming.serviceAccountKey[PRIVATE_KEY] === AUTH_SECRET_MARKER) {
    const storedKey = stored?.type === 'googleIdToken' ? stored.serviceAccountKey : undefined;
    if (storedKey !== undefined && storedKey.client_email === incoming.serviceAccountKey.client_email) {
      merged['serviceAccountKey'] = { ...incoming.serviceAccountKey, [PRIVATE_KEY]: storedKey[PRIVATE_KEY] };
    } else {
      problems.push(
        `provider.auth.serviceAccountKey.private_key: "${AUTH_SECRET_MARKER}" keeps the stored key, but there is none for this client_email`,
      );
    }
  }
  if (problems.length > 0) throw new HttpAuthError(problems);
  return merged as unknown as HttpAuth;
}

/** Every secret value of `auth`, for scrubbing texts that could echo one (a token endpoint's error body). */
export function httpAuthSecrets(auth: HttpAuth): string[] {
  switch (auth.type) {
    case 'basic':
      return [auth.password];
    case 'oauth2':
      return [auth.clientSecret];
    case 'googleIdToken':
      return [auth.serviceAccountKey.private_key];
    case 'awsSigV4':
      return [auth.awsSecretAccessKey, auth.awsSessionToken].filter((s): s is string => s !== undefined);
  }
}
