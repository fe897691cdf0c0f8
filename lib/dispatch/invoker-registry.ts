import type { FunctionConfig, FunctionType } from '../core/model/types.js';
import { InvocationError } from '../core/response/index.js';
import { classifyHttpStatus, type DeliveryOutcome } from '../core/retry/index.js';
import { httpResultError } from '../invokers/http/index.js';
import type { DeliveryError } from '../ports/delivery-queue.js';
import type { InvocationRequest, InvocationResult, Invoker } from '../ports/invoker.js';

/**
 * A call under the SYNC rule (the sync subscription of the events API, and authorizers): the function answered
 * (`ok`, with its bytes), or the call failed (`error`: a transport failure, a timeout, an AWS error, or an http
 * function's own error, its status 500).
 */
export type SyncCall = { ok: true; body: Buffer } | { ok: false; error: InvocationError };

/**
 * A delivery attempt under the ASYNC rule (docs/compatibility.md#retries-and-timeouts): delivered (with the
 * function's bytes), to be retried (with the target's `Retry-After` hint, if any), or failed for good.
 */
export type DeliveryAttempt =
  | { outcome: 'delivered'; body: Buffer }
  | { outcome: FailedOutcome; error: DeliveryError; retryAfterMs?: number };

type FailedOutcome = Exclude<DeliveryOutcome, 'delivered'>;

/**
 * The invokers of every function type the gateway can call, chosen by the function's `type`. Callers get a
 * classified outcome ({@link callSync}, {@link deliver}); what an answer means for each function type is decided
 * here and nowhere else.
 */
export class InvokerRegistry {
  private readonly byType = new Map<FunctionType, Invoker>();

  constructor(invokers: readonly Invoker[]) {
    for (const invoker of invokers) this.byType.set(invoker.type, invoker);
  }

  /**
   * Calls `fn` under the sync rule (docs/compatibility.md#sync-responses). Errors other than an `InvocationError`
   * (bugs) are thrown.
   */
  async callSync(fn: FunctionConfig, request: InvocationRequest): Promise<SyncCall> {
    try {
      const result = await this.invoke(fn, request);
      const failed = fn.type === 'http' ? httpResultError(result.status) : undefined;
      return failed ? { ok: false, error: failed } : { ok: true, body: result.body };
    } catch (error) {
      if (error instanceof InvocationError) return { ok: false, error };
      throw error;
    }
  }

  /** One delivery attempt of `fn` (docs/compatibility.md#retries-and-timeouts). Never throws. */
  async deliver(fn: FunctionConfig, request: InvocationRequest): Promise<DeliveryAttempt> {
    try {
      const result = await this.invoke(fn, request);
      const outcome = fn.type === 'http' ? classifyHttpStatus(result.status) : 'delivered';
      if (outcome === 'delivered') return { outcome, body: result.body };
      const error = { message: `HTTP status code: ${result.status}`, status: result.status };
      return { outcome, error, retryAfterMs: result.retryAfterMs };
    } catch (thrown) {
      const outcome = classifyInvocationError(thrown);
      if (!(thrown instanceof InvocationError)) return { outcome, error: { message: thrown instanceof Error ? thrown.message : String(thrown) } };
      // No `status` key without a status: the error is stored with the item as it is.
      const error: DeliveryError = thrown.status ? { message: thrown.message, status: thrown.status } : { message: thrown.message };
      return { outcome, error, retryAfterMs: thrown.retryAfterMs };
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.byType.values()].map((i) => i.close()));
  }

  private invoke(fn: FunctionConfig, request: InvocationRequest): Promise<InvocationResult> {
    const invoker = this.byType.get(fn.type);
    if (!invoker) {
      return Promise.reject(new InvocationError('call-failed', `no invoker for function type ${fn.type} in this gateway`));
    }
    return invoker.invoke(fn, request);
  }
}

/** AWS error codes that mean the credentials cannot call the target, whatever the function type. */
const ACCESS_DENIED_CODES = new Set([
  'AccessDeniedException', 'AccessDenied', 'UnrecognizedClientException', 'ExpiredTokenException', 'InvalidClientTokenId',
  'KMSAccessDeniedException',
]);

/**
 * docs/compatibility.md#retries-and-timeouts: transport failures, timeouts, throttling and provider errors are retried;
 * access denied and a function's own error are not. Kinesis, Firehose and SQS report access denied as a plain call
 * failure (docs/compatibility.md#function-types gives that class to Lambda only), so their AWS code decides.
 */
export function classifyInvocationError(error: unknown): FailedOutcome {
  if (!(error instanceof InvocationError)) return 'retry';
  if (error.kind === 'access-denied' || error.kind === 'function-error') return 'permanent';
  return error.code !== undefined && ACCESS_DENIED_CODES.has(error.code) ? 'permanent' : 'retry';
}
