import type { FunctionConfig, ProviderByType } from '../../core/model/types.js';
import { InvocationError, type InvocationErrorKind } from '../../core/response/index.js';
import type { InvocationRequest, InvocationResult, Invoker } from '../../ports/invoker.js';
import { boundedCall } from './call.js';
import { toInvocationError } from './errors.js';
import { DEFAULT_AWS_CALL_TIMEOUT_MS, clientKey, clientSettings, type AwsInvokerOptions, type ClientSettings } from './settings.js';

export type AwsFunctionType = 'awslambda' | 'awskinesis' | 'awsfirehose' | 'awssqs';

export const CLOSED = 'the invoker is closed';

/**
 * What the four AWS invokers share: the SDK module loaded on first use, one client per region and static keys
 * (created on first use, destroyed by `close()`), the call bounded by `timeoutMs` (or the invoker's
 * `defaultTimeoutMs`) and the caller's signal, and SDK errors turned into `InvocationError`. A subclass supplies the SDK call itself.
 */
export abstract class AwsInvoker<T extends AwsFunctionType, Sdk, Client extends { destroy(): void }>
  implements Invoker
{
  abstract readonly type: T;
  private sdk: Sdk | undefined;
  private loading: Promise<Sdk> | undefined;
  // Keyed by the provider object first (config items are replaced, never mutated), then by region and keys.
  private clientsByProvider = new WeakMap<ProviderByType[T], Client>();
  private readonly clients = new Map<string, Client>();
  private closed = false;

  protected constructor(private readonly options: AwsInvokerOptions<object>) {}

  /** Imports the SDK client package (on first use only: each costs ~100 ms and ~10 MB at startup). */
  protected abstract loadSdk(): Promise<Sdk>;
  protected abstract createClient(sdk: Sdk, settings: ClientSettings): Client;
  /** One SDK call; resolves with the result bytes of docs/compatibility.md#function-types. */
  protected abstract call(
    sdk: Sdk,
    client: Client,
    provider: ProviderByType[T],
    payload: string,
    abortSignal: AbortSignal | undefined,
  ): Promise<Buffer>;
  /**
   * The docs/compatibility.md#function-types class of an AWS error code. Only Lambda distinguishes classes; for
   * Kinesis, Firehose and SQS every AWS error is "call failed" (the code stays on the error: a missing stream or queue,
   * throttling, access denied).
   */
  protected errorKind(_code: string): InvocationErrorKind {
    return 'call-failed';
  }

  async invoke(fn: FunctionConfig, request: InvocationRequest): Promise<InvocationResult> {
    if (fn.type !== this.type) {
      throw new InvocationError('call-failed', `function type "${fn.type}" is not handled by the ${this.type} invoker`);
    }
    // Safe: `type` and `provider` always agree in a FunctionConfig.
    const provider = fn.provider as ProviderByType[T];
    try {
      const sdk = this.sdk ?? (await this.load());
      const client = this.clientOf(sdk, provider);
      const body = await boundedCall(
        (abortSignal) => this.call(sdk, client, provider, request.payload, abortSignal),
        request.timeoutMs ?? this.options.defaultTimeoutMs ?? DEFAULT_AWS_CALL_TIMEOUT_MS,
        request.signal,
      );
      return { status: 200, body };
    } catch (error) {
      throw toInvocationError(error, (code) => this.errorKind(code));
    }
  }

  /** The client a function of this provider is called with (created if needed). For tests and diagnostics. */
  async clientFor(provider: ProviderByType[T]): Promise<Client> {
    return this.clientOf(this.sdk ?? (await this.load()), provider);
  }

  /** How many clients exist now. */
  get clientCount(): number {
    return this.clients.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
    this.clientsByProvider = new WeakMap();
  }

  private load(): Promise<Sdk> {
    this.loading ??= this.loadSdk().then((sdk) => (this.sdk = sdk));
    return this.loading;
  }

  private clientOf(sdk: Sdk, provider: ProviderByType[T]): Client {
    if (this.closed) throw new InvocationError('call-failed', CLOSED);
    let client = this.clientsByProvider.get(provider);
    if (client !== undefined) return client;
    const settings = clientSettings(provider, this.options);
    const key = clientKey(settings);
    client = this.clients.get(key);
    if (client === undefined) {
      client = this.createClient(sdk, settings);
      this.clients.set(key, client);
    }
    this.clientsByProvider.set(provider, client);
    return client;
  }
}
