import { lookup as dnsLookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent } from 'undici';
import type { FunctionConfig, HttpProvider } from '../../core/model/types.js';
import { InvocationError } from '../../core/response/index.js';
import type { InvocationRequest, InvocationResult, Invoker } from '../../ports/invoker.js';
import { Authenticators, callAuthenticated } from './auth/index.js';
import type { Authenticator, AwsCredentialsProvider, TokenFetchListener } from './auth/index.js';
import { HttpCall } from './http-call.js';
import type { GuardedTarget, RefusedListener } from './http-call.js';
import { guardedLookup, isAddressAllowed, normaliseHostLiteral, refusalDetail } from './ssrf-guard.js';
import type { TargetPolicy } from './ssrf-guard.js';

export const DEFAULT_CONNECTIONS = 128;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 6 * 1024 * 1024;

const CONTENT_TYPE = 'application/cloudevents+json';

export interface HttpInvokerOptions {
  /** Connections kept per origin. @default 128 */
  connections?: number;
  /** Idle keep-alive time, in milliseconds (a shorter `Keep-Alive: timeout` from the target wins). @default 30000 */
  keepAliveTimeoutMs?: number;
  /** Largest response body read; a larger one fails the call with `InvocationError('call-failed')`. @default 6 MiB */
  maxResponseBytes?: number;
  /**
   * Name resolution used when connecting (`dns.lookup`-compatible; with Node's default `autoSelectFamily` it is
   * called with `{ all: true }`). The SSRF guard wraps it to check the resolved address at connect time.
   * Note: Node does not call it for a URL whose host is an IP literal. @default dns.lookup
   */
  lookup?: LookupFunction;
  /**
   * The SSRF guard (docs/compatibility.md#ssrf-guard): which addresses calls may reach. IP-literal hosts are checked
   * before connecting, names on the addresses they resolve to, at connect time. A refused call fails with
   * `InvocationError('call-failed', 'dial tcp <addr>:<port>: connection refused by the SSRF guard (<reason>)')`.
   * @default no guard (every address is reachable)
   */
  targetPolicy?: TargetPolicy;
  /**
   * Hears every call the guard refused: the function's URL (without credentials), or the token endpoint's for a
   * token request, the address and why.
   */
  onRefused?: RefusedListener;
  /** Hears every token fetch of a function with `provider.auth` (docs/auth.md): the function, its auth type, the outcome. */
  onTokenFetch?: TokenFetchListener;
  /** The gateway's own credentials, for `awsSigV4` functions without static keys. @default the AWS SDK's default chain */
  awsCredentials?: AwsCredentialsProvider;
  /** Bound of one token request, in milliseconds. @default 10000 */
  tokenTimeoutMs?: number;
}

/** What is derived once from a provider: where to send, and the headers every call carries. */
interface Target {
  origin: string;
  path: string;
  /** Adds the function's credentials (`provider.auth`) to each call, made to `url`. */
  authenticated?: { authenticator: Authenticator; url: URL };
  headers: Readonly<Record<string, string>>;
  /** Set when the guard is on. */
  guard?: GuardedTarget;
  /** An IP-literal host the guard refused: every call fails with this, without connecting. */
  refused?: { address: string; reason: string; detail: string };
}

/**
 * The SYNC rule of docs/compatibility.md#function-types and #sync-responses for an http function's answer: any status
 * except 500 yields the body; 500 is the function's own error. (Async deliveries classify statuses themselves,
 * docs/compatibility.md#retries-and-timeouts.)
 */
export function httpResultError(status: number): InvocationError | undefined {
  return status === 500 ? new InvocationError('function-error', 'HTTP status code: 500', { status: 500 }) : undefined;
}

/**
 * Calls `type: "http"` functions: `POST` of the payload to the provider's URL over keep-alive connections (one pool per
 * origin). Redirects are never followed (docs/compatibility.md#deliberate-differences): a 3xx comes back as is. Every
 * HTTP answer is returned, whatever its status; transport failures, timeouts and cancellation throw `InvocationError`.
 */
export class HttpInvoker implements Invoker {
  readonly type = 'http' as const;
  private readonly agent: Agent;
  private readonly maxResponseBytes: number;
  private readonly targetPolicy: TargetPolicy | undefined;
  private readonly onRefused: RefusedListener | undefined;
  private readonly authenticators: Authenticators;
  // Keyed by the provider object: config items are replaced, never mutated, when they change.
  private readonly targets = new WeakMap<HttpProvider, Target>();

