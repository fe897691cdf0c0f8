import type { FunctionConfig, FunctionType } from '../core/model/types.js';

/** What one call of a function needs besides the function itself. */
export interface InvocationRequest {
  /**
   * The bytes sent: the event as JSON (docs/compatibility.md#event-model), or the authorizer payload
   * (docs/compatibility.md#authorizers).
   */
  payload: string;
  /** Bounds the call; undefined means the invoker's default (http: none here, its caller sets 5 s; AWS types: 25 s). */
  timeoutMs?: number;
  /** Extra headers for http targets (webhook-id, signatures). Ignored by other types. */
  headers?: Readonly<Record<string, string>>;
  /** Cancels the call (graceful shutdown). */
  signal?: AbortSignal;
}

/**
 * What came back. For http functions `status` is the target's HTTP status and `body` its bytes; for AWS types `status`
 * is 200 and `body` the result of docs/compatibility.md#function-types (Lambda payload, sequence number, RecordId,
 * MessageId). A transport failure, a timeout or an AWS error is thrown as an `InvocationError` (lib/core/response).
 */
export interface InvocationResult {
  status: number;
  body: Buffer;
  /** From a `Retry-After` header or an AWS throttling hint, in milliseconds. */
  retryAfterMs?: number;
}

/** Calls one type of function. Adapters: http (undici), and the AWS SDK v3 clients. */
export interface Invoker {
  readonly type: FunctionType;
  invoke(fn: FunctionConfig, request: InvocationRequest): Promise<InvocationResult>;
  close(): Promise<void>;
}
