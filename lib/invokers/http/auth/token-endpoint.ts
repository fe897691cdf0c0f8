import type { Dispatcher } from 'undici';
import { InvocationError } from '../../../core/response/index.js';
import type { RefusedListener } from '../http-call.js';
import { transportErrorText } from '../http-call.js';
import { findSsrfRefusal, isAddressAllowed, normaliseHostLiteral, refusalDetail } from '../ssrf-guard.js';
import type { TargetPolicy } from '../ssrf-guard.js';

/** How long a token request may take. @see TokenEndpointClient.timeoutMs */
export const DEFAULT_TOKEN_TIMEOUT_MS = 10_000;
/** Largest token response read: a token response is a few KiB at most. */
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;
/** Longest error text taken from a token endpoint's answer. */
const MAX_ERROR_TEXT = 200;

/** How one token fetch ended, as the token-fetch metric counts it. */
export type TokenFetchOutcome = 'fetched' | 'failed' | 'refused';

/**
 * A token fetch that failed. It is a `call-failed` invocation error, so an async delivery is retried like any other
 * transport failure, and a sync call answers as for an unreachable function. Its text never holds a secret.
 */
export class TokenFetchError extends InvocationError {
  readonly outcome: Exclude<TokenFetchOutcome, 'fetched'>;

  constructor(outcome: Exclude<TokenFetchOutcome, 'fetched'>, detail: string, options: ErrorOptions = {}) {
    super('call-failed', detail, options);
    this.name = 'TokenFetchError';
    this.outcome = outcome;
  }
}

/** What token requests go through: the http invoker's connection pool, its SSRF guard and its refusal listener. */
export interface TokenEndpointClient {
  /** The pool; its `connect.lookup` is the guarded one when a policy is set. */
  readonly dispatcher: Dispatcher;
  /** The SSRF guard's policy, for IP-literal hosts (which never reach the lookup). @default no guard */
  readonly targetPolicy?: TargetPolicy | undefined;
  /** Hears a refused token endpoint: its URL, the address and why. */
  readonly onRefused?: RefusedListener | undefined;
  /** Bound of one token request. @default {@link DEFAULT_TOKEN_TIMEOUT_MS} */
  readonly timeoutMs?: number | undefined;
}

export type TokenResponse = Readonly<Record<string, unknown>>;

/**
 * POSTs a form to a token endpoint and returns its JSON answer (RFC 6749 §5.1). Any other outcome throws a
 * {@link TokenFetchError}: the SSRF guard's refusal, a transport failure, a timeout, a non-2xx answer (with the
 * endpoint's `error` and `error_description`), or a body that is not a JSON object. `secrets` are scrubbed from
 * every text the endpoint sent back.
 */
export async function postTokenForm(
  client: TokenEndpointClient,
  tokenUrl: string,
  form: URLSearchParams,
  headers: Readonly<Record<string, string>>,
  secrets: readonly string[],
): Promise<TokenResponse> {
  const url = new URL(tokenUrl);
  const shown = url.origin + url.pathname;
  const fail = (detail: string, cause?: unknown): TokenFetchError =>
    new TokenFetchError('failed', `token endpoint ${shown}: ${scrub(detail, secrets)}`, cause === undefined ? {} : { cause });
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);

  const policy = client.targetPolicy;
  const literal = policy === undefined ? undefined : normaliseHostLiteral(url.hostname);
  if (policy !== undefined && literal !== undefined) {
    const decision = isAddressAllowed(literal, policy);
    if (!decision.allowed) throw refused(client, shown, literal, port, decision.reason);
  }

  const timeoutMs = client.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS;
  let response: Dispatcher.ResponseData;
  try {
    response = await client.dispatcher.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const refusal = findSsrfRefusal(error);
    if (refusal !== undefined) throw refused(client, shown, refusal.address, port, refusal.reason, error);
    throw fail(isTimeout(error) ? `no answer within ${timeoutMs} ms` : transportErrorText(error), error);
  }

  let text: string;
  try {
    text = await readLimited(response.body);
  } catch (error) {
    throw fail(error instanceof TokenBodyTooLarge ? error.message : `reading the answer: ${transportErrorText(error)}`, error);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const json = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as TokenResponse) : undefined;
  if (response.statusCode < 200 || response.statusCode > 299) {
    throw fail(`HTTP ${response.statusCode}${json === undefined ? '' : oauthErrorText(json)}`);
  }
  if (json === undefined) throw fail(`HTTP ${response.statusCode} with a body that is not a JSON object`);
  return json;
}

function refused(
  client: TokenEndpointClient,
  shown: string,
  address: string,
  port: number,
  reason: string,
  cause?: unknown,
): TokenFetchError {
  client.onRefused?.(shown, address, reason);
  const detail = `token endpoint ${shown}: ${refusalDetail(address, port, reason)}`;
  return new TokenFetchError('refused', detail, cause === undefined ? {} : { cause });
}

/** ` (invalid_client: Client authentication failed)` from an RFC 6749 §5.2 error answer, cut short. */
function oauthErrorText(json: TokenResponse): string {
  const code = typeof json['error'] === 'string' ? json['error'] : undefined;
  const description = typeof json['error_description'] === 'string' ? json['error_description'] : undefined;
  if (code === undefined && description === undefined) return '';
  const text = [code, description].filter((part) => part !== undefined).join(': ');
  return ` (${text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text})`;
}

/** `text` with every secret (and its URL-encoded and base64 forms) replaced by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) {
      out = out.split(form).join('***');
    }
  }
  return out;
}

class TokenBodyTooLarge extends Error {}

async function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    length += buffer.length;
    if (length > MAX_TOKEN_RESPONSE_BYTES) {
      body.destroy();
      throw new TokenBodyTooLarge(`answer larger than ${MAX_TOKEN_RESPONSE_BYTES} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, length).toString('utf8');
}

function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return error.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}