  constructor(options: HttpInvokerOptions = {}) {
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.targetPolicy = options.targetPolicy;
    this.onRefused = options.onRefused;
    const lookup = options.lookup ?? dnsLookup;
    this.agent = new Agent({
      connections: options.connections ?? DEFAULT_CONNECTIONS,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      connect: { lookup: this.targetPolicy === undefined ? lookup : guardedLookup(this.targetPolicy, lookup) },
    });
    // Token endpoints are targets too: the same pool, the same guard, the same refusal listener.
    this.authenticators = new Authenticators({
      tokenClient: { dispatcher: this.agent, targetPolicy: this.targetPolicy, onRefused: this.onRefused, timeoutMs: options.tokenTimeoutMs },
      onTokenFetch: options.onTokenFetch,
      awsCredentials: options.awsCredentials,
    });
  }

  // Hot path: every sync request comes through here.
  invoke(fn: FunctionConfig, request: InvocationRequest): Promise<InvocationResult> {
    if (fn.type !== 'http') {
      return Promise.reject(
        new InvocationError('call-failed', `function type "${fn.type}" is not handled by the http invoker`),
      );
    }
    let target: Target;
    try {
      target = this.targetOf(fn);
    } catch (error) {
      return Promise.reject(error);
    }
    if (target.refused !== undefined) {
      this.onRefused?.(target.guard?.url ?? '', target.refused.address, target.refused.reason);
      return Promise.reject(new InvocationError('call-failed', target.refused.detail));
    }
    const headers = request.headers === undefined ? target.headers : withRequestHeaders(target.headers, request.headers);
    if (target.authenticated === undefined) return this.send(target, headers, request);
    const { authenticator, url } = target.authenticated;
    const call = { url, method: 'POST', headers, body: request.payload };
    return callAuthenticated(authenticator, call, (signed) => this.send(target, signed, request), request.signal);
  }

  private send(target: Target, headers: Readonly<Record<string, string>>, request: InvocationRequest): Promise<InvocationResult> {
    return new Promise<InvocationResult>((resolve, reject) => {
      const call = new HttpCall(resolve, reject, this.maxResponseBytes, request.signal, target.guard);
      if (!call.start(request.timeoutMs)) return;
      this.agent.dispatch(
        { origin: target.origin, path: target.path, method: 'POST', headers, body: request.payload },
        call,
      );
    });
  }

  async close(): Promise<void> {
    if (!this.agent.closed) await this.agent.close();
  }

  private targetOf(fn: FunctionConfig & { type: 'http' }): Target {
    let target = this.targets.get(fn.provider);
    if (target === undefined) {
      target = prepareTarget(fn.provider, this.targetPolicy, this.onRefused);
      if (fn.provider.auth !== undefined) {
        const url = new URL(target.origin + target.path);
        const authenticator = this.authenticators.of({ space: fn.space, functionId: fn.functionId, url }, fn.provider.auth);
        target.authenticated = { authenticator, url };
      }
      this.targets.set(fn.provider, target);
    }
    return target;
  }
}

function prepareTarget(
  provider: HttpProvider,
  policy: TargetPolicy | undefined,
  onRefused: RefusedListener | undefined,
): Target {
  let url: URL;
  try {
    url = new URL(provider.url);
  } catch (error) {
    throw new InvocationError('call-failed', `parse "${provider.url}": invalid URL`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvocationError('call-failed', `unsupported protocol scheme "${url.protocol.slice(0, -1)}"`);
  }

  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(provider.headers ?? {})) headers[name.toLowerCase()] = value;
  // As Go's client did: credentials in the URL become Basic auth unless an Authorization header is configured.
  if ((url.username !== '' || url.password !== '') && headers['authorization'] === undefined) {
    const credentials = `${decodeUserinfo(url.username)}:${decodeUserinfo(url.password)}`;
    headers['authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  headers['content-type'] = CONTENT_TYPE;

  // `origin` drops the credentials, `pathname + search` drops the fragment.
  const target: Target = { origin: url.origin, path: url.pathname + url.search, headers };
  if (policy === undefined) return target;

  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  target.guard = { url: target.origin + target.path, port, onRefused };
  // Node connects to an IP-literal host without calling `lookup`, so the guarded lookup never sees it.
  const literal = normaliseHostLiteral(url.hostname);
  if (literal !== undefined) {
    const decision = isAddressAllowed(literal, policy);
    if (!decision.allowed) {
      const detail = refusalDetail(literal, port, decision.reason);
      target.refused = { address: literal, reason: decision.reason, detail };
    }
  }
  return target;
}

/** Static headers, then the call's own (which win on a clash, whatever their case); the content type is fixed. */
function withRequestHeaders(
  base: Readonly<Record<string, string>>,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const headers: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, base);
  for (const [name, value] of Object.entries(extra)) headers[name.toLowerCase()] = value;
  headers['content-type'] = CONTENT_TYPE;
  return headers;
}

function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
